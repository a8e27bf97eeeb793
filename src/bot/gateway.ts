/**
 * A connection the bot's Durable Object holds open to its platform (Discord's Gateway): the object owns the
 * WebSocket, the provider's `gateway` protocol (a pure state machine) says what each frame, timer and close means.
 * Messages go into the same inbox as webhooks (same de-duplication, handlers, logs, counters) through the same intake
 * as the poller, stored together with the session state (session id, last sequence number) in one transaction, so
 * an eviction resumes where the stored events end and a replay lands on the inbox's de-duplication.
 *
 * Lifecycle: the alarm connects an active bot that has no socket (start, eviction, a failed connect after its
 * backoff) and, while connected, comes back every GATEWAY_WATCH_MS to replace a socket that went silent (heartbeats
 * keep a live one talking). Stop and delete close with 1000 (the session ends) and nothing reconnects a stopped bot;
 * a refusal for good (Discord 4004) halts the bot (status error, reason in the registry), like the poller's.
 *
 * What it costs on Cloudflare, per bot: an object holding an outgoing WebSocket stays in memory the whole time, so it
 * is billed for its wall-clock duration (about 30 days x 128 MB per month for an always-on bot), plus one request
 * per incoming frame batch and a watchdog alarm (a request and a write) every 30 s. Heartbeats every ~41 s are
 * outgoing frames (free). Thousands of bots are thousands of objects, each with its own socket, spread over
 * Cloudflare's network where each object lives: no shared connection, no sharding within a bot (one Discord shard
 * serves up to 2,500 guilds). Bots that only need slash commands and buttons can skip the Gateway cost entirely:
 * interactions arrive over HTTPS (the webhook path).
 */
import { backoffDelay } from "../lib/backoff"
import type { GatewayAction, GatewayConnection, GatewayProtocol, InboundMessage } from "../providers/types"
import type { BotSnapshot } from "../registry/schemas"
import type { LogDetail, LogLevel } from "./activity-log"
import { LIFECYCLE_IO, type UnsealedBot } from "./runtime"

/** While connected, the alarm looks at the socket this often. */
export const GATEWAY_WATCH_MS = 30_000
/** A socket with no frame for this long is dead (Discord's heartbeats, ~41 s apart, are each answered). */
const SILENT_MS = 100_000
const OPEN_TIMEOUT_MS = 10_000
const CONNECT_BACKOFF = { baseMs: 1_000, capMs: 60_000 }

export interface GatewayPort {
  snapshot(): BotSnapshot | null
  load(): Promise<UnsealedBot>
  /** The platform's gateway protocol (undefined: the platform has none). */
  protocol(platform: BotSnapshot["platform"]): GatewayProtocol | undefined
  /** The stored session state (null: none). */
  saved(): string | null
  save(state: string): void
  /** Events into the inbox with the state that confirms them, in one transaction; returns how many were new. */
  store(events: InboundMessage[], state: string): Promise<number>
  /** The alarm must come no later than `at`. */
  wake(at: number): Promise<void>
  /** The platform refused the bot for good: status error, no reconnect. */
  halt(reason: string): Promise<void>
  log(level: LogLevel, event: string, message: string, detail?: LogDetail): void
}

/**
 * What the dashboard shows of the connection: `connected` once the platform took the session (READY or RESUMED),
 * `resuming` / `connecting` while a socket opens (or waits for its retry) with or without a session to resume,
 * `closed` when the bot holds none (stopped, in error).
 */
export interface GatewayStatus {
  state: "connected" | "connecting" | "resuming" | "closed"
  /** The platform's last heartbeat acknowledgement (ms), on this connection or an earlier one of this object. */
  lastHeartbeatAckAt: number | null
  /** Whether a drop now would resume the stored session (false while closed: a stop ends the session). */
  sessionResumable: boolean
}

export class Gateway {
  private socket: WebSocket | null = null
  private conn: GatewayConnection | null = null
  private connecting: Promise<void> | null = null
  /** Bumped whenever a socket is let go: its late frames and close events are ignored. */
  private generation = 0
  private beatTimer: ReturnType<typeof setTimeout> | null = null
  private retryTimer: ReturnType<typeof setTimeout> | null = null
  private retryAt = 0
  private failures = 0
  private lastFrameAt = 0
  private lastAckAt: number | null = null
  /** Whether the current socket got anything but HELLO (a connection that fails before counts as a failure). */
  private healthy = false
  /** Frames, timers and closes are handled one at a time, in order. */
  private chain: Promise<void> = Promise.resolve()

  constructor(private readonly port: GatewayPort) {}

  /** Whether this bot holds a gateway connection now: active, on a platform that has one. */
  active(): boolean {
    const snapshot = this.port.snapshot()
    return snapshot?.status === "active" && this.port.protocol(snapshot.platform) !== undefined
  }

  connected(): boolean {
    return this.socket !== null
  }

  /** The connection as the stats show it; null for a bot whose platform has no gateway. */
  status(): GatewayStatus | null {
    const snapshot = this.port.snapshot()
    const protocol = snapshot ? this.port.protocol(snapshot.platform) : undefined
    if (!protocol) return null
    const lastHeartbeatAckAt = this.lastAckAt
    if (!this.active()) return { state: "closed", lastHeartbeatAckAt, sessionResumable: false }
    const sessionResumable = protocol.resumable(this.port.saved())
    const ready = this.socket !== null && this.healthy
    const state = ready ? "connected" : sessionResumable ? "resuming" : "connecting"
    return { state, lastHeartbeatAckAt, sessionResumable }
  }

  /** When the alarm should look at the connection, or null when there is none to hold. */
  nextWatchAt(): number | null {
    if (!this.active()) return null
    if (this.socket === null && this.connecting === null) return this.retryAt
    return Math.max(this.lastFrameAt, Date.now()) + GATEWAY_WATCH_MS
  }

  /** The alarm's look: connect when due, replace a socket that went silent, let go of one a stopped bot holds. */
  async watch(now: number): Promise<void> {
    if (!this.active()) {
      if (this.socket) this.close("bot is not active")
      return
    }
    if (this.socket && now - this.lastFrameAt > SILENT_MS) {
      this.port.log("warn", "gateway.silent", "No frame from the gateway for too long: reconnecting")
      this.drop(4000, "silent connection")
    }
    if (!this.socket && now >= this.retryAt) await this.connect()
  }

  /** Stop or delete: closes with 1000 (the platform ends the session); nothing reconnects until the bot is active. */
  close(reason = "bot stopped"): void {
    this.drop(1000, reason)
    if (this.retryTimer !== null) clearTimeout(this.retryTimer)
    this.retryTimer = null
    this.retryAt = 0
    this.failures = 0
  }

  /** Opens a socket unless one is open or opening. */
  connect(): Promise<void> {
    if (this.socket !== null) return Promise.resolve()
    if (!this.connecting)
      this.connecting = this.open()
        .catch((e: unknown) => this.failed(e instanceof Error ? e.message : String(e)))
        .finally(() => {
          this.connecting = null
        })
    return this.connecting
  }

  private async open(): Promise<void> {
    const { provider, runtime } = await this.port.load()
    const protocol = provider.gateway
    if (!protocol || !this.active()) return
    const saved = this.port.saved()
    const url = await protocol.url(runtime, LIFECYCLE_IO, saved)
    if (!url.ok) {
      if (url.error.kind === "unauthorized") return this.port.halt(`gateway refused the bot: ${url.error.message}`)
      return this.failed(url.error.message)
    }
    const ws = new WebSocket(url.value)
    const opened = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), OPEN_TIMEOUT_MS)
      const done = (ok: boolean) => () => {
        clearTimeout(timer)
        resolve(ok)
      }
      ws.addEventListener("open", done(true))
      ws.addEventListener("error", done(false))
      ws.addEventListener("close", done(false))
    })
    if (!opened) {
      safeClose(ws, 1000, "could not connect")
      return this.failed("the gateway socket did not open")
    }
    // Stopped or deleted while the socket opened: it must not outlive that.
    if (!this.active() || this.socket !== null) {
      safeClose(ws, 1000, "bot stopped")
      return
    }
    const generation = ++this.generation
    this.socket = ws
    this.conn = protocol.open(runtime, saved, Date.now())
    this.lastFrameAt = Date.now()
    this.healthy = false
    ws.addEventListener("message", (e) => {
      // The Gateway speaks JSON text; a binary frame (zlib or etf, which we never ask for) is decoded as text anyway.
      const data = typeof e.data === "string" ? e.data : new TextDecoder().decode(e.data)
      this.enqueue(generation, (conn, now) => {
        this.lastFrameAt = now
        return conn.receive(data, now)
      })
    })
    ws.addEventListener("close", (e) => {
      this.enqueue(generation, (conn, now) => {
        this.socket = null
        return conn.closed(e.code, e.reason, now)
      })
    })
    const watchAt = this.nextWatchAt()
    if (watchAt !== null) await this.port.wake(watchAt)
  }

  /** Runs `step` for the socket of `generation`, after everything before it, then its actions. */
  private enqueue(generation: number, step: (conn: GatewayConnection, now: number) => GatewayAction[]): void {
    this.chain = this.chain
      .then(async () => {
        const conn = this.conn
        if (generation !== this.generation || conn === null) return
        await this.run(generation, step(conn, Date.now()))
        this.lastAckAt = conn.lastAckAt() ?? this.lastAckAt
        if (generation === this.generation) this.arm(generation, conn)
      })
      .catch((e: unknown) => {
        this.port.log("error", "gateway.error", `Gateway frame handling failed: ${e instanceof Error ? e.message : e}`)
      })
  }

  private async run(generation: number, actions: GatewayAction[]): Promise<void> {
    for (const action of actions) {
      if (generation !== this.generation) return
      switch (action.type) {
        case "send":
          try {
            this.socket?.send(action.data)
          } catch {
            // A closing socket: its close event decides what comes next.
          }
          break
        case "events":
          this.healthy = true
          this.failures = 0
          await this.port.store(action.events, action.state)
          break
        case "save":
          this.port.save(action.state)
          break
        case "log":
          if (action.level === "info") {
            this.healthy = true
            this.failures = 0
          }
          this.port.log(action.level, action.event, action.message)
          break
        case "reconnect":
          this.reconnect(action.code, action.reason, action.afterMs)
          return
        case "halt":
          this.close(action.reason)
          await this.port.halt(action.reason)
          return
      }
    }
  }

  /** The heartbeat timer, for the connection's next tick. */
  private arm(generation: number, conn: GatewayConnection): void {
    if (this.beatTimer !== null) clearTimeout(this.beatTimer)
    this.beatTimer = null
    const at = conn.nextTickAt()
    if (at === null) return
    this.beatTimer = setTimeout(() => this.enqueue(generation, (c, now) => c.tick(now)), Math.max(0, at - Date.now()))
  }

  /** Lets the socket go (closing it with `code` unless it is closed) and connects again after `afterMs`. */
  private reconnect(code: number, reason: string, afterMs: number): void {
    if (!this.healthy) this.failures++
    this.drop(code, reason)
    const wait = Math.max(afterMs, this.failures > 0 ? backoffDelay(this.failures, CONNECT_BACKOFF) : 0)
    this.port.log("info", "gateway.reconnect", `Gateway reconnecting in ${wait} ms: ${reason}`)
    this.retryLater(wait)
  }

  private failed(message: string): void {
    this.failures++
    const wait = backoffDelay(this.failures, CONNECT_BACKOFF)
    this.port.log("warn", "gateway.connect_failed", `Gateway connection failed, retrying in ${wait} ms: ${message}`)
    this.retryLater(wait)
  }

  /** A timer while the object lives, and the alarm in case it doesn't. */
  private retryLater(wait: number): void {
    this.retryAt = Date.now() + wait
    if (this.retryTimer !== null) clearTimeout(this.retryTimer)
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      if (this.active()) void this.connect()
    }, wait)
    void this.port.wake(this.retryAt).catch(() => {})
  }

  private drop(code: number, reason: string): void {
    this.generation++
    if (this.beatTimer !== null) clearTimeout(this.beatTimer)
    this.beatTimer = null
    const socket = this.socket
    this.socket = null
    this.conn = null
    if (socket) safeClose(socket, code, reason)
  }
}

function safeClose(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason.slice(0, 120))
  } catch {
    // Already closed.
  }
}
