/**
 * The calls Switchboard makes to a business's own endpoints, as OpenAPI 3.1 webhooks: the forward handler's
 * (src/handlers/forward.ts: what the endpoint receives for each inbound message and what it may answer,
 * src/handlers/reply-schema.ts) and the alerts' (src/bot/alerts.ts, docs/alerts.md); both signed the same way
 * (src/lib/webhook-signature.ts). Registered by src/routes/openapi-document.ts.
 */
import { createRoute, z } from "@hono/zod-openapi"
import { ALERT_TYPES } from "../bot/alerts"
import { platformSchema } from "../providers"
import { inboundMessageSchema } from "../providers/types"
import { sendContentShape } from "../registry/template-schemas"

/** The body forward.ts posts: `{ type: "message", bot, message }`. */
export const forwardedMessageSchema = z
  .object({
    type: z.literal("message"),
    bot: z
      .object({ id: z.string(), platform: platformSchema, name: z.string() })
      .openapi({ description: "The bot that received the message" }),
    message: inboundMessageSchema.openapi("InboundMessage", {
      description:
        "The message in Switchboard's unified shape, whatever the platform: `chatId` is where a reply goes; " +
        "`eventId` is the platform's own id of the event (the same when it redelivers)",
    }),
  })
  .openapi("ForwardedMessage")

const replyMessageSchema = sendContentShape
  .extend({
    chatId: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .openapi({ description: "Another chat of the bot; default: the chat the message came from" }),
  })
  .openapi("ForwardReplyMessage", {
    description: "A reply as the send API takes it: exactly one of text, media, template",
  })
const replySchema = z.union([z.string().min(1).max(4096).openapi({ description: "A text reply" }), replyMessageSchema])

/** What the endpoint may answer with (reply-schema.ts `forwardResponseSchema`, spelled out). */
const forwardAnswerSchema = z
  .union([
    z.object({ replies: z.array(replySchema).max(20) }),
    z.array(replySchema).max(20),
    replyMessageSchema.extend({ text: z.string().min(1).max(4096) }),
  ])
  .openapi("ForwardAnswer", {
    description: "Up to 20 replies, as `{ replies }`, a bare array, or one message with `text`",
  })

const header = (description: string, example?: string) =>
  z.string().openapi(example === undefined ? { description } : { description, example })
const deprecated = (description: string, example: string) =>
  z.string().openapi({
    description: `Deprecated: sent until the next version (verify the Standard Webhooks headers instead). ${description}`,
    example,
    param: { deprecated: true },
  })

/** The signature headers both calls carry (src/lib/webhook-signature.ts); `id`: what `webhook-id` is there. */
const signatureHeaders = (id: string, idExample: string) => ({
  "webhook-id": header(`${id}: the same on every retry, so drop duplicates by it`, idExample),
  "webhook-timestamp": header(
    "When this attempt was signed, in Unix seconds: refuse one more than a few minutes from your clock (replays)",
    "1767225600",
  ),
  "webhook-signature": header(
    '`v1,` and the base64 HMAC-SHA256 of `"<webhook-id>.<webhook-timestamp>.<raw body>"` (space-separated when ' +
      "there are several). The key: for a `whsec_` secret (the form Switchboard issues), the bytes its base64 " +
      "decodes to; for any other, the secret's UTF-8 bytes",
    "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
  ),
  "X-Switchboard-Signature": deprecated(
    "`sha256=` and the hex HMAC-SHA256 of `<X-Switchboard-Timestamp>.<raw body>`, keyed with the signing " +
      "secret's UTF-8 bytes (the whole secret, `whsec_` included)",
    "sha256=5f0c3b8e0d2a7c1e9b4f6a2d8c0e1f3a5b7d9c2e4f6a8b0c1d3e5f7a9b2c4d6e",
  ),
  "X-Switchboard-Timestamp": deprecated("The same as webhook-timestamp", "1767225600"),
})
const userAgent = header("Switchboard and its major version", "Switchboard/0.1")

/** How to check a call, the same for both. */
const verifying =
  "Check that it comes from Switchboard before trusting it, with any Standard Webhooks library " +
  "(https://www.standardwebhooks.com): in JavaScript, `new Webhook(signingSecret).verify(rawBody, headers)` " +
  "(`standardwebhooks` on npm) checks webhook-signature over the raw body, before any parsing, and refuses a " +
  "webhook-timestamp more than 5 minutes off. A secret not of the form `whsec_...` (one you chose, or one issued " +
  'before secrets took that form) is given to it as `"whsec_" + base64(secret)`. '

export const forwardedMessageWebhook = createRoute({
  method: "post",
  path: "forwardedMessage",
  operationId: "forwardMessage",
  tags: ["Handlers"],
  summary: "Each message a bot with the forward handler receives, POSTed to the handler's `url`",
  description:
    verifying +
    "The secret is the handler's `signingSecret` (set with the handler, or generated and answered once). The same " +
    "message can arrive twice (a retry after a timeout): webhook-id tells.",
  security: [],
  request: {
    headers: z.object({
      ...signatureHeaders(
        "The message's id, `msg_` and 32 hex digits (from the bot's id and the message's `eventId`)",
        "msg_5f0c3b8e0d2a7c1e9b4f6a2d8c0e1f3a",
      ),
      "X-Switchboard-Event-Id": header("The message's `eventId`: the same on every retry"),
      "X-Request-Id": header("The platform delivery's request id, when it had one: to match logs").optional(),
      "User-Agent": userAgent,
    }),
    body: { content: { "application/json": { schema: forwardedMessageSchema } }, required: true },
  },
  responses: {
    200: {
      description: "The bot's replies, sent to the platform like the send API's messages (an empty body: none)",
      content: { "application/json": { schema: forwardAnswerSchema } },
    },
    204: { description: "No reply" },
    429: { description: "Busy: retried later, like 5xx" },
    "4XX": { description: "Not retried: the message gets no reply (logged in the bot's activity)" },
    "5XX": {
      description:
        "Retried later, as are timeouts (the handler's `timeoutMs`, default 10 s); redirects are not followed",
    },
  },
})

const alertTypes = Object.values(ALERT_TYPES).flatMap((t) => [t, `${t}.resolved`])

/** The body src/bot/alerts.ts posts (`AlertPayload`), with `detail`'s fields by type as docs/alerts.md has them. */
export const alertEventSchema = z
  .object({
    id: z.string().openapi({
      description: "The event's id, also in webhook-id: the same on every retry",
      example: "alert_019a3c2b5e000000f1e2d3c4b5a6",
    }),
    type: z.enum(alertTypes).openapi({ description: "What happened; `.resolved`: the condition is over" }),
    botId: z.string(),
    businessId: z.string(),
    at: z.string().openapi({ description: "When the bot noticed it (ISO 8601)", example: "2026-01-01T00:00:00.000Z" }),
    detail: z
      .object({
        botName: z.string(),
        platform: platformSchema,
        status: z.string().optional().openapi({ description: "bot.error and its resolved: the bot's status" }),
        reason: z.string().optional().openapi({ description: "bot.error: the platform's refusal, or the failure" }),
        queued: z.number().optional().openapi({ description: "queue.depth_exceeded: messages waiting" }),
        threshold: z.number().optional().openapi({ description: "The setting it was judged against" }),
        failed: z.number().optional().openapi({ description: "bot.failure_rate: failed sends in the window" }),
        attempts: z.number().optional().openapi({ description: "bot.failure_rate: attempted sends in the window" }),
        rate: z.number().optional().openapi({ description: "bot.failure_rate: failed / attempts, 3 decimals" }),
        minAttempts: z.number().optional(),
        windowMinutes: z.number().optional().openapi({ description: "bot.failure_rate: the window (15)" }),
        firedId: z.string().optional().openapi({ description: "`.resolved`: the `id` of the event it resolves" }),
        firedAt: z.string().optional().openapi({ description: "`.resolved`: when that condition started" }),
      })
      .openapi({ description: "`botName` and `platform`, and the type's own fields (docs/alerts.md)" }),
  })
  .openapi("AlertEvent")

export const alertWebhook = createRoute({
  method: "post",
  path: "alert",
  operationId: "alert",
  tags: ["Alerts"],
  summary: "Each alert of a business's bots, POSTed to the alert settings' `url` (docs/alerts.md)",
  description:
    verifying +
    "The secret is the alerts' `signingSecret` (issued by the first settings with a URL, and by rotate-secret). " +
    "A retry carries the same webhook-id and body `id`.",
  security: [],
  request: {
    headers: z.object({
      ...signatureHeaders("The event's `id`", "alert_019a3c2b5e000000f1e2d3c4b5a6"),
      "X-Switchboard-Event-Id": header("The event's `id`"),
      "X-Switchboard-Event-Type": header("The event's `type`", "bot.error"),
      "User-Agent": userAgent,
    }),
    body: { content: { "application/json": { schema: alertEventSchema } }, required: true },
  },
  responses: {
    "2XX": { description: "Taken (the body is ignored)" },
    default: {
      description:
        "Anything else, or no answer within 10 s: retried with growing delays, 12 tries over about two hours; " +
        "redirects are not followed",
    },
  },
})
