/**
 * The worker's busiest request, served before the app: a platform's POST to `/webhooks/{platform}/{botId}` goes
 * straight to {@link perBotWebhook}, with what the app's middleware would have given it (the request id, the
 * single-bot mode's set-up, the security headers) and the app's error answer. The router and the middleware chain
 * were about a tenth of a webhook's CPU (bench --profile, 1 bot). Anything else, and any POST this path is not
 * sure of (no Content-Length, a body over the limit, a query string, an escaped character), goes to the app, which
 * answers it the same way or refuses it with its usual error.
 */
import type { Env } from "../env"
import { errorAnswer } from "../lib/errors"
import { REQUEST_ID_HEADER, requestIdOf } from "../lib/request-id"
import { setSecurityHeaders } from "../lib/security-headers"
import { envBotsOnce } from "../services/env-bot"
import { json, perBotWebhook, WEBHOOK_BODY_LIMIT } from "./webhooks"

/** Scheme and host, then exactly `/webhooks/{platform}/{bot id}`: nothing to decode, no query. */
const PER_BOT_URL = /^https?:\/\/[^/?#]+\/webhooks\/([a-z]+)\/(bot_[0-9a-f]{28})$/

/** The answer for a per-bot webhook POST, or `undefined` when the app should serve the request. */
export function edgeWebhook(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> | undefined {
  if (request.method !== "POST") return undefined
  const route = PER_BOT_URL.exec(request.url)
  if (!route) return undefined
  const length = request.headers.get("content-length")
  if (length === null || request.headers.has("transfer-encoding") || !(Number(length) <= WEBHOOK_BODY_LIMIT))
    return undefined
  const requestId = requestIdOf(request.headers)
  envBotsOnce(env, (ready) => ctx.waitUntil(ready))
  return perBotWebhook(env, request, route[1] ?? "", route[2] ?? "", requestId).then(
    (res) => finish(res, requestId),
    (error: unknown) => {
      const cause = error instanceof Error ? error : new Error(String(error))
      const answer = errorAnswer(cause, { requestId, path: new URL(request.url).pathname })
      return finish(json(answer.body, answer.status, answer.headers), requestId)
    },
  )
}

/** The headers every answer of the app carries. */
function finish(res: Response, requestId: string): Response {
  res.headers.set(REQUEST_ID_HEADER, requestId)
  setSecurityHeaders(res.headers)
  return res
}
