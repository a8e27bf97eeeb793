// Fake Telegram send methods (sendMessage, sendPhoto, ...): Bot API validation, flood limits and realistic Messages.
import { type FakeState, retrySeconds } from "./control.ts"
import { isRecord, json, type Params, parseJson, type Reply } from "./http.ts"

/** Per-token state of the fake Bot API. */
export interface TelegramBot {
  token: string
  botId: number
  webhook?: Webhook
  /** Updates waiting for getUpdates (delivered while no webhook was set). */
  updates: Record<string, unknown>[]
  nextUpdateId: number
  /** message_id counters per chat: Telegram numbers messages per chat, incoming and outgoing alike. */
  messageIds: Map<string, number>
  poller?: { offset: number; limit: number; resolve(reply: Reply): void; timer: ReturnType<typeof setTimeout> }
}

export interface Webhook {
  url: string
  secret_token?: string
  max_connections: number
  allowed_updates?: string[]
  last_error_date?: number
  last_error_message?: string
}

/** `{ ok: false, error_code, description, parameters? }` with the HTTP status equal to error_code. */
export function tgError(
  code: number,
  description: string,
  parameters?: Record<string, number>,
  headers?: Record<string, string>,
): Reply {
  const body: Record<string, unknown> = { ok: false, error_code: code, description }
  if (parameters) body.parameters = parameters
  return json(code, body, headers)
}

export function tgOk(result: unknown, description?: string): Reply {
  return json(200, description === undefined ? { ok: true, result } : { ok: true, result, description })
}

export function tooManyRequests(seconds: number, description?: string): Reply {
  return tgError(
    429,
    description ?? `Too Many Requests: retry after ${seconds}`,
    { retry_after: seconds },
    {
      "Retry-After": String(seconds),
    },
  )
}

export function botUser(bot: TelegramBot): Record<string, unknown> {
  return { id: bot.botId, is_bot: true, first_name: "Fake Bot", username: `fake_${bot.botId}_bot` }
}

export function nextMessageId(bot: TelegramBot, chat: string): number {
  const id = (bot.messageIds.get(chat) ?? 0) + 1
  bot.messageIds.set(chat, id)
  return id
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

/** A numeric chat id, or an @username (public channel); anything else is not a chat. */
export function parseChatId(v: unknown): { key: string; id: number; username?: string } | undefined {
  if (typeof v === "number" && Number.isSafeInteger(v)) return { key: String(v), id: v }
  if (typeof v !== "string") return undefined
  if (/^-?\d{1,16}$/.test(v)) return { key: String(Number(v)), id: Number(v) }
  const username = /^@([A-Za-z][A-Za-z0-9_]{3,31})$/.exec(v)?.[1]
  if (!username) return undefined
  let hash = 0
  for (const c of username.toLowerCase()) hash = (hash * 31 + (c.codePointAt(0) ?? 0)) % 1_000_000_000
  return { key: v.toLowerCase(), id: -1_001_000_000_000 - hash, username }
}

export function chatOf(chat: { id: number; username?: string }): Record<string, unknown> {
  if (chat.username) return { id: chat.id, title: chat.username, username: chat.username, type: "channel" }
  if (chat.id > 0) return { id: chat.id, first_name: "Test", last_name: "User", type: "private" }
  if (String(chat.id).startsWith("-100")) return { id: chat.id, title: "Fake Supergroup", type: "supergroup" }
  return { id: chat.id, title: "Fake Group", type: "group" }
}

/** Telegram accepts JSON-serialized objects in form fields; JSON bodies carry them as objects. */
export function objectParam(v: unknown): unknown {
  return typeof v === "string" && /^\s*[[{]/.test(v) ? parseJson(v) : v
}

const media = { sendphoto: "photo", senddocument: "document", sendaudio: "audio", sendvideo: "video" } as const
export const sendMethods = new Set(["sendmessage", ...Object.keys(media)])

/** sendMessage / sendPhoto / sendDocument / sendAudio / sendVideo (`method` lower-cased). */
export function send(bot: TelegramBot, method: string, params: Params, state: FakeState): Reply {
  if (params.chat_id === undefined || params.chat_id === "") return tgError(400, "Bad Request: chat_id is empty")
  const chat = parseChatId(params.chat_id)
  if (!chat) return tgError(400, "Bad Request: chat not found")
  const message: Record<string, unknown> = { message_id: 0, from: botUser(bot), chat: chatOf(chat), date: 0 }
  const invalid = method === "sendmessage" ? textContent(params, message) : mediaContent(method, params, message)
  if (invalid) return invalid
  const markup = replyMarkup(params.reply_markup)
  if (markup instanceof Error) return tgError(400, markup.message)
  if (markup) message.reply_markup = markup
  if (params.message_thread_id !== undefined) message.message_thread_id = Number(params.message_thread_id)

  const limited = floodCheck(bot.token, chat, state)
  if (limited) {
    state.rejectByLimit(bot.token)
    return limited
  }
  const content = JSON.stringify([
    method,
    params.text,
    params.caption,
    params.photo,
    params.document,
    params.audio,
    params.video,
  ])
  state.accept(bot.token, chat.key, content)
  message.message_id = nextMessageId(bot, chat.key)
  message.date = nowSeconds()
  return tgOk(message)
}

function textContent(params: Params, message: Record<string, unknown>): Reply | undefined {
  const text = params.text === undefined || params.text === null ? "" : String(params.text)
  if (text.trim().length === 0) return tgError(400, "Bad Request: message text is empty")
  if (text.length > 4096) return tgError(400, "Bad Request: message is too long")
  const parseMode = params.parse_mode
  if (parseMode !== undefined && parseMode !== "" && !/^(html|markdown|markdownv2)$/i.test(String(parseMode))) {
    return tgError(400, `Bad Request: unsupported parse_mode "${String(parseMode)}"`)
  }
  message.text = text
  return undefined
}

function mediaContent(method: string, params: Params, message: Record<string, unknown>): Reply | undefined {
  const field = media[method as keyof typeof media]
  const value = params[field]
  if (value === undefined || value === null || value === "") {
    return tgError(400, `Bad Request: there is no ${field} in the request`)
  }
  if (params.caption !== undefined && String(params.caption).length > 1024) {
    return tgError(400, "Bad Request: message caption is too long")
  }
  const fileId = `Fake${field}${Math.random().toString(36).slice(2, 12)}`
  const file = { file_id: fileId, file_unique_id: fileId.slice(-10) }
  const name = isRecord(value) && typeof value.filename === "string" ? value.filename : String(value).split("/").pop()
  if (field === "photo") {
    message.photo = [
      { ...file, file_id: `${fileId}s`, width: 90, height: 90, file_size: 1_200 },
      { ...file, width: 1280, height: 960, file_size: 98_000 },
    ]
  } else if (field === "document") {
    message.document = { ...file, file_name: name, mime_type: "application/octet-stream", file_size: 10_000 }
  } else if (field === "audio") {
    message.audio = { ...file, duration: 30, file_name: name, mime_type: "audio/mpeg" }
  } else {
    message.video = { ...file, width: 1280, height: 720, duration: 10, mime_type: "video/mp4" }
  }
  if (params.caption !== undefined && params.caption !== "") message.caption = String(params.caption)
  return undefined
}

/** reply_markup as Telegram checks it: inline buttons need a text and callback_data of 1-64 bytes. */
function replyMarkup(v: unknown): Record<string, unknown> | Error | undefined {
  if (v === undefined || v === null || v === "") return undefined
  const markup = objectParam(v)
  if (!isRecord(markup)) return new Error("Bad Request: can't parse reply keyboard markup JSON object")
  const rows = markup.inline_keyboard
  if (rows === undefined) return undefined
  if (!Array.isArray(rows) || !rows.every(Array.isArray)) {
    return new Error('Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
  }
  for (const row of rows) {
    for (const button of row) {
      if (!isRecord(button) || typeof button.text !== "string") {
        return new Error("Bad Request: can't parse inline keyboard button: Text must be a String")
      }
      const data = button.callback_data
      if (data !== undefined) {
        const bytes = new TextEncoder().encode(String(data)).length
        if (bytes < 1 || bytes > 64) return new Error("Bad Request: BUTTON_DATA_INVALID")
      } else if (button.url === undefined && button.switch_inline_query === undefined && button.web_app === undefined) {
        return new Error(
          "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
        )
      }
    }
  }
  return markup
}

/** The limits set with /__fake/limits: per chat interval, per group per minute, per bot per second. */
function floodCheck(token: string, chat: { key: string; id: number }, state: FakeState): Reply | undefined {
  const limits = state.limitsFor(token)
  const retry = retrySeconds(limits.retryAfterSeconds)
  if (limits.perChatIntervalMs && state.recentSends(token, limits.perChatIntervalMs, chat.key).length > 0) {
    return tooManyRequests(retry)
  }
  if (
    limits.groupPerMinute &&
    chat.id < 0 &&
    state.recentSends(token, 60_000, chat.key).length >= limits.groupPerMinute
  ) {
    return tooManyRequests(retry)
  }
  if (limits.perSecond && state.recentSends(token, 1_000).length >= limits.perSecond) return tooManyRequests(retry)
  return undefined
}
