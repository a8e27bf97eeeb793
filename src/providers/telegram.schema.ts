/** zod schemas for the Telegram Bot API payloads Switchboard reads: only the fields used, unknown keys ignored. */
import { z } from "zod"

/**
 * Credentials for `POST /api/bots`: the token BotFather issues, `<bot id>:<secret>`.
 * @see https://core.telegram.org/bots/api#authorizing-your-bot
 */
export const telegramCredentialsSchema = z.object({
  botToken: z
    .string()
    .regex(/^\d+:[A-Za-z0-9_-]{20,}$/, "expected a BotFather token such as 123456789:AAE...")
    .meta({
      title: "Bot token",
      description: "From @BotFather in Telegram: /newbot for a new bot, /token for an existing one.",
      examples: ["110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"],
    }),
})
export type TelegramCredentials = z.infer<typeof telegramCredentialsSchema>

// Everything below is optional unless Switchboard cannot work without it: a stricter schema would turn a
// payload change on Telegram's side into a 4xx, and Telegram would then hold back that chat's updates for 24 h.

const user = z.object({
  id: z.number().int(),
  is_bot: z.boolean().optional(),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  username: z.string().optional(),
  language_code: z.string().optional(),
})

const chat = z.object({
  id: z.number().int(),
  type: z.string(),
  title: z.string().optional(),
  username: z.string().optional(),
})

const file = z.object({
  file_id: z.string(),
  file_unique_id: z.string().optional(),
  file_name: z.string().optional(),
  mime_type: z.string().optional(),
})

/** https://core.telegram.org/bots/api#photosize: sizes arrive smallest first, largest last. */
const photoSize = file.extend({ width: z.number().optional(), height: z.number().optional() })

const inlineKeyboard = z.object({
  inline_keyboard: z.array(z.array(z.object({ text: z.string(), callback_data: z.string().optional() }))),
})

/** @see https://core.telegram.org/bots/api#message */
export const telegramMessageSchema = z.object({
  message_id: z.number().int(),
  date: z.number().int(),
  chat,
  from: user.optional(),
  message_thread_id: z.number().int().optional(),
  text: z.string().optional(),
  caption: z.string().optional(),
  photo: z.array(photoSize).optional(),
  document: file.optional(),
  audio: file.optional(),
  voice: file.optional(),
  video: file.optional(),
  video_note: file.optional(),
  sticker: file.extend({ emoji: z.string().optional() }).optional(),
  location: z.object({ latitude: z.number(), longitude: z.number() }).optional(),
  contact: z
    .object({
      phone_number: z.string(),
      first_name: z.string(),
      last_name: z.string().optional(),
      user_id: z.number().int().optional(),
    })
    .optional(),
  reply_to_message: z.object({ message_id: z.number().int() }).optional(),
  reply_markup: inlineKeyboard.optional(),
})
export type TelegramMessage = z.infer<typeof telegramMessageSchema>

/** @see https://core.telegram.org/bots/api#callbackquery (`message` may be an inaccessible one with date 0). */
export const telegramCallbackQuerySchema = z.object({
  id: z.string(),
  from: user,
  chat_instance: z.string().optional(),
  message: z
    .object({
      message_id: z.number().int(),
      date: z.number().int(),
      chat,
      reply_markup: inlineKeyboard.optional(),
    })
    .optional(),
  inline_message_id: z.string().optional(),
  data: z.string().optional(),
})
export type TelegramCallbackQuery = z.infer<typeof telegramCallbackQuerySchema>

/** @see https://core.telegram.org/bots/api#update: exactly one optional field besides `update_id` is set. */
export const telegramUpdateSchema = z.object({
  update_id: z.number().int(),
  message: telegramMessageSchema.optional(),
  edited_message: telegramMessageSchema.optional(),
  channel_post: telegramMessageSchema.optional(),
  edited_channel_post: telegramMessageSchema.optional(),
  callback_query: telegramCallbackQuerySchema.optional(),
})
export type TelegramUpdate = z.infer<typeof telegramUpdateSchema>

/**
 * Every Bot API answer: `{ ok: true, result }` or `{ ok: false, error_code, description, parameters? }`.
 * @see https://core.telegram.org/bots/api#making-requests
 */
export const telegramResponseSchema = z.object({
  ok: z.boolean(),
  result: z.unknown().optional(),
  error_code: z.number().int().optional(),
  description: z.string().optional(),
  parameters: z
    .object({
      retry_after: z.number().optional(),
      migrate_to_chat_id: z.number().int().optional(),
    })
    .optional(),
})
export type TelegramResponse = z.infer<typeof telegramResponseSchema>

/** The part of a sent Message we keep. */
export const telegramSentMessageSchema = z.object({ message_id: z.number().int() })

/** The part of getMe's User we keep: the bot's own id. @see https://core.telegram.org/bots/api#getme */
export const telegramUserSchema = z.object({ id: z.number().int() })

/** getUpdates' result: only `update_id` is needed to move the offset; each update is parsed on its own. */
export const telegramUpdateListSchema = z.array(z.looseObject({ update_id: z.number().int() }))
