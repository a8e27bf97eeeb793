/** Telegram Bot API provider: secret-token webhooks, Update -> unified events, sends with Bot API error mapping. */

import { safeEqual } from "../lib/crypto"
import { utf8 } from "../lib/encoding"
import { fetchText } from "../lib/http"
import { err, ok, type Result } from "../lib/result"
import { DEFAULT_TIMEOUT_MS, retryAfterMs, transportError } from "./shared"
import { fromUpdate, parseJson } from "./telegram.parse"
import {
  type TelegramCredentials,
  type TelegramResponse,
  telegramCredentialsSchema,
  telegramResponseSchema,
  telegramSentMessageSchema,
  telegramUpdateListSchema,
  telegramUserSchema,
} from "./telegram.schema"
import type { BotRuntime, InboundMessage, MessagingProvider, OutboundMessage, ProviderError, ProviderIO } from "./types"

export type { TelegramCredentials } from "./telegram.schema"

type Bot = BotRuntime<TelegramCredentials>

/** https://core.telegram.org/bots/api#setwebhook: Telegram echoes `secret_token` in this header. */
export const TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
/** The updates `parse` turns into events; asking for no others keeps useless webhook traffic away. */
export const telegramAllowedUpdates = ["message", "edited_message", "channel_post", "callback_query"] as const

/** https://core.telegram.org/bots/api#sendmessage: 1-4096 characters after entities parsing. */
const TEXT_MAX = 4096
/** Telegram's callback_data limit is 64 bytes, not characters. */
const CALLBACK_DATA_MAX_BYTES = 64

const mediaMethods = {
  image: { method: "sendPhoto", field: "photo" },
  document: { method: "sendDocument", field: "document" },
  audio: { method: "sendAudio", field: "audio" },
  video: { method: "sendVideo", field: "video" },
} as const

/** Numeric ids go as numbers (as official clients send them); `@channelname` stays a string. */
function chatIdParam(chatId: string): number | string {
  const n = Number(chatId)
  return /^-?\d+$/.test(chatId) && Number.isSafeInteger(n) ? n : chatId
}

const badRequest = (message: string): ProviderError => ({ kind: "bad_request", message })

/** https://core.telegram.org/bots/api#inlinekeyboardmarkup */
function inlineKeyboard(rows: NonNullable<OutboundMessage["buttons"]>): Result<unknown, ProviderError> {
  const keyboard: Record<string, string>[][] = []
  for (const row of rows) {
    const out: Record<string, string>[] = []
    for (const b of row) {
      if (b.url !== undefined) {
        out.push({ text: b.text, url: b.url })
        continue
      }
      const data = b.data ?? b.text
      if (utf8(data).length > CALLBACK_DATA_MAX_BYTES) return err(badRequest(`button data over 64 bytes: "${b.text}"`))
      out.push({ text: b.text, callback_data: data })
    }
    keyboard.push(out)
  }
  return ok({ inline_keyboard: keyboard })
}

/** Maps an OutboundMessage to one Bot API call. */
function buildSend(msg: OutboundMessage): Result<{ method: string; body: Record<string, unknown> }, ProviderError> {
  if (msg.template) return err(badRequest("templates are WhatsApp-only"))
  const body: Record<string, unknown> = { chat_id: chatIdParam(msg.chatId) }
  if (msg.replyTo !== undefined) {
    if (!/^\d+$/.test(msg.replyTo)) return err(badRequest("replyTo must be a Telegram message_id"))
    // A deleted original must not turn the reply into a 400 that drops it.
    body.reply_parameters = { message_id: Number(msg.replyTo), allow_sending_without_reply: true }
  }
  if (msg.buttons) {
    const keyboard = inlineKeyboard(msg.buttons)
    if (!keyboard.ok) return keyboard
    body.reply_markup = keyboard.value
  }
  if (msg.text !== undefined) return ok({ method: "sendMessage", body: { ...body, text: msg.text } })
  if (msg.media) {
    const { method, field } = mediaMethods[msg.media.kind]
    body[field] = msg.media.url
    if (msg.media.caption !== undefined) body.caption = msg.media.caption
    return ok({ method, body })
  }
  return err(badRequest("nothing to send: one of text, media or template is required"))
}

/**
 * Classifies a failed Bot API call the way shared/platforms.md prescribes: 429 waits `retry_after`,
 * 401/404 (a bad token shows up as 404 on the method path) stop the bot, 403 drops, a migrated group resends.
 * @see https://core.telegram.org/bots/api#responseparameters
 */
export function classifyTelegramError(status: number, body: TelegramResponse | null, headers: Headers): ProviderError {
  const code = body?.error_code ?? status
  const base = { message: body?.description ?? `HTTP ${status}`, status, code: String(code) }
  if (code === 429) {
    const given = body?.parameters?.retry_after
    const wait = given === undefined ? retryAfterMs(headers) : given * 1000
    return { ...base, kind: "rate_limited", scope: "bot", ...(wait === undefined ? {} : { retryAfterMs: wait }) }
  }
  if (code === 401 || code === 404) return { ...base, kind: "unauthorized" }
  if (code === 403) return { ...base, kind: "forbidden" }
  const migrateTo = body?.parameters?.migrate_to_chat_id
  if (migrateTo !== undefined) return { ...base, kind: "migrated", migrateTo: String(migrateTo) }
  if (code === 400 && /chat not found/i.test(base.message)) return { ...base, kind: "not_found" }
  if (code >= 500) return { ...base, kind: "unavailable" }
  return { ...base, kind: "bad_request" }
}

/** One Bot API call: `POST {base}/bot{token}/{method}` with a JSON body; returns `result` or a ProviderError. */
async function callApi(
  bot: Bot,
  io: ProviderIO,
  method: string,
  payload: Record<string, unknown>,
): Promise<Result<unknown, ProviderError>> {
  const timeoutMs = io.timeoutMs ?? DEFAULT_TIMEOUT_MS
  let status: number
  let headers: Headers
  let text: string
  try {
    const res = await fetchText(
      io.fetch,
      `${bot.apiBase}/bot${bot.credentials.botToken}/${method}`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(payload),
      },
      timeoutMs,
    )
    status = res.status
    headers = res.headers
    text = res.text
  } catch (e) {
    // The token sits in the URL path: keep it out of any message that could reach a log.
    return err(transportError("Telegram", e, timeoutMs, bot.credentials.botToken))
  }
  const json = parseJson(text)
  const envelope = json.ok ? telegramResponseSchema.safeParse(json.value) : null
  if (!envelope?.success) {
    // A proxy's HTML error page or a truncated body: nothing says the call was refused, so retry it.
    if (status === 429) return err(classifyTelegramError(status, null, headers))
    return err({ kind: "unavailable", message: `Telegram answered HTTP ${status} without a Bot API body`, status })
  }
  if (envelope.data.ok) return ok(envelope.data.result)
  return err(classifyTelegramError(status, envelope.data, headers))
}

const done = (r: Result<unknown, ProviderError>): Result<void, ProviderError> => (r.ok ? ok(undefined) : r)

/**
 * Telegram Bot API provider.
 * @see https://core.telegram.org/bots/api and shared/platforms.md ("Telegram Bot API")
 */
export const telegram: MessagingProvider<TelegramCredentials> = {
  platform: "telegram",
  displayName: "Telegram",
  credentialsSchema: telegramCredentialsSchema,
  publicCredentialFields: [] satisfies (keyof TelegramCredentials)[],
  // Bot FAQ: about 1 msg/s per chat, 20/min per group, 30/s per bot.
  limits: { perChatIntervalMs: 1000, perBotPerSecond: 30, perGroupPerMinute: 20 },
  webhookPath: (botId) => `/webhooks/telegram/${botId}`,
  apiBaseEnv: "TELEGRAM_API_BASE",
  defaultApiBase: "https://api.telegram.org",
  webhookHeaders: [TELEGRAM_SECRET_HEADER.toLowerCase()],
  fromEnv: (vars) => {
    const botToken = vars("TELEGRAM_BOT_TOKEN")
    if (!botToken) return null
    const webhookUrl = vars("TELEGRAM_WEBHOOK_URL")
    const interval = Number(vars("TELEGRAM_POLLING_INTERVAL") ?? 1000)
    const polling = /^(true|1|yes)$/i.test(vars("TELEGRAM_POLLING") ?? "")
      ? { intervalMs: Number.isFinite(interval) ? Math.min(60_000, Math.max(0, Math.round(interval))) : 1000 }
      : undefined
    return { credentials: { botToken }, ...(webhookUrl ? { webhookUrl } : {}), ...(polling ? { polling } : {}) }
  },
  /**
   * https://core.telegram.org/bots/api#getme: a revoked or made-up token answers 401. The account is the bot's
   * user id (the part of the token before `:`): a regenerated token of the same bot is the same account.
   */
  async checkCredentials(bot, io) {
    const me = await callApi(bot, io, "getMe", {})
    if (!me.ok) return me
    const user = telegramUserSchema.safeParse(me.value)
    if (!user.success) return err({ kind: "unavailable", message: "Telegram answered getMe without a bot id" })
    return ok({ accountKey: String(user.data.id) })
  },

  // No `escapeText`: text is sent without parse_mode, so Telegram shows it exactly as written.

  checkMessage(msg) {
    // Telegram counts a message's length in UTF-16 code units, as JavaScript's `length` does.
    if (msg.text !== undefined && msg.text.length > TEXT_MAX)
      return { path: "text", message: `Telegram allows ${TEXT_MAX} characters (UTF-16 code units) per message` }
    if (msg.template) return { path: "template", message: "templates are WhatsApp-only" }
    const built = buildSend(msg)
    if (!built.ok)
      return {
        path: msg.buttons ? "buttons" : msg.replyTo !== undefined ? "replyTo" : "body",
        message: built.error.message,
      }
    return null
  },

  async verify(req, _rawBody, bot) {
    const given = req.headers.get(TELEGRAM_SECRET_HEADER)
    if (given === null) return err({ kind: "unauthorized", message: `missing ${TELEGRAM_SECRET_HEADER}` })
    // An empty configured secret must never match an empty header.
    if (bot.webhookSecret === "" || !safeEqual(given, bot.webhookSecret)) {
      return err({ kind: "unauthorized", message: "webhook secret token does not match" })
    }
    return ok(undefined)
  },

  parse(rawBody, bot) {
    const json = parseJson(rawBody)
    return json.ok ? fromUpdate(json.value, bot) : err(json.error)
  },

  /**
   * https://core.telegram.org/bots/api#getupdates: long polling from `offset` (the cursor), which confirms every
   * update before it. An update that does not parse is skipped, not retried: it would block every later one.
   */
  async poll(bot, io, cursor, waitSeconds) {
    const payload: Record<string, unknown> = {
      timeout: waitSeconds,
      limit: 100,
      allowed_updates: telegramAllowedUpdates,
    }
    if (cursor !== null) payload.offset = Number(cursor)
    // The call itself may take the whole long-poll wait: give it that on top of the usual deadline.
    const result = await callApi(
      bot,
      { ...io, timeoutMs: (io.timeoutMs ?? DEFAULT_TIMEOUT_MS) + waitSeconds * 1000 },
      "getUpdates",
      payload,
    )
    if (!result.ok) return result
    const updates = telegramUpdateListSchema.safeParse(result.value)
    if (!updates.success) return err({ kind: "unavailable", message: "Telegram answered getUpdates without updates" })
    const events: InboundMessage[] = []
    let next = cursor
    for (const raw of updates.data) {
      next = String(raw.update_id + 1)
      const parsed = fromUpdate(raw, bot)
      if (parsed.ok) events.push(...parsed.value)
    }
    return ok({ events, cursor: next })
  },

  async send(msg, bot, io) {
    const call = buildSend(msg)
    if (!call.ok) return call
    const result = await callApi(bot, io, call.value.method, call.value.body)
    if (!result.ok) return result
    const sent = telegramSentMessageSchema.safeParse(result.value)
    if (!sent.success) return err({ kind: "unavailable", message: "Telegram answered ok without a message_id" })
    return ok({ platformMessageId: String(sent.data.message_id) })
  },

  /** https://core.telegram.org/bots/api#setwebhook */
  async setup(bot, io) {
    return done(
      await callApi(bot, io, "setWebhook", {
        url: bot.webhookUrl,
        secret_token: bot.webhookSecret,
        allowed_updates: telegramAllowedUpdates,
        max_connections: 40,
      }),
    )
  },

  /** https://core.telegram.org/bots/api#deletewebhook */
  async teardown(bot, io) {
    return done(await callApi(bot, io, "deleteWebhook", {}))
  },

  /** Clients show a spinner on the pressed button until answerCallbackQuery arrives. */
  async acknowledge(event, bot, io) {
    if (event.kind !== "interactive" || event.interactive.callbackQueryId === undefined) return ok(undefined)
    const id = event.interactive.callbackQueryId
    return done(await callApi(bot, io, "answerCallbackQuery", { callback_query_id: id }))
  },
}
