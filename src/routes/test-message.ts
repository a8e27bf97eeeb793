/**
 * `POST /test/message`: runs a message through a bot's handler and returns the reply, sending nothing to the
 * platform. Writers only: the handler may call the business's endpoint or a paid AI model.
 */
import { Hono } from "hono"
import { z } from "zod"
import { requireAuth, requireWriter } from "../auth/jwt"
import type { AppEnv } from "../env"
import { HttpError, orThrow, validationError } from "../lib/errors"
import { createBotService } from "../services/bot-service"

const bodySchema = z.object({
  message: z.string().min(1).max(4096),
  botId: z.string().min(1).max(64),
  chatId: z.string().min(1).max(128).default("test-chat"),
  platform: z.string().optional(),
})

export const testMessageApp = new Hono<AppEnv>().post("/message", requireAuth, requireWriter, async (c) => {
  const json: unknown = await c.req.json().catch(() => {
    throw new HttpError(400, "bad_request", "Body must be JSON")
  })
  const parsed = bodySchema.safeParse(json)
  if (!parsed.success) {
    const { body, status } = validationError(parsed.error)
    return c.json(body, status)
  }
  const { bot, outcome: out } = orThrow(
    await createBotService(c.env, c.var.auth).testMessage(parsed.data.botId, {
      text: parsed.data.message,
      chatId: parsed.data.chatId,
    }),
  )
  if (!out.ok) throw new HttpError(502, "handler_failed", out.message)
  return c.json({ botId: bot.id, platform: bot.platform, handler: bot.config.handler.type, replies: out.replies })
})
