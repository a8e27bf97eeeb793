/**
 * Discord's Gateway (v10, JSON) as a pure state machine: frames in, actions out (send a frame, store events with the
 * session state, reconnect, halt). No socket here: src/bot/gateway.ts owns it inside the bot's Durable Object.
 *
 * - HELLO (op 10) gives the heartbeat interval: the first beat waits interval x jitter, then one per interval; a beat
 *   whose ACK (op 11) has not come by the next one means a zombie connection: close (4000, keeps the session) and
 *   resume.
 * - A new session IDENTIFYs (op 2, token + intents); READY gives `session_id` and `resume_gateway_url`.
 * - After a drop: RESUME (op 6, session_id + the last sequence number) at `resume_gateway_url`; Discord replays what
 *   was missed, then RESUMED. INVALID_SESSION (op 9) with d=false forgets the session and identifies again after the
 *   1-5 s Discord asks for; RECONNECT (op 7) resumes at once.
 * - DISPATCH (op 0) carries sequence numbers `s`; MESSAGE_CREATE becomes an event (never the bot's own or another
 *   bot's), stored with the sequence number in one transaction, so an eviction resumes from what was stored and a
 *   replay lands on the inbox's de-duplication (message ids).
 * - Close 4004 (authentication failed) and the intents / sharding / version errors halt the bot: reconnecting
 *   cannot help.
 * @see https://discord.com/developers/docs/events/gateway
 */
import { z } from "zod"
import { type DiscordCredentials, type DiscordMessage, discordMessageSchema, discordUserSchema } from "./discord.schema"
import { gatewayUrl } from "./discord.send"
import { compact, parseJsonOrUndefined } from "./shared"
import type {
  BotRuntime,
  GatewayAction,
  GatewayConnection,
  GatewayProtocol,
  InboundContent,
  InboundMessage,
} from "./types"

type Bot = BotRuntime<DiscordCredentials>

export const Op = {
  DISPATCH: 0,
  HEARTBEAT: 1,
  IDENTIFY: 2,
  RESUME: 6,
  RECONNECT: 7,
  INVALID_SESSION: 9,
  HELLO: 10,
  HEARTBEAT_ACK: 11,
} as const

/** GUILD_MESSAGES (1 << 9), DIRECT_MESSAGES (1 << 12), MESSAGE_CONTENT (1 << 15, privileged: enable it in the portal). */
export const GATEWAY_INTENTS = (1 << 9) | (1 << 12) | (1 << 15)
export const GATEWAY_QUERY = "?v=10&encoding=json"
/** A client close that keeps the session resumable (1000 and 1001 end it). */
export const RESUMABLE_CLOSE = 4000

/** Close codes after which reconnecting cannot help. */
const FATAL: Record<number, string> = {
  4004: "authentication failed (4004): Discord refused the bot token",
  4010: "invalid shard (4010)",
  4011: "sharding required (4011): the bot is in too many guilds for one connection",
  4012: "invalid API version (4012)",
  4013: "invalid intents (4013)",
  4014: "disallowed intents (4014): enable the Message Content intent in the Developer Portal",
}
/** Close codes after which the session cannot be resumed: identify again. */
const SESSION_LOST = new Set([4007, 4009])

/** What survives the connection (and the object): stored with the events it confirms. */
export interface GatewaySession {
  sessionId: string | null
  resumeUrl: string | null
  seq: number | null
  /** The bot user's id, from READY: its own messages are never handled. */
  userId: string | null
}

const EMPTY: GatewaySession = { sessionId: null, resumeUrl: null, seq: null, userId: null }

/** A stored session, read back leniently: a field that is not what it should be reads as absent. */
const nonEmpty = z.string().min(1).nullable().catch(null)
const savedSessionSchema = z.object({
  sessionId: nonEmpty,
  resumeUrl: nonEmpty,
  seq: z.number().finite().nullable().catch(null),
  userId: nonEmpty,
})

/** A Gateway payload: `op`, its data, and for dispatches the sequence number and event name. */
const frameSchema = z.object({
  op: z.number(),
  d: z.unknown(),
  s: z.number().nullable().catch(null),
  t: z.string().nullable().catch(null),
})

/** READY's data: the session to resume later, and the bot's own user (its messages are never handled). */
const readySchema = z.object({
  session_id: z.string().nullable().catch(null),
  resume_gateway_url: z.string().nullable().catch(null),
  user: z.unknown(),
})

/** HELLO's data. */
const helloSchema = z.object({ heartbeat_interval: z.number().positive() })

export function readSession(saved: string | null): GatewaySession {
  const parsed = savedSessionSchema.safeParse(saved === null ? undefined : parseJsonOrUndefined(saved))
  return parsed.success ? parsed.data : { ...EMPTY }
}

/** `wss://gateway.discord.gg` -> `wss://gateway.discord.gg/?v=10&encoding=json`. */
export function withQuery(url: string): string {
  return `${url.replace(/\/+$/, "").replace(/\?.*$/, "")}/${GATEWAY_QUERY}`
}

/** A snowflake's creation time: its top 42 bits are ms since Discord's epoch (2015). */
export function snowflakeTime(id: string): number {
  try {
    return Number((BigInt(id) >> 22n) + 1420070400000n)
  } catch {
    return 0
  }
}

function mediaKind(mime: string | undefined): "image" | "audio" | "video" | "document" {
  if (mime?.startsWith("image/")) return "image"
  if (mime?.startsWith("audio/")) return "audio"
  if (mime?.startsWith("video/")) return "video"
  return "document"
}

/**
 * A Gateway MESSAGE_CREATE as an event, or null for the bot's own messages and other bots' (answering them would
 * loop) and for messages with nothing to handle. Keyed by the message id: the same message arriving twice (a replay
 * after RESUME) is a duplicate in the inbox.
 */
export function fromGatewayMessage(m: DiscordMessage, bot: Bot, selfId: string | null): InboundMessage | null {
  if (m.author.bot === true || m.author.id === selfId || m.webhook_id !== undefined) return null
  const file = m.attachments?.[0]
  let content: InboundContent
  if (file) {
    const mimeType = file.content_type
    content = {
      kind: mediaKind(mimeType),
      media: compact({
        id: file.id,
        url: file.url,
        mimeType,
        fileName: file.filename,
        caption: m.content || undefined,
      }),
    }
  } else if (m.content === "") return null
  else content = { kind: "text" }
  return {
    eventId: m.id,
    botId: bot.botId,
    platform: "discord",
    ...content,
    messageId: m.id,
    chatId: m.channel_id,
    conversation: m.guild_id === undefined ? "direct" : "group",
    userId: m.author.id,
    userName: m.author.global_name ?? m.author.username ?? undefined,
    text: m.content,
    timestamp: (m.timestamp ? Date.parse(m.timestamp) : Number.NaN) || snowflakeTime(m.id),
    metadata: compact({ guildId: m.guild_id, username: m.author.username, replyTo: m.message_reference?.message_id }),
  }
}

interface Frame {
  op: number
  d: unknown
  s: number | null
  t: string | null
}

function readFrame(text: string): Frame | null {
  const parsed = frameSchema.safeParse(parseJsonOrUndefined(text))
  return parsed.success ? { op: parsed.data.op, d: parsed.data.d, s: parsed.data.s, t: parsed.data.t } : null
}

/** One connection's protocol state; `random` (0..1) jitters the first heartbeat and the re-identify wait. */
export class DiscordConnection implements GatewayConnection {
  private session: GatewaySession
  private interval: number | null = null
  private nextBeatAt: number | null = null
  private awaitingAck = false
  private ackAt: number | null = null

  constructor(
    private readonly bot: Bot,
    saved: string | null,
    private readonly random: () => number = Math.random,
  ) {
    this.session = readSession(saved)
  }

  /** The state to store (session, last sequence number, bot user). */
  state(): string {
    return JSON.stringify(this.session)
  }

  /** Whether this connection resumes a session rather than identifying. */
  resuming(): boolean {
    return this.session.sessionId !== null
  }

  nextTickAt(): number | null {
    return this.nextBeatAt
  }

  lastAckAt(): number | null {
    return this.ackAt
  }

  receive(text: string, now: number): GatewayAction[] {
    const frame = readFrame(text)
    if (!frame) return []
    if (frame.s !== null) this.session.seq = frame.s
    switch (frame.op) {
      case Op.HELLO:
        return this.hello(frame.d, now)
      case Op.HEARTBEAT_ACK:
        this.awaitingAck = false
        this.ackAt = now
        return []
      case Op.HEARTBEAT:
        return [this.beat()]
      case Op.RECONNECT:
        return [{ type: "reconnect", afterMs: 0, code: RESUMABLE_CLOSE, reason: "Discord asked for a reconnect" }]
      case Op.INVALID_SESSION:
        return this.invalidSession(frame.d === true)
      case Op.DISPATCH:
        return this.dispatch(frame)
      default:
        return []
    }
  }

  tick(now: number): GatewayAction[] {
    if (this.nextBeatAt === null || this.interval === null || now < this.nextBeatAt) return []
    if (this.awaitingAck) {
      this.nextBeatAt = null
      return [
        { type: "log", level: "warn", event: "gateway.zombie", message: "No heartbeat ACK from Discord: reconnecting" },
        { type: "reconnect", afterMs: 0, code: RESUMABLE_CLOSE, reason: "no heartbeat ACK" },
      ]
    }
    this.nextBeatAt = now + this.interval
    this.awaitingAck = true
    return [this.beat()]
  }

  closed(code: number, reason: string, _now: number): GatewayAction[] {
    this.nextBeatAt = null
    const fatal = FATAL[code]
    if (fatal) return [{ type: "halt", reason: `Discord Gateway: ${fatal}` }]
    const detail = `closed ${code}${reason ? ` (${reason})` : ""}`
    if (SESSION_LOST.has(code)) {
      this.session = { ...EMPTY, userId: this.session.userId }
      return [
        { type: "save", state: this.state() },
        { type: "reconnect", afterMs: 0, code, reason: `${detail}: session lost, identifying again` },
      ]
    }
    return [{ type: "reconnect", afterMs: 0, code, reason: `${detail}: resuming` }]
  }

  private beat(): GatewayAction {
    return { type: "send", data: JSON.stringify({ op: Op.HEARTBEAT, d: this.session.seq }) }
  }

  private hello(d: unknown, now: number): GatewayAction[] {
    const hello = helloSchema.safeParse(d)
    this.interval = hello.success ? hello.data.heartbeat_interval : 41_250
    // The first beat waits interval x jitter, so many clients reconnecting at once don't beat in step.
    this.nextBeatAt = now + Math.floor(this.interval * this.random())
    this.awaitingAck = false
    const token = this.bot.credentials.botToken
    const { sessionId, seq } = this.session
    if (sessionId !== null)
      return [{ type: "send", data: JSON.stringify({ op: Op.RESUME, d: { token, session_id: sessionId, seq } }) }]
    const properties = { os: "cloudflare", browser: "switchboard", device: "switchboard" }
    return [
      { type: "send", data: JSON.stringify({ op: Op.IDENTIFY, d: { token, intents: GATEWAY_INTENTS, properties } }) },
    ]
  }

  private invalidSession(resumable: boolean): GatewayAction[] {
    // Discord asks for a random 1-5 s wait before identifying again.
    const afterMs = 1000 + Math.floor(this.random() * 4000)
    if (resumable) return [{ type: "reconnect", afterMs, code: RESUMABLE_CLOSE, reason: "invalid session (resumable)" }]
    this.session = { ...EMPTY, userId: this.session.userId }
    return [
      { type: "save", state: this.state() },
      { type: "reconnect", afterMs, code: RESUMABLE_CLOSE, reason: "invalid session: identifying again" },
    ]
  }

  private dispatch(frame: Frame): GatewayAction[] {
    if (frame.t === "READY") {
      const ready = readySchema.safeParse(frame.d)
      const d = ready.success ? ready.data : { session_id: null, resume_gateway_url: null, user: undefined }
      const user = discordUserSchema.safeParse(d.user)
      this.session = {
        sessionId: d.session_id,
        resumeUrl: d.resume_gateway_url,
        seq: frame.s,
        userId: user.success ? user.data.id : this.session.userId,
      }
      return [
        { type: "save", state: this.state() },
        { type: "log", level: "info", event: "gateway.ready", message: "Connected to the Discord Gateway" },
      ]
    }
    if (frame.t === "RESUMED")
      return [
        {
          type: "log",
          level: "info",
          event: "gateway.resumed",
          message: `Gateway session resumed at ${this.session.seq}`,
        },
      ]
    if (frame.t !== "MESSAGE_CREATE") return []
    const message = discordMessageSchema.safeParse(frame.d)
    if (!message.success) return []
    const event = fromGatewayMessage(message.data, this.bot, this.session.userId)
    return event === null ? [] : [{ type: "events", events: [event], state: this.state() }]
  }
}

export const gatewayProtocol: GatewayProtocol<DiscordCredentials> = {
  async url(bot, io, saved) {
    const session = readSession(saved)
    if (session.sessionId !== null && session.resumeUrl !== null)
      return { ok: true, value: withQuery(session.resumeUrl) }
    const fresh = await gatewayUrl(bot, io)
    return fresh.ok ? { ok: true, value: withQuery(fresh.value) } : fresh
  },
  open: (bot, saved) => new DiscordConnection(bot, saved),
  resumable: (saved) => readSession(saved).sessionId !== null,
}
