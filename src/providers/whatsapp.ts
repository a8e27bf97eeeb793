/** WhatsApp Cloud API provider: signed app webhooks, envelope -> unified events, Graph sends classified by error code. */
import { hmacSha256Hex, safeEqual } from "../lib/crypto"
import { fromUtf8 } from "../lib/encoding"
import { err, ok, type Result } from "../lib/result"
import { compact } from "./shared"
import {
  type BotRuntime,
  deliveryStatuses,
  type InboundContent,
  type InboundMessage,
  type InboundRequest,
  type MessagingProvider,
  type ParseError,
  type VerifyError,
  type WebhookReply,
} from "./types"
import {
  whatsappMessageBodies as bodies,
  type WhatsAppCredentials,
  type WhatsAppEnvelope,
  whatsappContactSchema,
  whatsappCredentialsSchema,
  whatsappEnvelopeSchema,
  whatsappMessageBaseSchema,
  whatsappMessagesValueSchema,
  whatsappStatusSchema,
  whatsappValueMetadataSchema,
} from "./whatsapp.schema"
import { checkPhoneNumber, sendWhatsApp, whatsappSendBody } from "./whatsapp.send"

export type { WhatsAppCredentials } from "./whatsapp.schema"
export { classifyWhatsAppError, whatsappSendBody } from "./whatsapp.send"

type Bot = BotRuntime<WhatsAppCredentials>
type Contact = ReturnType<typeof whatsappContactSchema.parse>
/** A message's kind, payload and the text a handler reads. */
type Content = InboundContent & { text: string }

/** https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages: text body up to 4096 characters. */
const TEXT_MAX = 4096

/** https://developers.facebook.com/docs/graph-api/webhooks/getting-started#event-notifications */
export const WHATSAPP_SIGNATURE_HEADER = "X-Hub-Signature-256"

function readEnvelope(rawBody: string): Result<WhatsAppEnvelope, ParseError> {
  let json: unknown
  try {
    json = JSON.parse(rawBody)
  } catch {
    return err({ message: "body is not valid JSON" })
  }
  const parsed = whatsappEnvelopeSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    return err({
      message: `not a WhatsApp webhook: ${issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid"}`,
    })
  }
  return ok(parsed.data)
}

function phoneNumberIdOf(value: unknown): string | null {
  const parsed = whatsappValueMetadataSchema.safeParse(value)
  return parsed.success ? parsed.data.metadata.phone_number_id : null
}

/**
 * Distinct `metadata.phone_number_id`s in a webhook POST, or null when it is not one. One app-level webhook
 * serves every number of the app, so the worker routes each to its bot by this key (no D1 on the hot path).
 */
export function whatsappRoutingKeys(rawBody: string): string[] | null {
  const envelope = readEnvelope(rawBody)
  if (!envelope.ok) return null
  const keys = new Set<string>()
  for (const entry of envelope.value.entry) {
    for (const change of entry.changes) {
      const id = phoneNumberIdOf(change.value)
      if (id !== null) keys.add(id)
    }
  }
  return [...keys]
}

/**
 * Splits a multi-number POST into one envelope per phone_number_id, keeping every field Meta sent, so each bot
 * stores only its own share of a batch of up to 3 MB. Call after verifying: the pieces are no longer signed.
 */
export function splitByPhoneNumber(rawBody: string): Map<string, string> | null {
  const envelope = readEnvelope(rawBody)
  if (!envelope.ok) return null
  const out = new Map<string, string>()
  for (const id of whatsappRoutingKeys(rawBody) ?? []) {
    const entry = envelope.value.entry
      .map((e) => ({ ...e, changes: e.changes.filter((c) => phoneNumberIdOf(c.value) === id) }))
      .filter((e) => e.changes.length > 0)
    out.set(id, JSON.stringify({ ...envelope.value, entry }))
  }
  return out
}

/** Escapes each non-ASCII UTF-16 unit as lowercase `\uXXXX`, the form Meta has been seen to sign accented text in. */
export function escapeNonAscii(s: string): string {
  return s.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
}

function media(kind: "image" | "document" | "audio" | "video" | "sticker", m: MediaBody): Content {
  return {
    // WhatsApp marks voice notes with `voice: true` on an audio message.
    kind: kind === "audio" && m.voice === true ? "voice" : kind,
    text: m.caption ?? "",
    media: {
      id: m.id,
      url: m.url ?? m.link,
      sha256: m.sha256,
      mimeType: m.mime_type,
      fileName: m.filename,
      caption: m.caption,
    },
  }
}
type MediaBody = ReturnType<typeof bodies.image.parse>["image"]

const unsupported: Content = { kind: "unsupported", text: "" }

/** Reads the type-specific body; a body that does not match its `type` becomes "unsupported", not a failed batch. */
function content(type: string, raw: unknown): Content {
  switch (type) {
    case "text": {
      const r = bodies.text.safeParse(raw)
      return r.success ? { kind: "text", text: r.data.text.body } : unsupported
    }
    case "image": {
      const r = bodies.image.safeParse(raw)
      return r.success ? media("image", r.data.image) : unsupported
    }
    case "document": {
      const r = bodies.document.safeParse(raw)
      return r.success ? media("document", r.data.document) : unsupported
    }
    case "audio": {
      const r = bodies.audio.safeParse(raw)
      return r.success ? media("audio", r.data.audio) : unsupported
    }
    case "video": {
      const r = bodies.video.safeParse(raw)
      return r.success ? media("video", r.data.video) : unsupported
    }
    case "sticker": {
      const r = bodies.sticker.safeParse(raw)
      return r.success ? media("sticker", r.data.sticker) : unsupported
    }
    case "location": {
      const r = bodies.location.safeParse(raw)
      if (!r.success) return unsupported
      const { latitude, longitude, name, address } = r.data.location
      return { kind: "location", text: [name, address].filter(Boolean).join(", "), location: { latitude, longitude } }
    }
    case "contacts": {
      const r = bodies.contacts.safeParse(raw)
      const c = r.success ? r.data.contacts[0] : undefined
      if (!c) return unsupported
      const name = c.name?.formatted_name ?? c.name?.first_name ?? ""
      return {
        kind: "contact",
        text: name,
        contact: { name, phone: c.phones?.[0]?.phone, userId: c.phones?.[0]?.wa_id },
      }
    }
    case "interactive": {
      const r = bodies.interactive.safeParse(raw)
      const choice = r.success ? (r.data.interactive.button_reply ?? r.data.interactive.list_reply) : undefined
      if (!choice) return unsupported
      return {
        kind: "interactive",
        text: choice.title ?? choice.id,
        interactive: { id: choice.id, title: choice.title },
      }
    }
    case "button": {
      // A quick-reply button of a template: `payload` is what the template author attached.
      const r = bodies.button.safeParse(raw)
      if (!r.success) return unsupported
      const { payload, text } = r.data.button
      return { kind: "interactive", text, interactive: { id: payload ?? text, title: text } }
    }
    case "reaction": {
      const r = bodies.reaction.safeParse(raw)
      if (!r.success) return unsupported
      const emoji = r.data.reaction.emoji ?? ""
      return { kind: "reaction", text: emoji, reaction: { messageId: r.data.reaction.message_id, emoji } }
    }
    case "system": {
      const r = bodies.system.safeParse(raw)
      return { kind: "unsupported", text: r.success ? (r.data.system.body ?? "") : "" }
    }
    default:
      return unsupported
  }
}

function fromMessage(raw: unknown, contacts: Contact[], bot: Bot): InboundMessage | null {
  const parsed = whatsappMessageBaseSchema.safeParse(raw)
  if (!parsed.success) return null
  const m = parsed.data
  const sole = contacts.length === 1 ? contacts[0] : undefined
  // Usernames (2026): `from` may be missing; key the conversation on whichever id Meta sent.
  const sender = m.from ?? m.from_user_id ?? m.user_id ?? sole?.wa_id ?? sole?.user_id
  if (sender === undefined) return null
  const contact =
    contacts.find(
      (c) => (c.wa_id !== undefined && c.wa_id === sender) || (c.user_id !== undefined && c.user_id === sender),
    ) ?? sole
  return {
    eventId: m.id,
    botId: bot.botId,
    platform: "whatsapp",
    ...content(m.type, raw),
    messageId: m.id,
    chatId: sender,
    // Cloud API webhooks carry one person's messages to the business number.
    conversation: "direct",
    userId: sender,
    userName: contact?.profile?.name,
    timestamp: m.timestamp * 1000,
    metadata: compact({
      type: m.type,
      replyTo: m.context?.id,
      phoneNumberId: bot.credentials.phoneNumberId,
      waId: m.from ?? contact?.wa_id,
      bsuid: m.from_user_id ?? m.user_id ?? contact?.user_id,
      username: contact?.username,
    }),
  }
}

function fromStatus(raw: unknown, bot: Bot): InboundMessage | null {
  const parsed = whatsappStatusSchema.safeParse(raw)
  if (!parsed.success) return null
  const s = parsed.data
  // Only the receipts the queue acts on; others ("deleted", "warning", ...) are skipped, not errors.
  const status = deliveryStatuses.find((d) => d === s.status)
  const chatId = s.recipient_id ?? s.recipient_user_id
  if (status === undefined || chatId === undefined) return null
  const e = s.errors?.[0]
  return {
    eventId: `${s.id}:${status}`,
    botId: bot.botId,
    platform: "whatsapp",
    kind: "status",
    messageId: s.id,
    chatId,
    conversation: "direct",
    userId: chatId,
    text: "",
    timestamp: s.timestamp * 1000,
    status: { messageId: s.id, status, error: e ? `${e.code} ${e.title ?? e.message ?? ""}`.trim() : undefined },
    metadata: compact({ errorCode: e?.code, phoneNumberId: bot.credentials.phoneNumberId }),
  }
}

/**
 * `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>` with the app secret, checked in constant time.
 * @see https://developers.facebook.com/docs/graph-api/webhooks/getting-started#event-notifications
 */
async function checkSignature(
  req: InboundRequest,
  rawBody: Uint8Array,
  secret: string | undefined,
): Promise<Result<void, VerifyError>> {
  if (!secret) return err({ kind: "unauthorized", message: "no WhatsApp app secret configured" })
  const header = req.headers.get(WHATSAPP_SIGNATURE_HEADER)
  if (header === null) return err({ kind: "unauthorized", message: `missing ${WHATSAPP_SIGNATURE_HEADER}` })
  const given = header.trim().toLowerCase()
  const body = new Uint8Array(rawBody)
  if (safeEqual(given, `sha256=${await hmacSha256Hex(secret, body)}`)) return ok(undefined)
  // shared/platforms.md: the signature has been computed over the \u-escaped form of accented text.
  if (body.some((b) => b > 0x7f)) {
    const escaped = escapeNonAscii(fromUtf8(body))
    if (safeEqual(given, `sha256=${await hmacSha256Hex(secret, escaped)}`)) return ok(undefined)
  }
  return err({ kind: "unauthorized", message: "X-Hub-Signature-256 does not match the body" })
}

/**
 * The subscription handshake: `hub.mode=subscribe&hub.verify_token=T&hub.challenge=C` answers C when T matches.
 * null when the request is not a handshake at all.
 * @see https://developers.facebook.com/docs/graph-api/webhooks/getting-started#verification-requests
 */
function hubChallenge(req: InboundRequest, verifyToken: string): WebhookReply | null {
  if (req.method !== "GET") return null
  const params = new URL(req.url).searchParams
  const mode = params.get("hub.mode")
  const token = params.get("hub.verify_token")
  const challenge = params.get("hub.challenge")
  if (mode === null && token === null && challenge === null) return null
  const contentType = "text/plain; charset=utf-8"
  if (mode === "subscribe" && token !== null && challenge !== null && safeEqual(token, verifyToken))
    return { status: 200, contentType, body: challenge }
  return { status: 403, contentType, body: "verify token mismatch" }
}

/**
 * WhatsApp Business Cloud API provider.
 * @see https://developers.facebook.com/docs/whatsapp/cloud-api and shared/platforms.md ("WhatsApp Business Cloud API")
 */
export const whatsapp: MessagingProvider<WhatsAppCredentials> = {
  platform: "whatsapp",
  displayName: "WhatsApp",
  credentialsSchema: whatsappCredentialsSchema,
  publicCredentialFields: ["phoneNumberId"] satisfies (keyof WhatsAppCredentials)[],
  limits: {
    // The pair limit is about 1 message per 6 s per user, but Meta tolerates bursts (about 45 in 6 s) before
    // answering 131056. Pacing at 6 s would make a three-part reply take 12 s, so we pace conversational
    // replies at 1 s (keeps order, stays far inside the burst allowance) and let a 131056 back off that one
    // recipient (scope "chat") when a bot really does hammer one user.
    perChatIntervalMs: 1000,
    // Default throughput per business number; inbound and outbound count together, so this is the ceiling.
    perBotPerSecond: 80,
  },
  webhookPath: (botId) => `/webhooks/whatsapp/${botId}`,
  manualWebhook: {
    urlName: "Callback URL",
    steps:
      "In the Meta app dashboard > WhatsApp > Configuration, edit the webhook: paste this as the Callback URL, enter " +
      "the bot's verify token, choose Verify and save, then subscribe to the messages field.",
  },
  apiBaseEnv: "WHATSAPP_API_BASE",
  defaultApiBase: "https://graph.facebook.com/v21.0",
  webhookHeaders: [WHATSAPP_SIGNATURE_HEADER.toLowerCase()],
  fromEnv: (vars) => {
    const accessToken = vars("WHATSAPP_ACCESS_TOKEN")
    const phoneNumberId = vars("WHATSAPP_PHONE_NUMBER_ID")
    const verifyToken = vars("WHATSAPP_VERIFY_TOKEN")
    if (!accessToken || !phoneNumberId) return null
    const webhookUrl = vars("WHATSAPP_WEBHOOK_URL")
    return {
      credentials: { accessToken, phoneNumberId, verifyToken: verifyToken ?? "" },
      ...(webhookUrl ? { webhookUrl } : {}),
    }
  },
  checkCredentials: checkPhoneNumber,
  // https://developers.facebook.com/docs/whatsapp/cloud-api/guides/send-messages#customer-service-windows
  serviceWindowMs: 24 * 3600_000,
  reportsDelivery: true,
  // No `escapeText`: WhatsApp's *bold* / _italic_ markers have no escape, so values are sent as written.

  checkMessage(msg) {
    // Meta counts characters: code points, so an emoji is one, not the two UTF-16 units JavaScript counts.
    if (msg.text !== undefined && [...msg.text].length > TEXT_MAX)
      return { path: "text", message: `WhatsApp allows ${TEXT_MAX} characters per message` }
    const built = whatsappSendBody(msg)
    if (!built.ok) return { path: msg.buttons ? "buttons" : "body", message: built.error.message }
    return null
  },

  verify: (req, rawBody, bot) => checkSignature(req, rawBody, bot.credentials.appSecret ?? bot.appSecret),

  challenge: (req, bot) => hubChallenge(req, bot.credentials.verifyToken),

  // One Meta app, many numbers: the app's secret and verify token live in the deployment's env.
  appWebhook: {
    keys: whatsappRoutingKeys,
    verify: (req, rawBody, env) => checkSignature(req, rawBody, env("WHATSAPP_APP_SECRET")),
    challenge: (req, env) => {
      const token = env("WHATSAPP_VERIFY_TOKEN")
      return token ? hubChallenge(req, token) : null
    },
  },

  parse(rawBody, bot) {
    const envelope = readEnvelope(rawBody)
    if (!envelope.ok) return err(envelope.error)
    const events = new Map<string, InboundMessage>()
    const add = (e: InboundMessage | null) => {
      if (e !== null && !events.has(e.eventId)) events.set(e.eventId, e)
    }
    for (const entry of envelope.value.entry) {
      for (const change of entry.changes) {
        if (change.field !== "messages") continue
        const value = whatsappMessagesValueSchema.safeParse(change.value)
        // A POST can carry several numbers of the same app: each bot takes only its own.
        if (!value.success || value.data.metadata.phone_number_id !== bot.credentials.phoneNumberId) continue
        const contacts = (value.data.contacts ?? []).flatMap((c) => {
          const r = whatsappContactSchema.safeParse(c)
          return r.success ? [r.data] : []
        })
        for (const m of value.data.messages ?? []) add(fromMessage(m, contacts, bot))
        for (const s of value.data.statuses ?? []) add(fromStatus(s, bot))
      }
    }
    return ok([...events.values()])
  },

  send: sendWhatsApp,
}
