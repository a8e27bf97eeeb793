/** The socket side of a provider (Discord's Gateway): the protocol a bot's object runs over the socket it holds. */
import type { Result } from "../lib/result"
import type { BotRuntime, InboundMessage, ProviderError, ProviderIO } from "./types"

/**
 * What a socket-holding bot does on each frame, tick and close: a pure state machine (frames in, actions out), so
 * the protocol is testable without a socket. Its durable part (session, sequence) travels as an opaque string the
 * object stores with the events it came with.
 */
export interface GatewayProtocol<C extends Record<string, string> = Record<string, string>> {
  /** Where to connect: the saved session's resume URL, or a fresh one from the platform (Discord GET /gateway/bot). */
  url(bot: BotRuntime<C>, io: ProviderIO, saved: string | null): Promise<Result<string, ProviderError>>
  /** A state machine for one connection, starting from the saved state (null: a new session). */
  open(bot: BotRuntime<C>, saved: string | null, now: number): GatewayConnection
  /** Whether the saved state holds a session the next connection would resume (rather than start anew). */
  resumable(saved: string | null): boolean
}

export interface GatewayConnection {
  /** One text frame from the platform. */
  receive(frame: string, now: number): GatewayAction[]
  /** Timers (heartbeats, a missing acknowledgement) at or after `nextTickAt()`. */
  tick(now: number): GatewayAction[]
  nextTickAt(): number | null
  /** When the platform last acknowledged a heartbeat on this connection (null: not yet). */
  lastAckAt(): number | null
  /** The socket closed (by the platform, or the network): reconnect (resume or not) or halt. */
  closed(code: number, reason: string, now: number): GatewayAction[]
}

export type GatewayAction =
  /** Send a text frame. */
  | { type: "send"; data: string }
  /** Events to store, with the state that confirms them (in the same transaction). */
  | { type: "events"; events: InboundMessage[]; state: string }
  /** New durable state without events (a new session, a forgotten one). */
  | { type: "save"; state: string }
  /** Close the socket (with `code`, unless it is closed already) and connect again after `afterMs`. */
  | { type: "reconnect"; afterMs: number; code: number; reason: string }
  /** The platform refused the bot for good (revoked token, disallowed intents): status error, no reconnect. */
  | { type: "halt"; reason: string }
  /** Something worth the activity log. */
  | { type: "log"; level: "info" | "warn"; event: string; message: string }
