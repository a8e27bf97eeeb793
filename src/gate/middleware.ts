/**
 * The gate every management request passes (mounted in src/app.ts on /api/*, /auth/*, /test/* and /health; never on
 * the platforms' webhooks, which platforms retry and a limit would lose):
 *
 * 1. **Who:** a valid Bearer token's business (its claims are kept: `requireAuth` does not verify twice), else the
 *    client's IP address (`CF-Connecting-IP`, set by Cloudflare's edge; a request without it, such as a test's, has
 *    nothing to be counted against and is not limited).
 * 2. **Rate limit:** one token from the subject's bucket (src/gate/business-gate.ts), or `429 rate_limited` with
 *    `Retry-After`; every answer carries `RateLimit-Policy` and `RateLimit`.
 * 3. **Idempotency** (a business's POSTs under /api that carry `Idempotency-Key`): the first request with a key runs
 *    and its 2xx answer is stored for 24 hours; the same key and request replays it (`Idempotent-Replayed: true`),
 *    another request with the key is `409 idempotency_conflict`, one while the first still runs
 *    `409 idempotency_in_progress`. A non-2xx answer is not stored (nothing was created), so the key stays usable.
 */
import type { Context } from "hono"
import { createMiddleware } from "hono/factory"
import type { ContentfulStatusCode } from "hono/utils/http-status"
import { authenticate } from "../auth/jwt"
import type { AppEnv } from "../env"
import { routedPath } from "../lib/api-paths"
import { open, seal } from "../lib/crypto"
import { toHex, utf8 } from "../lib/encoding"
import { HttpError } from "../lib/errors"
import { logEvent } from "../lib/log"
import { type Admission, gateFor, type StoredAnswer } from "./business-gate"
import { policyFor, type RateState, rateHeaders, type Subject } from "./limits"

export const IDEMPOTENCY_HEADER = "Idempotency-Key"
/** Longest key (Stripe's limit); printable ASCII only. */
export const IDEMPOTENCY_KEY_MAX = 255
const KEY_PATTERN = /^[\x20-\x7e]+$/
/** Larger answers are not stored (none of this API's creating answers comes near). */
const MAX_STORED_BODY = 1024 * 1024
const REPLAYED_HEADERS = ["content-type", "location"]

/** The platforms' webhooks under /api (the single-bot mode's): never limited. */
const COMPAT_WEBHOOK = /^\/api\/[^/]+\/webhook$/

async function subjectOf(c: Context<AppEnv>): Promise<Subject | null> {
  if (c.req.header("Authorization") !== undefined) {
    try {
      const claims = await authenticate(c)
      c.set("auth", claims)
      return { kind: "business", id: claims.business_id }
    } catch {
      // Counted against the IP address below; the route's requireAuth gives the 401.
    }
  }
  const ip = c.req.header("CF-Connecting-IP")
  return ip ? { kind: "ip", id: ip } : null
}

/** The request's `Idempotency-Key` if this request honours one (422 when it is malformed). */
function idempotencyKey(c: Context<AppEnv>, subject: Subject | null): string | undefined {
  if (subject?.kind !== "business" || c.req.method !== "POST" || !c.req.path.startsWith("/api/")) return undefined
  const key = c.req.header(IDEMPOTENCY_HEADER)?.trim()
  if (key === undefined) return undefined
  if (key.length < 1 || key.length > IDEMPOTENCY_KEY_MAX || !KEY_PATTERN.test(key)) {
    const message = `must be 1 to ${IDEMPOTENCY_KEY_MAX} printable ASCII characters`
    throw new HttpError(
      422,
      "validation_failed",
      `Invalid header: ${IDEMPOTENCY_HEADER}: ${message}`,
      {},
      {
        fields: [{ path: IDEMPOTENCY_HEADER, message }],
      },
    )
  }
  return key
}

/** SHA-256 of the method, path with query, and body bytes: "the same request" (`/v1/x` and its alias `/api/x` alike). */
async function fingerprint(c: Context<AppEnv>): Promise<string> {
  const url = new URL(c.req.url)
  const head = utf8(`${c.req.method} ${routedPath(url.pathname)}${url.search}\n`)
  const body = new Uint8Array(await c.req.arrayBuffer())
  const all = new Uint8Array(head.length + body.length)
  all.set(head)
  all.set(body, head.length)
  return toHex(await crypto.subtle.digest("SHA-256", all))
}

/** Sets headers on the answer, copying it first if its headers are immutable (a fetched response). */
function setHeaders(c: Context<AppEnv>, headers: Record<string, string>): void {
  let res = c.res
  try {
    for (const [k, v] of Object.entries(headers)) res.headers.set(k, v)
  } catch {
    res = new Response(res.body, res)
    for (const [k, v] of Object.entries(headers)) res.headers.set(k, v)
    c.res = res
  }
}

function rateLimited(kind: Subject["kind"], state: RateState): HttpError {
  const { rate, burst } = state.policy
  const per = kind === "business" ? "business" : "IP address"
  return new HttpError(
    429,
    "rate_limited",
    `Too many requests: at most ${rate} a second per ${per} (bursts of ${burst}); retry after ${state.retryAfterSeconds} s`,
    { ...rateHeaders(kind, state), "Retry-After": String(state.retryAfterSeconds) },
  )
}

const aad = (subject: Subject, key: string) => `idempotency:${subject.kind}:${subject.id}:${key}`

async function replay(
  c: Context<AppEnv>,
  subject: Subject,
  key: string,
  answer: StoredAnswer,
  more: Record<string, string>,
): Promise<Response> {
  const body = await open(c.env.ENCRYPTION_KEY, answer.body, aad(subject, key))
  // Through the context, so what earlier middleware set (X-Request-Id) is on the replay too. Only 2xx are stored.
  const headers = { ...answer.headers, ...more, "Idempotent-Replayed": "true" }
  if (answer.status === 204 || answer.status === 205) return c.body(null, answer.status, headers)
  return c.body(body, answer.status as ContentfulStatusCode, headers)
}

/** Stores a 2xx answer under the key; anything else frees the key. Failures are logged, never the client's. */
async function settle(c: Context<AppEnv>, subject: Subject, key: string, lock: string): Promise<void> {
  const gate = gateFor(c.env, subject)
  try {
    const res = c.res
    const text = res.status >= 200 && res.status < 300 ? await res.clone().text() : undefined
    if (text === undefined || text.length > MAX_STORED_BODY) {
      await gate.release(key, lock)
      return
    }
    const headers: Record<string, string> = {}
    for (const name of REPLAYED_HEADERS) {
      const value = res.headers.get(name)
      if (value !== null) headers[name] = value
    }
    const body = await seal(c.env.ENCRYPTION_KEY, text, aad(subject, key))
    await gate.complete(key, lock, { status: res.status, headers, body })
  } catch (cause) {
    // The key must not stay locked: the client may retry (and run the request again, as without a key).
    logEvent("error", "gate.store_failed", { requestId: c.var.requestId, error: String(cause) })
    await gate.release(key, lock).catch(() => undefined)
  }
}

export const gate = createMiddleware<AppEnv>(async (c, next) => {
  if (COMPAT_WEBHOOK.test(c.req.path)) return next()
  const subject = await subjectOf(c)
  const key = idempotencyKey(c, subject)
  if (subject === null) return next()
  const policy = policyFor(c.env, subject.kind)
  if (policy === null && key === undefined) return next()

  // Reading the body here keeps it for the route (Hono caches it); a body over the limit fails as it would there.
  const idempotency = key === undefined ? undefined : { key, fingerprint: await fingerprint(c) }
  let admission: Admission
  try {
    admission = await gateFor(c.env, subject).admit({ policy, idempotency })
  } catch (cause) {
    // A limit fails open (the API stays up); a key cannot be honoured without its records, so that request waits.
    logEvent("error", "gate.unavailable", { requestId: c.var.requestId, error: String(cause) })
    if (key === undefined) return next()
    throw new HttpError(503, "unavailable", "Idempotency records are unavailable; retry shortly", {
      "Retry-After": "1",
    })
  }

  const { rate, idempotency: verdict } = admission
  if (rate && !rate.allowed) throw rateLimited(subject.kind, rate)
  const limitHeaders = rate ? rateHeaders(subject.kind, rate) : {}
  if (key !== undefined && verdict !== undefined && verdict.kind !== "proceed") {
    if (verdict.kind === "conflict")
      throw new HttpError(
        409,
        "idempotency_conflict",
        `This ${IDEMPOTENCY_HEADER} was used with another request (method, path or body) in the last 24 hours`,
        limitHeaders,
      )
    if (verdict.kind === "in_progress")
      throw new HttpError(
        409,
        "idempotency_in_progress",
        `A request with this ${IDEMPOTENCY_HEADER} is still running; retry when it has answered`,
        { ...limitHeaders, "Retry-After": "1" },
      )
    return replay(c, subject, key, verdict.answer, limitHeaders)
  }

  try {
    await next()
  } finally {
    if (key !== undefined && verdict?.kind === "proceed") await settle(c, subject, key, verdict.lock)
  }
  setHeaders(c, limitHeaders)
})
