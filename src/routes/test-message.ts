/**
 * `POST /test/message`: runs a message through a bot's handler and returns the reply, sending nothing to the
 * platform. With `botId`: one of the business's bots (writers only: the handler may call the business's endpoint or
 * a paid AI model). Without: the original guide's body `{ message, platform? }`, for the single-bot mode's bot of
 * that platform (or MESSAGING_PLATFORM's), for owner/admin tokens, and without a token only in local development.
 */
import { createRoute } from "@hono/zod-openapi"
import { type Context, Hono } from "hono"
import { createMiddleware } from "hono/factory"
import { z } from "zod"
import { requireAuth, requireWriter } from "../auth/jwt"
import type { AppEnv } from "../env"
import { HttpError, orThrow, validationError } from "../lib/errors"
import { platformSchema } from "../providers"
import { outboundMessageSchema } from "../providers/types"
import { createBotService } from "../services/bot-service"
import { envBot } from "../services/env-bot"
import { defaultPlatform } from "./health"
import { errorResponse } from "./openapi"

const bodySchema = z.object({
  message: z.string().min(1).max(4096),
  botId: z.string().min(1).max(64).optional(),
  chatId: z.string().min(1).max(128).default("test-chat"),
  platform: platformSchema.optional(),
})
type Body = z.infer<typeof bodySchema>

const answerSchema = z
  .object({
    botId: z.string().optional().openapi({ description: "The bot asked; absent for the single-bot mode's bot" }),
    platform: platformSchema,
    handler: z.enum(["echo", "forward", "ai"]),
    replies: z.array(outboundMessageSchema.openapi("OutboundMessage")).openapi({
      description: "What the bot would send (nothing was sent)",
    }),
  })
  .openapi("TestMessageResult")

/** `/test/message` in the API description (registered by src/routes/openapi-document.ts; served below). */
export const testMessageRoute = createRoute({
  method: "post",
  path: "/test/message",
  operationId: "testMessage",
  tags: ["Bots"],
  summary: "Run a message through a bot's handler and return its replies; nothing is sent to the platform",
  description:
    "With `botId`: one of the business's bots (writers only: the handler may call the business's endpoint or a " +
    "paid model). Without: the single-bot mode's bot of `platform` (else MESSAGING_PLATFORM's), for owner and " +
    "admin tokens, and without a token only in local development (ENVIRONMENT=development).",
  request: {
    body: { content: { "application/json": { schema: bodySchema.openapi("TestMessage") } }, required: true },
  },
  responses: {
    200: { description: "The handler's replies", content: { "application/json": { schema: answerSchema } } },
    400: errorResponse("`bad_request`: the body is not JSON"),
    401: errorResponse("Missing, expired or forged token"),
    403: errorResponse("Viewers cannot run handlers"),
    404: errorResponse("No such bot in this business, or no single-bot mode bot of that platform"),
    422: errorResponse("`validation_failed` (fields in details)"),
    502: errorResponse("`handler_failed`: the handler did not answer (its endpoint or model failed)"),
  },
})

async function readBody(c: Context<AppEnv>): Promise<Body> {
  const json: unknown = await c.req.json().catch(() => {
    throw new HttpError(400, "bad_request", "Body must be JSON")
  })
  const parsed = bodySchema.safeParse(json)
  if (!parsed.success) {
    const { body } = validationError(parsed.error)
    throw new HttpError(422, body.error.code, body.error.message, {}, body.error.details)
  }
  return parsed.data
}

/** Writers only, as for every write; local development also lets a token-less request try the single bot. */
const writerOrLocal = createMiddleware<AppEnv>(async (c, next) => {
  if (!c.req.header("Authorization") && c.env.ENVIRONMENT === "development") return next()
  await requireAuth(c, async () => {
    await requireWriter(c, next)
  })
})

export const testMessageApp = new Hono<AppEnv>().post("/message", writerOrLocal, async (c) => {
  const body = await readBody(c)
  const input = { text: body.message, chatId: body.chatId }
  if (body.botId === undefined) {
    const platform = body.platform ?? defaultPlatform(c.env)
    const stub = await envBot(c.env, platform)
    if (!stub) throw new HttpError(404, "not_found", `No ${platform} bot is configured from the environment`)
    const out = await stub.testMessage(input)
    if (!out.ok) throw new HttpError(502, "handler_failed", out.message)
    return c.json({ platform, handler: "echo", replies: out.replies } satisfies z.input<typeof answerSchema>)
  }
  // A business's bot needs a token (the local shortcut above is only for the single bot).
  if (!c.var.auth) throw new HttpError(401, "unauthorized", "Missing bearer token", { "WWW-Authenticate": "Bearer" })
  const { bot, outcome: out } = orThrow(await createBotService(c.env, c.var.auth).testMessage(body.botId, input))
  if (!out.ok) throw new HttpError(502, "handler_failed", out.message)
  const answer = { botId: bot.id, platform: bot.platform, handler: bot.config.handler.type, replies: out.replies }
  return c.json(answer satisfies z.input<typeof answerSchema>)
})
