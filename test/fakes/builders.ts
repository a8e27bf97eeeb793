// Realistic inbound payloads (Telegram Update, WhatsApp webhook event) and the platforms' signing, for tests, the bench
// and the sim CLI. Plain JS and WebCrypto only: it runs in workerd tests and in Node alike.

export interface TelegramTextInput {
  chatId: number
  text: string
  /** Omitted: the fake fills update_id (increasing per bot), message_id (per chat) and date on deliver. */
  updateId?: number
  messageId?: number
  fromId?: number
  firstName?: string
  username?: string
  chatType?: "private" | "group" | "supergroup" | "channel"
}

/** `{ update_id, message: { message_id, date, chat, from, text } }` as the Bot API sends it. */
export function telegramTextUpdate(input: TelegramTextInput): Record<string, unknown> {
  const type = input.chatType ?? (input.chatId > 0 ? "private" : "group")
  const fromId = input.fromId ?? (input.chatId > 0 ? input.chatId : 7_000_001)
  const from: Record<string, unknown> = {
    id: fromId,
    is_bot: false,
    first_name: input.firstName ?? "Test",
    language_code: "en",
  }
  if (input.username) from.username = input.username
  const chat: Record<string, unknown> =
    type === "private"
      ? { id: input.chatId, first_name: from.first_name, type }
      : { id: input.chatId, title: "Test Group", type }
  if (type === "private" && input.username) chat.username = input.username
  const message: Record<string, unknown> = { chat, from, text: input.text }
  if (input.messageId !== undefined) message.message_id = input.messageId
  if (input.text.startsWith("/")) {
    message.entities = [{ type: "bot_command", offset: 0, length: input.text.split(/\s/)[0]?.length ?? 1 }]
  }
  const update: Record<string, unknown> = { message }
  if (input.updateId !== undefined) update.update_id = input.updateId
  return update
}

/** A callback_query update, as sent when a user presses an inline keyboard button. */
export function telegramCallbackUpdate(input: { chatId: number; data: string; updateId?: number; messageId?: number }) {
  const from = { id: input.chatId, is_bot: false, first_name: "Test" }
  const update: Record<string, unknown> = {
    callback_query: {
      id: String(Math.floor(Math.random() * 1e18)),
      from,
      chat_instance: String(-Math.floor(Math.random() * 1e18)),
      data: input.data,
      message: {
        message_id: input.messageId ?? 1,
        date: Math.floor(Date.now() / 1000),
        chat: { id: input.chatId, first_name: "Test", type: "private" },
        text: "(the message with the keyboard)",
      },
    },
  }
  if (input.updateId !== undefined) update.update_id = input.updateId
  return update
}

export interface WhatsAppTextInput {
  phoneNumberId: string
  from: string
  text: string
  /** Default: a fresh wamid. */
  id?: string
  name?: string
  wabaId?: string
  timestamp?: number
}

function wamid(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24))
  return `wamid.HBgL${btoa(String.fromCharCode(...bytes))}`
}

function envelope(phoneNumberId: string, wabaId: string | undefined, value: Record<string, unknown>) {
  return {
    object: "whatsapp_business_account",
    entry: [
      {
        id: wabaId ?? "102290129340398",
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: "15550100000", phone_number_id: phoneNumberId },
              ...value,
            },
          },
        ],
      },
    ],
  }
}

/** A Cloud API `messages` webhook carrying one inbound text message. */
export function whatsappTextEvent(input: WhatsAppTextInput) {
  return envelope(input.phoneNumberId, input.wabaId, {
    contacts: [{ profile: { name: input.name ?? "Test User" }, wa_id: input.from }],
    messages: [
      {
        from: input.from,
        id: input.id ?? wamid(),
        timestamp: String(input.timestamp ?? Math.floor(Date.now() / 1000)),
        type: "text",
        text: { body: input.text },
      },
    ],
  })
}

/** A Cloud API status webhook (sent / delivered / read / failed) for an outbound message. */
export function whatsappStatusEvent(input: {
  phoneNumberId: string
  messageId: string
  recipient: string
  status: "sent" | "delivered" | "read" | "failed"
  errors?: { code: number; title: string }[]
}) {
  const status: Record<string, unknown> = {
    id: input.messageId,
    status: input.status,
    timestamp: String(Math.floor(Date.now() / 1000)),
    recipient_id: input.recipient,
  }
  if (input.errors) status.errors = input.errors
  return envelope(input.phoneNumberId, undefined, { statuses: [status] })
}

/** Hex HMAC-SHA256: WhatsApp's `X-Hub-Signature-256` and Switchboard's own forward signature. */
export async function hmacSha256Hex(secret: string, data: string | Uint8Array): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  )
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, bytes as Uint8Array<ArrayBuffer>))
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("")
}

/** `X-Hub-Signature-256` as Meta sends it: `sha256=<hex HMAC of the exact body bytes with the app secret>`. */
export async function whatsappSignature(appSecret: string, body: string | Uint8Array): Promise<string> {
  return `sha256=${await hmacSha256Hex(appSecret, body)}`
}

/** Discord's epoch (2015-01-01), the base of snowflake timestamps. */
const DISCORD_EPOCH = 1_420_070_400_000n
let snowflakeCounter = 0n

/** A fresh Discord snowflake id (ms since Discord's epoch << 22, then a counter). */
export function discordSnowflake(at = Date.now()): string {
  snowflakeCounter = (snowflakeCounter + 1n) & 0x3fffffn
  return String(((BigInt(at) - DISCORD_EPOCH) << 22n) | snowflakeCounter)
}

const base64url = (s: string) => btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")

/**
 * A bot token shaped like Discord's: base64 of the bot user's id, a timestamp part and an HMAC part. The fake reads the
 * bot user id (= the application id) back from the first part; a unique one per call unless `userId` is given.
 */
export function randomDiscordToken(userId = discordSnowflake()): string {
  const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
  const random = (n: number) =>
    Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => chars[b % chars.length]).join("")
  return `${base64url(userId)}.${random(6)}.${random(38)}`
}

/** The bot user id a Discord-shaped token names (its first part), or null. */
export function discordUserIdOf(token: string): string | null {
  const first = token.split(".")[0] ?? ""
  try {
    const id = atob(first.replace(/-/g, "+").replace(/_/g, "/"))
    return /^\d{1,20}$/.test(id) ? id : null
  } catch {
    return null
  }
}

/** Hex Ed25519 signature of `timestamp + body`, as Discord signs an interaction (X-Signature-Ed25519). */
export async function discordSignature(
  privateKey: Parameters<typeof crypto.subtle.sign>[1],
  timestamp: string,
  body: string,
): Promise<string> {
  const sig = await crypto.subtle.sign({ name: "Ed25519" }, privateKey, new TextEncoder().encode(timestamp + body))
  return Array.from(new Uint8Array(sig), (b) => b.toString(16).padStart(2, "0")).join("")
}
