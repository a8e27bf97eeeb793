/** HS256 JWT verification for the management API: claims, roles, and the middleware that enforces them. */
import type { Context } from "hono"
import { createMiddleware } from "hono/factory"
import { verify } from "hono/jwt"
import { z } from "zod"
import type { AppEnv } from "../env"
import { fromBase64Url, utf8 } from "../lib/encoding"
import { HttpError } from "../lib/errors"
import { signToken as mintToken } from "./sign"

export const roles = ["owner", "admin", "viewer"] as const
export type Role = (typeof roles)[number]

export const authClaimsSchema = z.object({
  sub: z.string().min(1).max(256),
  business_id: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9_.:-]+$/),
  role: z.enum(roles),
  exp: z.number().int(),
})
export type AuthClaims = z.infer<typeof authClaimsSchema>

const ALG = "HS256"

/**
 * Signs a token with src/auth/sign.ts (the only minter, shared with `npm run token` and the bench); used by the dev
 * sign-in and tests. Typed by the claims schema, so the two cannot drift apart.
 */
export function signToken(claims: Omit<AuthClaims, "exp"> & { exp?: number }, secret: string, ttlSeconds = 3600) {
  return mintToken(claims, secret, ttlSeconds)
}

/** Whether an HS256 token's signature matches `secret` (checked in constant time by WebCrypto's verify). */
async function signedWith(token: string, secret: string): Promise<boolean> {
  const [header, payload, signature] = token.split(".")
  const mac = signature === undefined ? null : fromBase64Url(signature)
  if (header === undefined || payload === undefined || !mac) return false
  const key = await crypto.subtle.importKey("raw", utf8(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"])
  return crypto.subtle.verify("HMAC", key, mac, utf8(`${header}.${payload}`))
}

/**
 * The claims of the request's Bearer token, or the HttpError to answer with.
 * Any failure is the same 401: the response never says which check failed beyond "expired".
 */
export async function authenticate(c: Context<AppEnv>): Promise<AuthClaims> {
  const header = c.req.header("Authorization") ?? ""
  const match = /^Bearer\s+(\S+)$/i.exec(header)
  if (!match?.[1]) throw new HttpError(401, "unauthorized", "Missing bearer token", { "WWW-Authenticate": "Bearer" })
  if (!c.env.JWT_SECRET) throw new HttpError(500, "misconfigured", "JWT_SECRET is not configured")
  let payload: unknown
  try {
    payload = await verify(match[1], c.env.JWT_SECRET, ALG)
  } catch (cause) {
    // hono checks `exp` before the signature: an expired token is only "expired" if we also signed it.
    const expired =
      cause instanceof Error && cause.name === "JwtTokenExpired" && (await signedWith(match[1], c.env.JWT_SECRET))
    throw new HttpError(401, expired ? "token_expired" : "unauthorized", expired ? "Token expired" : "Invalid token", {
      "WWW-Authenticate": "Bearer",
    })
  }
  const claims = authClaimsSchema.safeParse(payload)
  if (!claims.success) throw new HttpError(401, "unauthorized", "Token claims are invalid")
  return claims.data
}

/**
 * Requires a valid Bearer token and stores its claims in `c.var.auth`. On the gated paths (src/gate/middleware.ts)
 * the gate has already verified the token and stored its claims: they are not checked twice.
 */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const verified: AuthClaims | undefined = c.get("auth")
  if (verified === undefined) c.set("auth", await authenticate(c))
  await next()
})

/** Writes need owner or admin; viewers get 403 (they are authenticated, just not allowed). */
export const requireWriter = createMiddleware<AppEnv>(async (c, next) => {
  if (c.var.auth.role === "viewer") throw new HttpError(403, "forbidden", "Viewers cannot change bots")
  await next()
})
