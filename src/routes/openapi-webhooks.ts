/**
 * The forward handler's outgoing call (src/handlers/forward.ts) as an OpenAPI 3.1 webhook: what a business's
 * endpoint receives for each inbound message, how to check it came from Switchboard, and what it may answer
 * (src/handlers/reply-schema.ts). Registered by src/routes/openapi-document.ts.
 */
import { createRoute, z } from "@hono/zod-openapi"
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
const alsoSent = (description: string, example: string) =>
  header(`Also sent (Standard Webhooks, https://www.standardwebhooks.com): ${description}`, example).optional()

export const forwardedMessageWebhook = createRoute({
  method: "post",
  path: "forwardedMessage",
  operationId: "forwardMessage",
  tags: ["Handlers"],
  summary: "Each message a bot with the forward handler receives, POSTed to the handler's `url`",
  description:
    "Check that it comes from Switchboard before trusting it: compute the hex HMAC-SHA256 of " +
    '`"<X-Switchboard-Timestamp>.<raw body>"` with the handler\'s signing secret (set with the handler, or ' +
    "generated and answered once as `signingSecret`), compare it in constant time with X-Switchboard-Signature " +
    "(after `sha256=`), and refuse timestamps more than a few minutes old. The same message can arrive twice " +
    "(a retry after a timeout): X-Switchboard-Event-Id tells. Also sent: the Standard Webhooks headers " +
    "(`webhook-id`, `webhook-timestamp`, `webhook-signature`), so that its libraries can verify the call instead.",
  security: [],
  request: {
    headers: z.object({
      "X-Switchboard-Signature": header(
        "`sha256=` and the hex HMAC-SHA256 of `<X-Switchboard-Timestamp>.<raw body>`, keyed with the signing secret",
        "sha256=5f0c3b8e0d2a7c1e9b4f6a2d8c0e1f3a5b7d9c2e4f6a8b0c1d3e5f7a9b2c4d6e",
      ),
      "X-Switchboard-Timestamp": header("When it was signed, in Unix seconds", "1767225600"),
      "X-Switchboard-Event-Id": header("The message's `eventId`: the same on every retry, to drop duplicates"),
      "X-Request-Id": header("The platform delivery's request id, when it had one: to match logs").optional(),
      "User-Agent": header("Switchboard and its major version", "Switchboard/0.1"),
      "webhook-id": alsoSent("the message's id, the same on every retry", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"),
      "webhook-timestamp": alsoSent("when it was signed, in Unix seconds", "1767225600"),
      "webhook-signature": alsoSent(
        '`v1,` and the base64 HMAC-SHA256 of `"<webhook-id>.<webhook-timestamp>.<raw body>"` keyed with the ' +
          "signing secret (space-separated when there are several)",
        "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
      ),
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
