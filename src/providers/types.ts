/**
 * The provider seam: one interface every messaging platform implements, and the unified message format.
 * Providers never import Hono, D1 or the Durable Object; `fetch` is injected so tests hit the fakes.
 */
import { z } from "zod"
import type { Result } from "../lib/result"
import type { GatewayProtocol } from "./gateway-types"

export const deliveryStatuses = ["sent", "delivered", "read", "failed"] as const
export type DeliveryStatus = (typeof deliveryStatuses)[number]

/** A media reference as the platform gave it: an id to fetch later, or a URL. */
export const mediaRefSchema = z.object({
  id: z.string().optional(),
  url: z.string().optional(),
  /** The file's SHA-256 as the platform gives it (WhatsApp: base64), to check a download. */
  sha256: z.string().optional(),
  mimeType: z.string().optional(),
  fileName: z.string().optional(),
  caption: z.string().optional(),
})
export type MediaRef = z.infer<typeof mediaRefSchema>

/** Who can read a chat: one person, many people, or a broadcast channel (pacing and etiquette differ). */
export const conversationKinds = ["direct", "group", "channel"] as const
export type ConversationKind = (typeof conversationKinds)[number]

/** What every inbound event has, whatever its kind. */
const eventBase = z.object({
  eventId: z.string(),
  botId: z.string(),
  platform: z.string(),
  messageId: z.string(),
  chatId: z.string(),
  /** Events stored before this field existed read as direct. */
  conversation: z.enum(conversationKinds).default("direct"),
  userId: z.string(),
  userName: z.string().optional(),
  text: z.string(),
  timestamp: z.number(),
  edited: z.boolean().optional(),
  metadata: z.record(z.string(), z.unknown()),
})
type EventBase = z.infer<typeof eventBase>

export const mediaKinds = ["image", "document", "audio", "video", "voice", "sticker"] as const

/**
 * The unified inbound event. `eventId` is the platform's own de-duplication key (Telegram `update_id`,
 * WhatsApp message id, or status id + status); `chatId` is where a reply goes. A schema, not just a type,
 * because events are stored in the DO's inbox as JSON and read back through it. Each kind carries exactly the
 * payload it has: a location event has `location`, a receipt has `status`, and no other kind has either.
 */
export const inboundMessageSchema = z.discriminatedUnion("kind", [
  eventBase.extend({ kind: z.enum(["text", "unsupported"]) }),
  eventBase.extend({ kind: z.enum(mediaKinds), media: mediaRefSchema }),
  eventBase.extend({
    kind: z.literal("location"),
    location: z.object({ latitude: z.number(), longitude: z.number() }),
  }),
  /** The shared card (Telegram `contact`, WhatsApp `contacts[0]`). */
  eventBase.extend({
    kind: z.literal("contact"),
    contact: z.object({ name: z.string(), phone: z.string().optional(), userId: z.string().optional() }),
  }),
  /** Button / callback / list reply: the id the bot attached and the title the user saw. */
  eventBase.extend({
    kind: z.literal("interactive"),
    interactive: z.object({ id: z.string(), title: z.string().optional(), callbackQueryId: z.string().optional() }),
  }),
  /** The message reacted to; an empty emoji means the reaction was removed. */
  eventBase.extend({ kind: z.literal("reaction"), reaction: z.object({ messageId: z.string(), emoji: z.string() }) }),
  /** A delivery receipt of a message we sent. */
  eventBase.extend({
    kind: z.literal("status"),
    status: z.object({ messageId: z.string(), status: z.enum(deliveryStatuses), error: z.string().optional() }),
  }),
])
export type InboundMessage = z.infer<typeof inboundMessageSchema>
export type MessageKind = InboundMessage["kind"]

/** An event's kind and kind-specific payload, without the fields every event has: what a provider's parser reads. */
export type InboundContent = InboundMessage extends infer M
  ? M extends unknown
    ? Omit<M, keyof EventBase>
    : never
  : never

const button = z.object({
  text: z.string().min(1).max(64),
  data: z.string().min(1).max(64).optional(),
  url: z.url().optional(),
})

/** What a message says, wherever it is sent: text, media or a WhatsApp template, with optional buttons. */
export const outboundContentShape = z.object({
  // Bounded here; each platform's own limit, counted its way, is checked by `checkMessage` before queueing.
  text: z
    .string()
    .min(1)
    .max(8192)
    .refine((t) => t.trim() !== "", "must not be only whitespace")
    .optional(),
  media: z
    .object({
      kind: z.enum(["image", "document", "audio", "video"]),
      url: z.url({ protocol: /^https$/, error: "must be an https: URL the platform can fetch" }),
      caption: z.string().max(1024).optional(),
      fileName: z.string().max(255).optional(),
    })
    .optional(),
  template: z
    .object({
      name: z.string().min(1).max(512),
      language: z.string().min(2).max(15).default("en_US"),
      parameters: z.array(z.string().max(1024)).max(20).optional(),
      /** The text header's parameter and the URL buttons' dynamic suffixes, by button index. */
      headerParameters: z.array(z.string().max(1024)).max(1).optional(),
      buttonParameters: z
        .array(z.object({ index: z.number().int().min(0).max(9), parameter: z.string().max(1024) }))
        .max(10)
        .optional(),
    })
    .optional(),
  buttons: z.array(z.array(button).min(1).max(8)).max(10).optional(),
  replyTo: z.string().max(256).optional(),
  /** The stored template (and its version) this content was rendered from: a label, never sent to the platform. */
  templateRef: z.object({ id: z.string().max(64), version: z.number().int().min(1) }).optional(),
  /**
   * Slack Block Kit blocks a template's Slack form rendered, as JSON text (with `text` as the notification
   * fallback). Set by rendering only, never by a send body; platforms other than Slack ignore it.
   */
  slackBlocks: z.string().max(64_000).optional(),
})
const exactlyOneContent = {
  check: (m: { text?: unknown; media?: unknown; template?: unknown }) =>
    [m.text, m.media, m.template].filter((x) => x !== undefined).length === 1,
  message: "exactly one of text, media or template is required",
}

/** A message without its chat: what a contact send carries (the route picks the bot and chat). */
export const outboundContentSchema = outboundContentShape.refine(exactlyOneContent.check, {
  message: exactlyOneContent.message,
})
export type OutboundContent = z.infer<typeof outboundContentSchema>

/** What a handler or the send API asks a provider to deliver. Validated at the REST boundary. */
export const outboundMessageSchema = z
  .object({ chatId: z.string().min(1).max(128), ...outboundContentShape.shape })
  .refine(exactlyOneContent.check, { message: exactlyOneContent.message })
export type OutboundMessage = z.infer<typeof outboundMessageSchema>

/** What the platform returned for a successful send. */
export interface SentRef {
  platformMessageId: string
}

export const providerErrorKinds = [
  "rate_limited", // 429 / throughput: wait retryAfterMs, then retry
  "unauthorized", // bad or expired token: stop the bot, never retry
  "forbidden", // user blocked the bot: drop
  "bad_request", // malformed or refused payload: drop with the error kept
  "not_found", // chat or number unknown: drop
  "window_closed", // WhatsApp 24 h window: only a template may be sent
  "migrated", // Telegram group became a supergroup: resend to migrateTo
  "unavailable", // 5xx, timeout, network: retry with backoff
] as const
export type ProviderErrorKind = (typeof providerErrorKinds)[number]

/** What every failure carries: a message for logs (never a secret), and the platform's own status and code. */
interface ProviderErrorBase {
  message: string
  status?: number
  code?: string
}

/** A failed platform call, by what the queue must do about it; variant fields exist only where they mean something. */
export type ProviderError = ProviderErrorBase &
  (
    | {
        kind: "rate_limited"
        /** From `retry_after` / `Retry-After`; the queue never sends before it elapses. */
        retryAfterMs?: number
        /** Throttle only this recipient (WhatsApp 131056 pair limit) rather than the whole bot. */
        scope: "bot" | "chat"
      }
    /** 5xx, timeout, network: retried with backoff, never sooner than a `Retry-After` the platform gave. */
    | { kind: "unavailable"; retryAfterMs?: number }
    | { kind: "migrated"; migrateTo: string }
    | { kind: Exclude<ProviderErrorKind, "rate_limited" | "unavailable" | "migrated"> }
  )

/** A platform rule an outbound message breaks, found before it is queued: the field and why. */
export interface MessageProblem {
  path: string
  message: string
}

/** Everything a provider may know about one bot at run time (decrypted in the DO, never logged). */
export interface BotRuntime<C = Record<string, string>> {
  botId: string
  credentials: C
  /** Per-bot random secret: Telegram `secret_token`. */
  webhookSecret: string
  /** Public URL the platform should post updates to. */
  webhookUrl: string
  /** Platform API base from env (`TELEGRAM_API_BASE`, ...), defaulting to the real API. */
  apiBase: string
  /** Env-level fallback secret (WhatsApp app secret). */
  appSecret?: string
  /** The bot's free-form settings (e.g. Discord's `commands`, registered at setup). */
  settings?: Record<string, string | number | boolean | null>
}

export interface ProviderIO {
  fetch: typeof fetch
  /** Per-call timeout; a timeout is an `unavailable` error. */
  timeoutMs?: number
}

/** What `verify` and `challenge` may read of a request's headers: a `Headers` fits, so does a small lookup. */
export interface HeaderLookup {
  get(name: string): string | null
}

export interface InboundRequest {
  method: string
  url: string
  headers: HeaderLookup
}

export type VerifyError = { kind: "unauthorized" | "bad_request"; message: string }
export type ParseError = { message: string }

/** Pacing the send queue applies before any 429 (the platform's published limits). */
export interface RateLimits {
  /** Minimum gap between two sends to the same chat. */
  perChatIntervalMs: number
  /** Sends per second for the whole bot (or number). */
  perBotPerSecond: number
  /** Optional extra limit for group chats (Telegram: 20/min). */
  perGroupPerMinute?: number
}

/** An HTTP answer a provider writes itself. */
export interface WebhookReply {
  status: number
  contentType: string
  body: string
}

/** Reads deployment-level settings (env variables) by name. */
export type EnvLookup = (name: string) => string | undefined

/** The original guide's single-bot mode: one bot of a platform configured from env variables. */
export interface EnvBotSettings {
  /** Validated by the caller with `credentialsSchema`. */
  credentials: Record<string, string>
  /** Where the platform delivers (the guide's TELEGRAM_WEBHOOK_URL, WHATSAPP_WEBHOOK_URL); default: the compat path. */
  webhookUrl?: string
  /** Long polling instead of a webhook (the guide's TELEGRAM_POLLING / TELEGRAM_POLLING_INTERVAL). */
  polling?: { intervalMs: number }
}

/**
 * An app-level webhook: one URL for every account of the platform's app, verified with an app-level secret from
 * the deployment's env, then routed account by account (the keys `checkCredentials` gives) to each bot without D1.
 */
export interface AppWebhook {
  /** The account keys a raw body is about, or null when it is not one of this platform's payloads. */
  keys(rawBody: string): string[] | null
  verify(req: InboundRequest, rawBody: Uint8Array, env: EnvLookup): Promise<Result<void, VerifyError>>
  /** The platform's GET handshake for the app-level URL (WhatsApp's hub.challenge), if it has one. */
  challenge?(req: InboundRequest, env: EnvLookup): WebhookReply | null
}

export interface MessagingProvider<C extends Record<string, string> = Record<string, string>> {
  readonly platform: string
  /** Human name for dashboards and docs ("Telegram", "WhatsApp"). */
  readonly displayName: string
  /** Shape of `credentials` in `POST /api/bots`. */
  readonly credentialsSchema: z.ZodType<C>
  /**
   * Credential fields safe to show (e.g. phoneNumberId); everything else is secret. Typed `string[]`, not
   * `(keyof C)[]`: `keyof` would make C invariant and no provider would fit the registry's erased type.
   * Providers check their list with `satisfies (keyof C)[]`.
   */
  readonly publicCredentialFields: readonly string[]
  readonly limits: RateLimits
  /** Path segment under `/webhooks/` and human name. */
  readonly webhookPath: (botId: string) => string
  /**
   * Where the bot's webhook URL is pasted by hand, on platforms with no API to register it: the URL's name there and
   * the steps, shown after a bot is created. Absent: Switchboard registers it itself (Telegram's setWebhook).
   */
  readonly manualWebhook?: { urlName: string; steps: string }
  /** Env variable that overrides the API base (tests and demos point it at the fakes), and the real API's base. */
  readonly apiBaseEnv: string
  readonly defaultApiBase: string
  /**
   * Request headers `verify` and `challenge` read (lower case). Only these travel from the edge to the bot's
   * Durable Object with each webhook: copying every header was a tenth of a webhook's CPU (bench --profile).
   */
  readonly webhookHeaders: readonly string[]
  /**
   * The original guide's single-bot mode: credentials read from env variables (e.g. TELEGRAM_BOT_TOKEN),
   * or null when this platform isn't configured that way. Validated with `credentialsSchema` by the caller.
   */
  fromEnv?(vars: EnvLookup): EnvBotSettings | null
  /** One endpoint for many accounts (WhatsApp's app-level webhook): `/webhooks/{platform}`. */
  readonly appWebhook?: AppWebhook
  /**
   * The answer a verified webhook gets when the platform expects more than a plain 200: Slack's url_verification
   * challenge, Discord's PING or deferred reply. Called after the events are stored; null means the default answer.
   * `handled` is false when the bot will not handle them (it is stopped): a "wait for my answer" would be a lie.
   */
  reply?(rawBody: string, events: InboundMessage[], bot: BotRuntime<C>, handled: boolean): WebhookReply | null
  /**
   * Proves the credentials work (Telegram getMe, WhatsApp GET /{phone_number_id}, Slack auth.test) before a bot
   * is created, without side effects, and says which platform account they belong to, as the platform itself
   * names it: one bot per account, or a second bot would silently take over the first one's traffic.
   */
  checkCredentials(bot: BotRuntime<C>, io: ProviderIO): Promise<Result<{ accountKey: string }, ProviderError>>
  /** Escapes a value put into text so the platform's formatting shows it as written (absent: sent as is). */
  escapeText?(s: string): string
  /** Platform rules the send API enforces at the door (text length as the platform counts it, what it can carry). */
  checkMessage(msg: OutboundMessage): MessageProblem | null
  /**
   * How long after a person's last message the bot may send them free-form messages, on platforms that limit it
   * (WhatsApp's 24-hour customer service window; templates are exempt). Absent: no such rule.
   */
  serviceWindowMs?: number
  /** The platform tells us when a sent message was delivered (status events): what delivery timeouts wait for. */
  reportsDelivery?: boolean
  verify(req: InboundRequest, rawBody: Uint8Array, bot: BotRuntime<C>): Promise<Result<void, VerifyError>>
  /** An unverified GET handshake (WhatsApp's hub.challenge); null when the request is not one. */
  challenge?(req: InboundRequest, bot: BotRuntime<C>): WebhookReply | null
  parse(rawBody: string, bot: BotRuntime<C>): Result<InboundMessage[], ParseError>
  send(msg: OutboundMessage, bot: BotRuntime<C>, io: ProviderIO): Promise<Result<SentRef, ProviderError>>
  setup?(bot: BotRuntime<C>, io: ProviderIO): Promise<Result<void, ProviderError>>
  /**
   * Long polling, for bots that cannot receive webhooks: waits up to `waitSeconds` for the events after `cursor`
   * and returns them with the cursor that confirms them. The caller stores events and cursor together.
   */
  poll?(
    bot: BotRuntime<C>,
    io: ProviderIO,
    cursor: string | null,
    waitSeconds: number,
  ): Promise<Result<{ events: InboundMessage[]; cursor: string | null }, ProviderError>>
  teardown?(bot: BotRuntime<C>, io: ProviderIO): Promise<Result<void, ProviderError>>
  /** Side effects the platform expects after an inbound event (Telegram answerCallbackQuery). */
  acknowledge?(event: InboundMessage, bot: BotRuntime<C>, io: ProviderIO): Promise<Result<void, ProviderError>>
  /**
   * Addresses a handler's `index`-th reply to `event` the platform's way, before it is queued (Discord: the reply to
   * an interaction goes out as its follow-up, through a `replyTo` marker its `send` understands). Default: as is.
   */
  addressReply?(event: InboundMessage, reply: OutboundMessage, index: number): OutboundMessage
  /**
   * A connection the bot's Durable Object holds open to receive events (Discord's Gateway), for platforms that
   * push messages over a socket rather than a webhook. The object owns the socket; this says what to do with it.
   */
  readonly gateway?: GatewayProtocol<C>
}

export type { GatewayAction, GatewayConnection, GatewayProtocol } from "./gateway-types"
