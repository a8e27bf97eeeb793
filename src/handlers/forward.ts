/**
 * Forwards each inbound message to the business's own HTTPS endpoint, signed so it can trust us: Standard Webhooks
 * headers (`webhook-id` from the bot and the event's id, the same on every retry) and, deprecated, the X-Switchboard
 * ones (lib/webhook-signature).
 * The JSON answer becomes outbound messages; 5xx and timeouts are retried by the DO.
 */
import { err, ok } from "../lib/result"
import { forwardWebhookId, signatureHeaders } from "../lib/webhook-signature"
import { callEndpoint } from "./endpoint"
import { forwardResponseSchema, toReplies } from "./reply-schema"
import type { Handler } from "./types"

export const forward: Handler = async (event, ctx) => {
  if (ctx.config.type !== "forward") return err({ retryable: false, message: "forward handler is not configured" })
  const secret = ctx.secrets.signingSecret
  if (!secret) return err({ retryable: false, message: "forward handler has no signing secret" })
  const body = JSON.stringify({ type: "message", bot: ctx.bot, message: event })
  const called = await callEndpoint(
    ctx,
    "forward endpoint",
    ctx.config.url,
    {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "User-Agent": "Switchboard/0.1",
        ...(await signatureHeaders(secret, await forwardWebhookId(ctx.bot.id, event.eventId), body)),
        "X-Switchboard-Event-Id": event.eventId,
        // The webhook delivery's id, so the business's logs and ours can be matched.
        ...(typeof event.metadata.requestId === "string" ? { "X-Request-Id": event.metadata.requestId } : {}),
      },
      body,
    },
    ctx.config.timeoutMs ?? 10_000,
  )
  if (!called.ok) return called
  const res = called.value
  const text = res.text
  if (res.status >= 500 || res.status === 429)
    return err({ retryable: true, message: `forward endpoint answered ${res.status}` })
  if (res.status < 200 || res.status > 299)
    return err({ retryable: false, message: `forward endpoint answered ${res.status}` })
  if (res.status === 204 || text.trim() === "") return ok({ replies: [] })
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return err({ retryable: false, message: "forward endpoint answered with invalid JSON" })
  }
  const parsed = forwardResponseSchema.safeParse(json)
  if (!parsed.success) return err({ retryable: false, message: "forward endpoint's reply has an unknown shape" })
  try {
    return ok({ replies: toReplies(parsed.data, event.chatId) })
  } catch {
    return err({ retryable: false, message: "forward endpoint's reply is not a valid message" })
  }
}
