/**
 * `X-Request-Id` on every request: the caller's own when it is plain (word characters, `-` and `=`, at most 255:
 * hono/request-id's rule), a new UUID otherwise. It names the request in logs and follows webhook events into the
 * bot's log and the forward handler's call; the answer carries it back.
 */
import type { MiddlewareHandler } from "hono"
import type { AppEnv } from "../env"

export const REQUEST_ID_HEADER = "X-Request-Id"

const PLAIN = /^[\w\-=]{1,255}$/

export function requestIdOf(headers: Headers): string {
  const given = headers.get(REQUEST_ID_HEADER)
  return given !== null && PLAIN.test(given) ? given : crypto.randomUUID()
}

/**
 * Sets `c.var.requestId` and, after the handler (and the error renderer) ran, the answer's header: on a Response a
 * route built itself too (hono/request-id's header, set before the handler, only reaches answers Hono builds).
 */
export function requestIds(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const id = requestIdOf(c.req.raw.headers)
    c.set("requestId", id)
    await next()
    c.res.headers.set(REQUEST_ID_HEADER, id)
  }
}
