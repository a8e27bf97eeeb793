/**
 * One Durable Object per bot (named by bot id): config cache, de-duplicated inbox, durable send queue
 * drained by alarms under the platform's limits, activity log and counters. RPC methods, no fetch routing.
 */
import { DurableObject } from "cloudflare:workers"
import { type Env, outboundUrlPolicy } from "../env"
import { type DomainError, invalid, notFound } from "../lib/domain-error"
import { fromUtf8 } from "../lib/encoding"
import { err, type Result } from "../lib/result"
import { getProvider } from "../providers"
import type { InboundRequest, OutboundMessage, ProviderError } from "../providers/types"
import { createBotRepository } from "../registry/bot-repository"
import { createRollupRepository, currentHour } from "../registry/rollup-repository"
import { type BotSnapshot, botSnapshotSchema, type ControlAction } from "../registry/schemas"
import { ActivityLog, type LogDetail, type LogEntry, type LogLevel } from "./activity-log"
import { ChatHistory } from "./chat-history"
import { Counters, type HourBucket } from "./counters"
import { Inbox } from "./inbox"
import { headerLookup, type SendIntake, sendIntake, type WebhookIntake, webhookIntake } from "./intake"
import { type Enqueued, type MessageView, Outbox } from "./outbox"
import { type Loaded, Processor } from "./processor"
import { buildRuntime, LIFECYCLE_IO, retireCredentials } from "./runtime"
import { hasSchema, INBOX_RETENTION_MS, migrate, OUTBOX_RETENTION_MS } from "./storage"

export type { LogDetail, LogEntry, LogLevel } from "./activity-log"

export interface ControlResult {
  ok: boolean
  error?: Pick<ProviderError, "kind" | "message">
}

/** A webhook request as the worker hands it over: the exact raw bytes, for signature checks. */
export interface WebhookInput {
  /** The platform the route belongs to: a bot only answers on its own platform's path. */
  platform: string
  method: string
  url: string
  headers: [string, string][]
  body: ArrayBuffer
  /** Set by the app-level WhatsApp route, which already verified the app's signature. */
  preVerified?: boolean
}

export interface WebhookOutput {
  status: number
  body: string
  contentType?: string
  accepted?: number
  duplicates?: number
}

const SNAPSHOT_KEY = "snapshot"
/** D1 hears about this bot's traffic at most this often: the registry is off the message hot path. */
const ROLLUP_EVERY_MS = 15_000
const PRUNE_EVERY_MS = 10 * 60_000

export class BotDurableObject extends DurableObject<Env> {
  private readonly sql: SqlStorage
  private readonly inbox: Inbox
  private readonly outbox: Outbox
  private readonly counters: Counters
  private readonly activity: ActivityLog
  private readonly history: ChatHistory
  private readonly processor: Processor
  /** Webhook events and API sends, each written with whatever else arrived during the previous commit. */
  private readonly intake: WebhookIntake
  private readonly sends: SendIntake
  private snapshotCache: BotSnapshot | null | undefined
  private loaded: Promise<Loaded> | null = null
  private lastFlush = 0
  private lastPrune = 0
  private pausedUntilAt = 0
  /** When the alarm is set for (null: none), once known; undefined until read from storage. */
  private alarmAt: number | null | undefined
  private flushDueAt: number | null = null
  private lastActive: number | null = null
  private schemaReady = false
  /** Set by `remove`: from then on the object answers as if the bot never existed. */
  private removing = false

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.sql = ctx.storage.sql
    this.inbox = new Inbox(this.sql)
    this.outbox = new Outbox(this.sql)
    this.counters = new Counters(this.sql)
    this.activity = new ActivityLog(this.sql)
    this.history = new ChatHistory(this.sql)
    this.intake = webhookIntake(ctx.storage, this.inbox, this.counters)
    this.sends = sendIntake(ctx.storage, this.outbox)
    // The processor sees a narrow port, not the object: public methods of a DO are its RPC surface.
    this.processor = new Processor({
      storage: ctx.storage,
      inbox: this.inbox,
      outbox: this.outbox,
      counters: this.counters,
      snapshot: () => this.snapshot(),
      load: () => this.load(),
      log: (level, event, message, detail) => this.log(level, event, message, detail),
      urlPolicy: outboundUrlPolicy(env),
      history: this.history,
      haltOnUnauthorized: (reason) => this.haltOnUnauthorized(reason),
      pausedUntil: () => this.pausedUntilAt,
      pauseUntil: (at) => {
        if (at <= this.pausedUntilAt) return
        this.pausedUntilAt = at
        this.sql.exec(
          "INSERT INTO meta (key, value) VALUES ('paused_until', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
          String(at),
        )
      },
    })
    ctx.blockConcurrencyWhile(async () => {
      // An object nobody configured (a webhook to a well-formed id no bot has) writes nothing, so it leaves
      // nothing behind: the schema is created by the first configure.
      this.schemaReady = hasSchema(this.sql)
      if (!this.schemaReady) return
      migrate(this.sql)
      const paused = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'paused_until'").toArray()[0]
      this.pausedUntilAt = paused ? Number(paused.value) : 0
      // A restart can only find "sending" rows if we were evicted mid-send: put them back in line, and make
      // sure an alarm is set for whatever waits (an alarm cut short by the eviction may not come back soon).
      const now = Date.now()
      this.outbox.recoverInFlight(now)
      const next = this.processor.nextWakeAt()
      if (next !== null) await this.schedule(next)
    })
  }

  // ---- configuration and lifecycle (called by the management API) ----

  /** The API pushes the bot's registry row here on every create and update. */
  async configure(input: BotSnapshot): Promise<void> {
    const snapshot = botSnapshotSchema.parse(input)
    this.ensureSchema()
    const previous = this.snapshot()
    if (previous && previous.updatedAt > snapshot.updatedAt) return // an older push arrived late
    this.writeSnapshot(snapshot)
    if (!previous) this.log("info", "config.created", "Bot created")
    else if (previous.updatedAt !== snapshot.updatedAt) this.log("info", "config.updated", "Configuration updated")
    if (previous && previous.status !== "stopped" && previous.secretsEnc !== snapshot.secretsEnc)
      await this.retireCredentials(previous, snapshot)
  }

  /** start: register the webhook with the platform; stop: remove it; restart: both. */
  async control(action: ControlAction): Promise<ControlResult> {
    const snapshot = this.snapshot()
    if (!snapshot) return { ok: false, error: { kind: "not_found", message: "bot is not configured" } }
    if (action === "stop" || action === "restart") {
      const down = await this.runLifecycle("teardown")
      if (action === "stop") {
        this.setStatus("stopped")
        this.log("info", "bot.stopped", "Bot stopped")
        return down
      }
    }
    const up = await this.runLifecycle("setup")
    this.setStatus(up.ok ? "active" : "error")
    if (up.ok) {
      this.log("info", "bot.started", action === "restart" ? "Bot restarted" : "Bot started")
      await this.schedule(Date.now()) // anything queued while stopped goes out now
    }
    return up
  }

  /**
   * Called when the bot is deleted: new traffic is refused at once, the running alarm's sends and handler calls are
   * abandoned (awaited, so none leaves after this returns), the webhook is torn down, then everything is forgotten.
   * Returns how many queued messages were dropped.
   */
  async remove(): Promise<{ discarded: number }> {
    const snapshot = this.snapshot()
    if (!snapshot) return { discarded: 0 }
    this.removing = true
    await this.processor.stop()
    const discarded = this.outbox.openCount()
    if (snapshot.status === "active") await this.runLifecycle("teardown")
    console.log(
      JSON.stringify({
        level: "info",
        event: "bot.deleted",
        botId: snapshot.id,
        businessId: snapshot.businessId,
        discarded,
      }),
    )
    await this.ctx.storage.deleteAlarm()
    await this.ctx.storage.deleteAll()
    this.schemaReady = false
    this.alarmAt = null
    this.snapshotCache = null
    this.loaded = null
    return { discarded }
  }

  // ---- the hot path ----

  /** Verify, parse, de-duplicate and store a webhook delivery; the handler runs later, from the alarm. */
  async ingest(input: WebhookInput): Promise<WebhookOutput> {
    const snapshot = this.removing ? null : this.snapshot()
    if (!snapshot || snapshot.platform !== input.platform) return { status: 404, body: "unknown bot" }
    const { provider, runtime } = await this.load()
    const req: InboundRequest = { method: input.method, url: input.url, headers: headerLookup(input.headers) }
    if (input.method === "GET") {
      const challenge = provider.challenge?.(req, runtime)
      if (!challenge) return { status: 400, body: "no challenge in request" }
      return { status: challenge.status, body: await challenge.text(), contentType: "text/plain" }
    }
    const raw = new Uint8Array(input.body)
    if (!input.preVerified) {
      const verified = await provider.verify(req, raw, runtime)
      if (!verified.ok) {
        this.log("warn", "webhook.rejected", `Webhook rejected: ${verified.error.message}`)
        return { status: 401, body: "unauthorized" }
      }
    }
    const parsed = provider.parse(fromUtf8(raw), runtime)
    if (!parsed.ok) return { status: 400, body: `malformed update: ${parsed.error.message}` }
    if (snapshot.status === "stopped") {
      // 200 so the platform stops retrying: a stopped bot does not answer.
      this.log("info", "webhook.dropped", `Dropped ${parsed.value.length} event(s): bot is stopped`)
      return { status: 200, body: "bot stopped", accepted: 0, duplicates: 0 }
    }
    const now = Date.now()
    const written = await this.intake.submit({ events: parsed.value, now })
    if (!written.ok) throw written.error // nothing was stored: the platform gets a 500 and delivers again
    const { fresh, duplicates } = written.value
    if (fresh > 0) {
      this.lastActive = now
      await this.schedule(now)
      await this.noteActivity(now)
    }
    return { status: 200, body: "ok", accepted: fresh, duplicates }
  }

  /**
   * The send API (shape validated upstream): the platform's own rules checked here, where the platform is known
   * without D1, then queued durably before the 202.
   */
  async send(
    message: OutboundMessage,
    idempotencyKey: string | undefined,
    businessId: string,
  ): Promise<Result<Enqueued, DomainError>> {
    const snapshot = this.removing ? null : this.snapshot()
    // Another business's bot is as unknown as a missing one.
    if (!snapshot || snapshot.businessId !== businessId) return err(notFound())
    if (snapshot.status === "stopped")
      return err({ kind: "stopped", message: "Bot is stopped: start it before sending" })
    const problem = getProvider(snapshot.platform).checkMessage(message)
    if (problem) return err(invalid(problem.path, problem.message))
    const now = Date.now()
    const written = await this.sends.submit({ message, idempotencyKey, now })
    if (!written.ok) throw written.error
    const queued = written.value
    if (queued.ok && !queued.value.duplicate) {
      await this.schedule(now)
      await this.noteActivity(now)
    }
    return queued
  }

  async message(id: string): Promise<MessageView | null> {
    if (!this.schemaReady) return null
    return this.outbox.get(id)
  }

  /** Runs a message through the bot's handler and returns the replies, without sending anything. */
  async testMessage(input: {
    text: string
    chatId: string
  }): Promise<{ ok: true; replies: OutboundMessage[] } | { ok: false; message: string }> {
    const snapshot = this.snapshot()
    if (!snapshot) return { ok: false, message: "Bot not found" }
    return this.processor.dryRun(input.text, input.chatId)
  }

  // ---- reads for the API and dashboard ----

  /** Newest first; `before` is the id of the oldest entry already shown. */
  async logs(query: { limit: number; before?: number | undefined }): Promise<LogEntry[]> {
    if (!this.schemaReady) return []
    return this.activity.list(query.limit, query.before)
  }

  async stats(): Promise<{ hours: HourBucket[]; queue: { queued: number; failed: number }; inboxPending: number }> {
    this.ensureSchema() // the API asks only for bots the registry has: a push that never arrived reads as empty
    return {
      hours: this.counters.series(Date.now()),
      queue: this.outbox.depth(),
      inboxPending: this.inbox.pendingCount(),
    }
  }

  async state(): Promise<{ configured: boolean; status: string | null; updatedAt: number | null }> {
    const snapshot = this.snapshot()
    return { configured: snapshot !== null, status: snapshot?.status ?? null, updatedAt: snapshot?.updatedAt ?? null }
  }

  // ---- the alarm: handle the inbox, drain the queue, reschedule ----

  override async alarm(): Promise<void> {
    this.alarmAt = null // this alarm is the one that was set; anything later must set a new one
    const snapshot = this.removing ? null : this.snapshot()
    if (!snapshot) return
    const now = Date.now()
    const worked = await this.processor.run(now + 25_000)
    // Retention is days long: prune now and then, not in every alarm (each prune is a write, so a commit).
    if (now - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = now
      this.inbox.prune(now - INBOX_RETENTION_MS)
      this.outbox.prune(now - OUTBOX_RETENTION_MS)
      this.counters.prune(now)
    }
    const after = Date.now()
    if (this.flushDueAt !== null && after >= this.flushDueAt) await this.flushRollup(after)
    else if (worked > 0) await this.noteActivity(after)
    const wake = [this.processor.nextWakeAt(), this.flushDueAt].filter((t): t is number => t !== null)
    if (wake.length > 0) await this.schedule(Math.max(Math.min(...wake), Date.now()))
  }

  // ---- internals (private: a DO's public methods are callable over RPC) ----

  private snapshot(): BotSnapshot | null {
    if (!this.schemaReady) return null
    if (this.snapshotCache === undefined) {
      const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", SNAPSHOT_KEY).toArray()[0]
      this.snapshotCache = row ? botSnapshotSchema.parse(JSON.parse(row.value)) : null
    }
    return this.snapshotCache
  }

  /** Provider, decrypted runtime and handler secrets, cached in memory until the next configure. */
  private load(): Promise<Loaded> {
    const snapshot = this.snapshot()
    if (!snapshot) return Promise.reject(new Error("bot is not configured"))
    if (!this.loaded) {
      const provider = getProvider(snapshot.platform)
      this.loaded = buildRuntime(this.env, snapshot, provider).then(({ runtime, secrets }) => ({
        snapshot,
        provider,
        runtime,
        secrets,
      }))
      this.loaded.catch(() => {
        this.loaded = null
      })
    }
    return this.loaded
  }

  /** New platform credentials: remove the webhook the previous ones registered (runtime.ts), and say how it went. */
  private async retireCredentials(previous: BotSnapshot, next: BotSnapshot): Promise<void> {
    const result = await retireCredentials(this.env, previous, next, LIFECYCLE_IO)
    if (!result) return
    if (result.ok) this.log("info", "webhook.retired", "Webhook of the previous credentials removed")
    else {
      const { kind, message } = result.error
      this.log("warn", "webhook.retire_failed", `Could not remove the previous credentials' webhook: ${message}`, {
        kind,
      })
    }
  }

  private ensureSchema(): void {
    if (this.schemaReady) return
    migrate(this.sql)
    this.schemaReady = true
  }

  private setStatus(status: BotSnapshot["status"]): void {
    const snapshot = this.snapshot()
    if (!snapshot || snapshot.status === status) return
    this.writeSnapshot({ ...snapshot, status })
  }

  /** The platform revoked our credentials: stop sending, tell the registry, keep the queue. */
  private async haltOnUnauthorized(reason: string): Promise<void> {
    this.setStatus("error")
    this.log("error", "bot.unauthorized", `Platform rejected the bot's credentials; sending paused: ${reason}`)
    const snapshot = this.snapshot()
    if (snapshot) {
      await createBotRepository(this.env.DB).setStatusById(snapshot.id, "error", reason, Date.now())
    }
  }

  /** Sets the alarm for `at` unless one is already due sooner. */
  private async schedule(at: number): Promise<void> {
    // The alarm time is kept in memory (read once per object) so the webhook hot path doesn't ask storage each time.
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm()
    if (this.alarmAt !== null && this.alarmAt <= at) return
    this.alarmAt = at
    await this.ctx.storage.setAlarm(at)
  }

  private log(level: LogLevel, event: string, message: string, detail?: LogDetail): void {
    this.activity.append(level, event, message, detail)
  }

  private writeSnapshot(snapshot: BotSnapshot): void {
    this.sql.exec(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      SNAPSHOT_KEY,
      JSON.stringify(snapshot),
    )
    this.snapshotCache = snapshot
    this.loaded = null // secrets or handler may have changed: decrypt again on next use
  }

  private async runLifecycle(step: "setup" | "teardown"): Promise<ControlResult> {
    const { provider, runtime } = await this.load()
    const run = provider[step]
    if (!run) return { ok: true }
    const result = await run.call(provider, runtime, LIFECYCLE_IO)
    if (result.ok) {
      this.log("info", `webhook.${step}`, step === "setup" ? "Webhook registered" : "Webhook removed")
      return { ok: true }
    }
    const { kind, message } = result.error
    this.log("error", `webhook.${step}_failed`, `Webhook ${step} failed: ${message}`, { kind })
    return { ok: false, error: { kind, message } }
  }

  /** Something changed the counters or the queue: flush to D1 now, or once the coalescing interval has passed. */
  private async noteActivity(now: number): Promise<void> {
    if (now - this.lastFlush >= ROLLUP_EVERY_MS) {
      this.ctx.waitUntil(this.flushRollup(now))
      return
    }
    if (this.flushDueAt === null) {
      this.flushDueAt = this.lastFlush + ROLLUP_EVERY_MS
      await this.schedule(this.flushDueAt)
    }
  }

  /** Writes this and the previous hour's counters, queue depth and last activity to the D1 rollups. */
  private async flushRollup(now: number): Promise<void> {
    const snapshot = this.snapshot()
    if (!snapshot) return
    this.lastFlush = now
    this.flushDueAt = null
    const buckets = this.counters.since(currentHour(now) - 1)
    try {
      await createRollupRepository(this.env.DB).write(snapshot, buckets, this.outbox.depth().queued, this.lastActive)
    } catch (cause) {
      // D1 is for dashboards; a failed flush is retried with the next activity, never blocks messages.
      this.flushDueAt = now + ROLLUP_EVERY_MS
      console.warn(JSON.stringify({ level: "warn", event: "rollup.failed", botId: snapshot.id, error: String(cause) }))
    }
  }
}
