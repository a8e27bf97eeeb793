/** Security headers on every worker answer; public/_headers sets the same ones on the static dashboard files. */
import type { MiddlewareHandler } from "hono"

/**
 * The headers, in the order sent. The policy allows only this origin: no inline scripts or styles, no plugins, no
 * `<base>`, forms post only here, and no page may frame these (clickjacking).
 */
export const SECURITY_HEADERS: ReadonlyArray<readonly [name: string, value: string]> = [
  [
    "Content-Security-Policy",
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'",
  ],
  ["X-Frame-Options", "DENY"],
  ["X-Content-Type-Options", "nosniff"],
  ["Referrer-Policy", "no-referrer"],
]

/** Sets {@link SECURITY_HEADERS} on an answer's headers, replacing any already there. */
export function setSecurityHeaders(headers: Headers): void {
  for (const [name, value] of SECURITY_HEADERS) headers.set(name, value)
}

/**
 * Hono middleware: sets {@link SECURITY_HEADERS} on the answer after the handler (and the error renderer) ran,
 * replacing any the handler set. The direct webhook path (src/routes/webhook-edge.ts) sets them itself.
 */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next()
    setSecurityHeaders(c.res.headers)
  }
}
