/**
 * CORS for browser clients on other origins: only the exact origins in `CORS_ORIGINS` (comma-separated, such as
 * `https://app.example.com,https://admin.example.com`); nothing by default, and never a wildcard. Tokens travel in
 * `Authorization`, not cookies, so no credentials mode is offered. An origin not listed gets no CORS header at all.
 */
import type { MiddlewareHandler } from "hono"
import { cors } from "hono/cors"
import type { AppEnv } from "../env"

/** Request headers a browser client may send beyond the CORS-safelisted ones. */
export const CORS_ALLOW_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "If-Match", "If-None-Match"]

/** Answer headers a browser client may read beyond the CORS-safelisted ones. */
export const CORS_EXPOSE_HEADERS = [
  "ETag",
  "Location",
  "RateLimit",
  "RateLimit-Policy",
  "Retry-After",
  "X-Request-Id",
  "Idempotent-Replayed",
]

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]

/**
 * The origins a `CORS_ORIGINS` value allows. Each entry must be an http(s) origin (a trailing `/` is forgiven); `*`,
 * paths, queries and user names are ignored, so a typo allows nothing rather than too much.
 */
export function corsOrigins(value: string | undefined): ReadonlySet<string> {
  const origins = new Set<string>()
  for (const entry of (value ?? "").split(",")) {
    const text = entry.trim()
    if (!/^https?:\/\//i.test(text)) continue
    let url: URL
    try {
      url = new URL(text)
    } catch {
      continue
    }
    if (url.pathname === "/" && !url.search && !url.hash && !url.username && !url.password && !text.includes("*"))
      origins.add(url.origin)
  }
  return origins
}

let parsed: { value: string | undefined; origins: ReadonlySet<string> } = { value: undefined, origins: new Set() }

/** The allowed origins of this deployment (parsed once per distinct value). */
function allowedOrigins(value: string | undefined): ReadonlySet<string> {
  if (parsed.value !== value) parsed = { value, origins: corsOrigins(value) }
  return parsed.origins
}

const allowListed = cors({
  // Only reached for a listed origin (below): it is echoed back.
  origin: (origin) => origin,
  allowMethods: METHODS,
  allowHeaders: CORS_ALLOW_HEADERS,
  exposeHeaders: CORS_EXPOSE_HEADERS,
  maxAge: 600,
})

/** Answers preflights and adds the CORS headers for listed origins; everything else passes through untouched. */
export function corsFromEnv(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const allowed = allowedOrigins(c.env.CORS_ORIGINS)
    if (allowed.size === 0) return next()
    const origin = c.req.header("Origin")
    if (origin !== undefined && allowed.has(origin)) return allowListed(c, next)
    await next()
    // The answer depends on the origin once some are allowed: a cache must not reuse it for another one.
    c.header("Vary", "Origin", { append: true })
  }
}
