/**
 * Rate limits of the management API: the policies (from env), the token bucket they fill, and the header fields
 * that tell a client where it stands (draft-ietf-httpapi-ratelimit-headers: `RateLimit-Policy` and `RateLimit`).
 */
import { type Env, envVar } from "../env"

/** Who a request is counted against: its token's business, or (without a valid token) its client's IP address. */
export type Subject = { kind: "business"; id: string } | { kind: "ip"; id: string }

/** A token bucket: `rate` requests a second on average, up to `burst` at once after a quiet spell. */
export interface Policy {
  rate: number
  burst: number
}

export const DEFAULT_LIMITS: Record<Subject["kind"], Policy> = {
  business: { rate: 100, burst: 200 },
  ip: { rate: 10, burst: 20 },
}

const VARS: Record<Subject["kind"], { rate: string; burst: string }> = {
  business: { rate: "API_RATE_LIMIT", burst: "API_RATE_BURST" },
  ip: { rate: "IP_RATE_LIMIT", burst: "IP_RATE_BURST" },
}

const positive = (text: string | undefined): number | undefined => {
  const n = Number(text)
  return text !== undefined && Number.isFinite(n) && n > 0 ? n : undefined
}

/**
 * The policy for a kind of subject: `API_RATE_LIMIT` / `IP_RATE_LIMIT` requests a second (`0` or `off`: no limit),
 * bursts of `API_RATE_BURST` / `IP_RATE_BURST` (default twice the rate, never under 1). A malformed value is the
 * default, not "no limit": a typo must not open the door.
 */
export function policyFor(env: Env, kind: Subject["kind"]): Policy | null {
  const names = VARS[kind]
  const rateText = envVar(env, names.rate)
  if (rateText === "0" || rateText?.toLowerCase() === "off") return null
  const rate = positive(rateText) ?? DEFAULT_LIMITS[kind].rate
  const burst = positive(envVar(env, names.burst)) ?? (rateText === undefined ? DEFAULT_LIMITS[kind].burst : rate * 2)
  return { rate, burst: Math.max(1, Math.floor(burst)) }
}

export interface Bucket {
  tokens: number
  at: number
}

/** Where a subject stands after a request was counted (or refused). */
export interface RateState {
  policy: Policy
  allowed: boolean
  /** Whole requests left in the bucket. */
  remaining: number
  /** Seconds until the bucket is full again (the draft's `t`). */
  resetSeconds: number
  /** Seconds until one more request is allowed: `Retry-After` of a 429 (0 when allowed). */
  retryAfterSeconds: number
}

/** Takes one token if there is one; `bucket` is updated in place (a new bucket starts full). */
export function take(bucket: Bucket | null, policy: Policy, now: number): { bucket: Bucket; state: RateState } {
  const refilled = bucket === null ? policy.burst : bucket.tokens + (Math.max(0, now - bucket.at) * policy.rate) / 1000
  let tokens = Math.min(policy.burst, refilled)
  const allowed = tokens >= 1
  if (allowed) tokens -= 1
  const seconds = (missing: number) => Math.max(0, Math.ceil(missing / policy.rate))
  return {
    bucket: { tokens, at: now },
    state: {
      policy,
      allowed,
      remaining: Math.floor(tokens),
      resetSeconds: seconds(policy.burst - tokens),
      retryAfterSeconds: allowed ? 0 : Math.max(1, seconds(1 - tokens)),
    },
  }
}

/**
 * The draft's fields (draft-ietf-httpapi-ratelimit-headers-10): `RateLimit-Policy: "business";q=200;w=2` (a full
 * bucket is `q` requests, refilled in `w` seconds) and `RateLimit: "business";r=57;t=1` (`r` left, full in `t` s).
 */
export function rateHeaders(kind: Subject["kind"], state: RateState): Record<string, string> {
  const { rate, burst } = state.policy
  const window = Math.max(1, Math.ceil(burst / rate))
  return {
    "RateLimit-Policy": `"${kind}";q=${burst};w=${window}`,
    RateLimit: `"${kind}";r=${state.remaining};t=${state.resetSeconds}`,
  }
}
