/**
 * The one place management-API tokens are minted (HS256 JWTs): the dev sign-in, tests, `npm run token` and the bench.
 * It imports only `hono/jwt` and nothing relative, so Node runs it directly (type stripping) as well as workerd.
 */
import { sign } from "hono/jwt"

/** What a token says: who, for which business, with which role (src/auth/jwt.ts validates the same claims). */
export interface TokenClaims {
  sub: string
  business_id: string
  role: "owner" | "admin" | "viewer"
  /** Expiry in seconds since the epoch; by default `ttlSeconds` from now. */
  exp?: number
}

/** Signs a token with `secret`; it expires after `ttlSeconds` unless `claims.exp` says otherwise. */
export function signToken(claims: TokenClaims, secret: string, ttlSeconds = 3600): Promise<string> {
  const exp = claims.exp ?? Math.floor(Date.now() / 1000) + ttlSeconds
  return sign({ ...claims, exp }, secret, "HS256")
}
