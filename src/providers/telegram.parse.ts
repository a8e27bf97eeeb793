/** Telegram inbound: an Update (from a webhook or getUpdates) as unified events. Pure: no I/O. */
import type { z } from "zod"
import { err, ok, type Result } from "../lib/result"
import { compact } from "./shared"
import {
  type TelegramCallbackQuery,
  type TelegramCredentials,
  type TelegramMessage,
  telegramUpdateSchema,
} from "./telegram.schema"
import type { BotRuntime, ConversationKind, InboundContent, InboundMessage, ParseError } from "./types"

type Bot = BotRuntime<TelegramCredentials>

/** https://core.telegram.org/bots/api#chat: private, group, supergroup or channel. */
function conversationOf(type: string | undefined): ConversationKind {
  if (type === "group" || type === "supergroup") return "group"
  return type === "channel" ? "channel" : "direct"
}

/** Reads a Message's payload in the order Telegram documents it; a message carries one of these at most. */
function content(m: TelegramMessage): InboundContent {
  const caption = m.caption
  const largest = m.photo?.at(-1)
  if (largest) return { kind: "image", media: { id: largest.file_id, caption } }
  const file = (f: NonNullable<TelegramMessage["document"]>) => ({
    id: f.file_id,
    mimeType: f.mime_type,
    fileName: f.file_name,
    caption,
  })
  if (m.document) return { kind: "document", media: file(m.document) }
  if (m.audio) return { kind: "audio", media: file(m.audio) }
  if (m.voice) return { kind: "voice", media: file(m.voice) }
  if (m.video) return { kind: "video", media: file(m.video) }
  if (m.video_note) return { kind: "video", media: file(m.video_note) }
  if (m.sticker) return { kind: "sticker", media: file(m.sticker) }
  if (m.location)
    return { kind: "location", location: { latitude: m.location.latitude, longitude: m.location.longitude } }
  if (m.contact) {
    const c = m.contact
    const name = [c.first_name, c.last_name].filter(Boolean).join(" ")
    return {
      kind: "contact",
      contact: { name, phone: c.phone_number, userId: c.user_id === undefined ? undefined : String(c.user_id) },
    }
  }
  // Service messages (members joining, pins, ...) and kinds we do not model still reach the handler.
  return { kind: m.text === undefined ? "unsupported" : "text" }
}

function fromMessage(updateId: number, m: TelegramMessage, bot: Bot, edited: boolean): InboundMessage {
  const from = m.from
  const fullName = [from?.first_name, from?.last_name].filter(Boolean).join(" ")
  const event: InboundMessage = {
    eventId: String(updateId),
    botId: bot.botId,
    platform: "telegram",
    ...content(m),
    messageId: String(m.message_id),
    chatId: String(m.chat.id),
    conversation: conversationOf(m.chat.type),
    // Channel posts have no sender: the channel itself speaks.
    userId: String(from?.id ?? m.chat.id),
    userName: fullName || m.chat.title || undefined,
    text: m.text ?? m.caption ?? "",
    timestamp: m.date * 1000,
    metadata: compact({
      chatType: m.chat.type,
      chatTitle: m.chat.title,
      messageThreadId: m.message_thread_id,
      username: from?.username ?? m.chat.username,
      languageCode: from?.language_code,
      replyTo: m.reply_to_message === undefined ? undefined : String(m.reply_to_message.message_id),
    }),
  }
  if (edited) event.edited = true
  return event
}

function fromCallbackQuery(updateId: number, q: TelegramCallbackQuery, bot: Bot): InboundMessage {
  const data = q.data ?? ""
  // The query carries only callback_data; the button's label is found in the keyboard it was pressed on.
  const title = q.message?.reply_markup?.inline_keyboard.flat().find((b) => b.callback_data === q.data)?.text
  const fullName = [q.from.first_name, q.from.last_name].filter(Boolean).join(" ")
  return {
    eventId: String(updateId),
    botId: bot.botId,
    platform: "telegram",
    kind: "interactive",
    messageId: String(q.message?.message_id ?? q.id),
    // Inline-mode queries have no message: the presser's private chat is the only place to answer.
    chatId: String(q.message?.chat.id ?? q.from.id),
    conversation: conversationOf(q.message?.chat.type),
    userId: String(q.from.id),
    userName: fullName || undefined,
    // What the person saw on the button; the attached data stays in `interactive.id`.
    text: title ?? data,
    // Telegram gives no press time; the date of the message holding the button keeps parse pure.
    timestamp: (q.message?.date ?? 0) * 1000,
    interactive: { id: data, title, callbackQueryId: q.id },
    metadata: compact({
      chatType: q.message?.chat.type,
      username: q.from.username,
      languageCode: q.from.language_code,
      inlineMessageId: q.inline_message_id,
    }),
  }
}

/** One Update, from a webhook body or a getUpdates result, as unified events. */
export function fromUpdate(json: unknown, bot: Bot): Result<InboundMessage[], ParseError> {
  const parsed = telegramUpdateSchema.safeParse(json)
  if (!parsed.success) return err({ message: `not a Telegram Update: ${describe(parsed.error)}` })
  const u = parsed.data
  if (u.message) return ok([fromMessage(u.update_id, u.message, bot, false)])
  if (u.edited_message) return ok([fromMessage(u.update_id, u.edited_message, bot, true)])
  if (u.channel_post) return ok([fromMessage(u.update_id, u.channel_post, bot, false)])
  if (u.edited_channel_post) return ok([fromMessage(u.update_id, u.edited_channel_post, bot, true)])
  if (u.callback_query) return ok([fromCallbackQuery(u.update_id, u.callback_query, bot)])
  // my_chat_member, poll, ...: valid updates with nothing for a handler; acknowledge and move on.
  return ok([])
}

function describe(error: z.ZodError): string {
  const issue = error.issues[0]
  return issue ? `${issue.path.join(".") || "body"}: ${issue.message}` : "invalid"
}

export function parseJson(raw: string): Result<unknown, ParseError> {
  try {
    return ok(JSON.parse(raw))
  } catch {
    return err({ message: "body is not valid JSON" })
  }
}
