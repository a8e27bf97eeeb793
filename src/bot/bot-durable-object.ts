/**
 * One Durable Object per bot (named by bot id): its RPC surface and its alarm. The state lives in modules of its
 * own: meta (snapshot, pause), inbox, outbox, counters, activity log, chat history; the work in the processor
 * (handlers, send queue), lifecycle (webhooks on the platform) and rollups (numbers for the registry).
 */
import { DurableObject } from "cloudflare:workers"
import { type Env, outboundUrlPolicy } from "../env"
import { settledWithin } from "../lib/async"
import { type DomainError, notFound } from "../lib/domain-error"
import { logEvent } from "../lib/log"
import { err, type Result } from "../lib/result"
import { getProvider } from "../providers"
import type { InboundMessage, OutboundMessage } from "../providers/types"
import { type BotSnapshot, botSnapshotSchema, type ControlAction } from "../registry/schemas"
import { ActivityLog, type LogDetail, type LogEntry, type LogLevel } from "./activity-log"
import { ChatHistory } from "./chat-history"
import { ContactLink } from "./contact-link"
import { Counters } from "./counters"
import { Gateway } from "./gateway"
import { Inbox } from "./inbox"
import { type SendIntake, sendIntake, type WebhookIntake, webhookIntake } from "./intake"
import { type ControlResult, halt, type LifecyclePort, retireCredentials, runLifecycle } from "./lifecycle"
import { BotMeta } from "./meta"
import type { MessageOwner } from "./notices"
import { type Enqueued, type MessageView, Outbox } from "./outbox"
import { Poller } from "./poller"
import { Processor } from "./processor"
import { Rollups } from "./rollups"
import { type UnsealedBot, unseal } from "./runtime"
import type { BotStats } from "./stats"
import { hasSchema, INBOX_RETENTION_MS, migrate, OUTBOX_RETENTION_MS } from "./storage"
import {
  receiveWebhook,
  type WebhookInput,
  type WebhookOutcome,
  type WebhookPort,
  type WebhookRefusal,
} from "./webhook"

export type { LogDetail, LogEntry, LogLevel } from "./activity-log"
export type { ControlResult } from "./lifecycle"
export type { WebhookInput, WebhookOutcome, WebhookRefusal } from "./webhook"

const PRUNE_EVERY_MS = 10 * 60_000
/** While a long poll waits, the queue is looked at this often. */
const POLL_TICK_MS = 250
/** How long one alarm may work before it hands over to the next. */
const ALARM_BUDGET_MS = 25_000

export class BotDurableObject extends DurableObject<Env> {
  private readonly sql: SqlStorage
  private readonly meta: BotMeta
  private readonly inbox: Inbox
  private readonly outbox: Outbox
  private readonly counters: Counters
  private readonly activity: ActivityLog
  private readonly processor: Processor
  private readonly rollups: Rollups
  private readonly lifecycle: LifecyclePort
  private readonly poller: Poller
  /** A socket to the platform (Discord's Gateway), for platforms that push events over one. */
  private readonly gateway: Gateway
  private readonly webhookPort: WebhookPort
  /** Webhook events and API sends, each written with whatever else arrived during the previous commit. */
  private readonly intake: WebhookIntake
  private readonly sends: SendIntake
  private readonly contacts: ContactLink
  private unsealed: Promise<UnsealedBot> | null = null
  private lastPrune = 0
  /** When the alarm is set for (null: none), once known; undefined until read from storage. */
  private alarmAt: number | null | undefined
  private schemaReady = false
  /** Set by `remove`: from then on the object answers as if the bot never existed. */
  private removing = false

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.sql = ctx.storage.sql
    this.meta = new BotMeta(this.sql)
    this.inbox = new Inbox(this.sql)
    this.outbox = new Outbox(this.sql)
    this.counters = new Counters(this.sql)
    this.activity = new ActivityLog(this.sql)
    this.intake = webhookIntake(ctx.storage, this.inbox, this.counters, this.meta)
    this.sends = sendIntake(ctx.storage, this.outbox)
    const log = (level: LogLevel, event: string, message: string, detail?: LogDetail) =>
      this.activity.append(level, event, message, detail)
    // What every part may read of the bot: its snapshot, its unsealed runtime, its activity log.
    const base = { snapshot: () => this.snapshot(), load: () => this.load(), log }
    this.lifecycle = { env, meta: this.meta, load: base.load, log }
    const waitUntil = (promise: Promise<unknown>) => ctx.waitUntil(promise)
    this.contacts = new ContactLink({ env, sql: this.sql, waitUntil, schedule: (at) => this.schedule(at) })
    this.rollups = new Rollups({
      db: env.DB,
      counters: this.counters,
      outbox: this.outbox,
      people: this.contacts.people,
      pending: { get: () => this.meta.rollupPending(), set: (p) => this.meta.setRollupPending(p) },
      snapshot: () => this.snapshot(),
      schedule: (at) => this.schedule(at),
      waitUntil,
    })
    this.processor = new Processor({
      storage: ctx.storage,
      inbox: this.inbox,
      outbox: this.outbox,
      counters: this.counters,
      history: new ChatHistory(this.sql),
      ...base,
      urlPolicy: outboundUrlPolicy(env),
      halt: (reason) => halt(this.lifecycle, reason),
      pausedUntil: () => this.meta.pausedUntil(),
      pauseUntil: (at) => this.meta.pauseUntil(at),
      ...this.contacts.processorPort(() => this.snapshot()?.businessId ?? ""),
    })
    this.poller = new Poller({
      ...base,
      meta: this.meta,
      halt: async (reason) => {
        this.poller.cancel()
        await halt(this.lifecycle, reason)
      },
      store: async (events, cursor) => (await this.storeInbound(events, cursor)).fresh,
    })
    this.gateway = new Gateway({
      ...base,
      protocol: (platform) => getProvider(platform).gateway,
      saved: () => this.meta.pollCursor(),
      save: (state) => this.meta.setPollCursor(state),
      store: async (events, state) => (await this.storeInbound(events, state)).fresh,
      wake: (at) => this.schedule(at),
      halt: (reason) => halt(this.lifecycle, reason),
    })
    this.webhookPort = { ...base, store: (events) => this.storeInbound(events) }
    ctx.blockConcurrencyWhile(async () => {
      // An object nobody configured (a webhook to a well-formed id no bot has) writes nothing, so it leaves
      // nothing behind: the schema is created by the first configure.
      this.schemaReady = hasSchema(this.sql)
      if (!this.schemaReady) return
      migrate(this.sql)
      this.meta.restore()
      // A restart can only find "sending" rows if we were evicted mid-send: put them back in line, and make
      // sure an alarm is set for whatever waits (an alarm cut short by the eviction may not come back soon).
      this.outbox.recoverInFlight(Date.now())
      this.rollups.restore(Date.now())
      const next = this.nextWakeAt()
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
    this.meta.writeSnapshot(snapshot)
    this.unsealed = null // secrets or handler may have changed: unseal again on next use
    if (!previous) this.activity.append("info", "config.created", "Bot created")
    else if (previous.updatedAt !== snapshot.updatedAt)
      this.activity.append("info", "config.updated", "Configuration updated")
    if (previous && previous.status !== "stopped" && previous.secretsEnc !== snapshot.secretsEnc) {
      await retireCredentials(this.lifecycle, previous, snapshot)
      // A socket opened with the previous token: connect again with the new one (the alarm does, at once).
      if (this.gateway.connected()) {
        this.gateway.close("credentials changed")
        await this.schedule(Date.now())
      }
    }
  }

  /** start: register the webhook with the platform; stop: remove it; restart: both. */
  async control(action: ControlAction): Promise<ControlResult> {
    if (!this.snapshot()) return { ok: false, error: { kind: "not_found", message: "bot is not configured" } }
    if (action === "stop" || action === "restart") {
      const down = await runLifecycle(this.lifecycle, "teardown")
      this.gateway.close(action === "stop" ? "bot stopped" : "bot restarting")
      if (action === "stop") {
        this.poller.cancel()
        // Contact sends waiting here move on to their next channel rather than wait for a start.
        if (this.ctx.storage.transactionSync(() => this.processor.failOwned("bot stopped", Date.now())) > 0)
          this.contacts.noticed()
        this.meta.setStatus("stopped")
        this.activity.append("info", "bot.stopped", "Bot stopped")
        return down
      }
    }
    const up = await runLifecycle(this.lifecycle, "setup")
    this.meta.setStatus(up.ok ? "active" : "error")
    if (up.ok) {
      this.activity.append("info", "bot.started", action === "restart" ? "Bot restarted" : "Bot started")
      await this.schedule(Date.now()) // anything queued while stopped goes out now
    }
    return up
  }

  /** Starts the bot unless it was already started for `key` (the single-bot mode's settings): at most once each. */
  async ensureStarted(key: string): Promise<ControlResult> {
    if (!this.snapshot()) return { ok: false, error: { kind: "not_found", message: "bot is not configured" } }
    if (this.meta.setupKey() === key) return { ok: true }
    const result = await this.control("start")
    if (result.ok) this.meta.setSetupKey(key)
    return result
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
    this.poller.cancel()
    this.gateway.close("bot deleted")
    await this.processor.stop()
    const discarded = this.outbox.openCount()
    if (snapshot.status === "active") await runLifecycle(this.lifecycle, "teardown")
    logEvent("info", "bot.deleted", { botId: snapshot.id, businessId: snapshot.businessId, discarded })
    await this.ctx.storage.deleteAlarm()
    await this.ctx.storage.deleteAll()
    this.schemaReady = false
    this.alarmAt = null
    this.meta.forget()
    this.unsealed = null
    return { discarded }
  }

  // ---- the hot path ----

  /** Verify, parse, de-duplicate and store a webhook delivery; the handler runs later, from the alarm. */
  async ingest(input: WebhookInput): Promise<Result<WebhookOutcome, WebhookRefusal>> {
    return receiveWebhook(this.webhookPort, input)
  }

  /**
   * The send API (shape validated upstream): the platform's own rules checked here, where the platform is known
   * without D1, then queued durably before the 202. `owner`: a contact send's hop, which must also pass the
   * person's opt-out and the platform's service window, and reports its outcome back.
   */
  async send(
    message: OutboundMessage,
    idempotencyKey: string | undefined,
    businessId: string,
    owner?: MessageOwner,
  ): Promise<Result<Enqueued, DomainError>> {
    const snapshot = this.snapshot()
    // Another business's bot is as unknown as a missing one.
    if (!snapshot || snapshot.businessId !== businessId) return err(notFound())
    const now = Date.now()
    const refused = this.contacts.admit(snapshot, message, owner, now)
    if (refused) return err(refused)
    const written = await this.sends.submit({ message, idempotencyKey, now, owner })
    if (!written.ok) throw written.error
    const queued = written.value
    if (queued.ok && !queued.value.duplicate) {
      await this.schedule(now)
      await this.rollups.noteActivity(now)
    }
    return queued
  }

  /** A contact send moved on: take its hop back unless it is already being sent (returns whether it was). */
  async withdraw(messageId: string, reason: string): Promise<boolean> {
    return this.schemaReady && this.outbox.withdraw(messageId, reason, Date.now())
  }

  /** What routing asks before a contact send: each chat's opt-out and last message time, fresher than D1's. */
  async chatStates(chatIds: string[]): Promise<ReturnType<ContactLink["people"]["states"]>> {
    return this.schemaReady ? this.contacts.people.states(chatIds) : {}
  }

  async message(id: string): Promise<MessageView | null> {
    return this.schemaReady ? this.outbox.get(id) : null
  }

  /** Runs a message through the bot's handler and returns the replies, without sending anything. */
  async testMessage(input: { text: string; chatId: string }): ReturnType<Processor["dryRun"]> {
    if (!this.snapshot()) return { ok: false, message: "Bot not found" }
    return this.processor.dryRun(input.text, input.chatId)
  }

  // ---- reads for the API and dashboard ----

  /** Newest first; `before` is the id of the oldest entry already shown. */
  async logs(query: { limit: number; before?: number | undefined }): Promise<LogEntry[]> {
    return this.schemaReady ? this.activity.list(query.limit, query.before) : []
  }

  async stats(): Promise<BotStats> {
    this.ensureSchema() // the API asks only for bots the registry has: a push that never arrived reads as empty
    const polling = this.snapshot()?.config.updates.mode === "polling"
    return {
      hours: this.counters.series(Date.now()),
      queue: this.outbox.depth(),
      inboxPending: this.inbox.pendingCount(),
      polling: polling ? { lastPollAt: this.meta.lastPollAt() } : null,
      gateway: this.gateway.status(),
      registryWrites: this.rollups.registryWrites,
    }
  }

  // ---- the alarm: handle the inbox, drain the queue, reschedule ----

  override async alarm(): Promise<void> {
    this.alarmAt = null // this alarm is the one that was set; anything later must set a new one
    if (!this.snapshot()) return
    const now = Date.now()
    const deadline = now + ALARM_BUDGET_MS
    await this.gateway.watch(now) // connects an active gateway bot, replaces a silent socket
    const poll = this.poller.due(now) ? this.poller.pollOnce() : null
    let worked = await this.processor.run(deadline)
    // A long poll waits for news: meanwhile, handle and send what arrives (API sends, the poll's own events).
    while (poll && !(await settledWithin(poll, POLL_TICK_MS))) worked += await this.processor.run(deadline)
    if (poll) worked += (await poll) + (await this.processor.run(deadline))
    // Retention is days long: prune now and then, not in every alarm (each prune is a write, so a commit).
    if (now - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = now
      this.inbox.prune(now - INBOX_RETENTION_MS)
      this.outbox.prune(now - OUTBOX_RETENTION_MS)
      this.counters.prune(now)
    }
    await this.contacts.onAlarm()
    await this.rollups.onAlarm(Date.now(), worked)
    const wake = this.nextWakeAt()
    if (wake !== null) await this.schedule(wake)
  }

  // ---- internals (private: a DO's public methods are callable over RPC) ----

  /**
   * Inbound events (webhook, poll, gateway) into the inbox in one group-committed transaction, with the cursor that
   * confirms them when there is one; wakes the alarm for what is new. Throws when storage failed: nothing was stored.
   */
  private async storeInbound(
    events: InboundMessage[],
    cursor?: string | null,
  ): Promise<{ fresh: number; duplicates: number }> {
    const now = Date.now()
    const written = await this.intake.submit(cursor === undefined ? { events, now } : { events, now, cursor })
    if (!written.ok) throw written.error
    if (written.value.fresh > 0) {
      await this.schedule(now)
      await this.rollups.noteActivity(now, true)
    }
    return written.value
  }

  /** The soonest of: the queue's or inbox's next work, the next poll, the gateway's watch, the next rollup flush. */
  private nextWakeAt(): number | null {
    const times = [
      this.processor.nextWakeAt(),
      this.poller.nextPollAt(),
      this.gateway.nextWatchAt(),
      this.rollups.nextDueAt(),
      this.contacts.nextDueAt(),
    ]
    const due = times.filter((t): t is number => t !== null)
    return due.length > 0 ? Math.min(...due) : null
  }

  /** The bot as configured, or null when there is none (never configured, or being deleted). */
  private snapshot(): BotSnapshot | null {
    return this.schemaReady && !this.removing ? this.meta.snapshot() : null
  }

  /** Provider, unsealed runtime and handler secrets, cached in memory until the next configure. */
  private load(): Promise<UnsealedBot> {
    // Not `snapshot()`: a bot being deleted still needs its credentials to remove its webhook.
    const snapshot = this.schemaReady ? this.meta.snapshot() : null
    if (!snapshot) return Promise.reject(new Error("bot is not configured"))
    if (!this.unsealed) {
      this.unsealed = unseal(this.env, snapshot)
      this.unsealed.catch(() => {
        this.unsealed = null
      })
    }
    return this.unsealed
  }

  private ensureSchema(): void {
    if (this.schemaReady) return
    migrate(this.sql)
    this.schemaReady = true
  }

  /** Sets the alarm for `at` unless one is already due sooner. */
  private async schedule(wanted: number): Promise<void> {
    const at = Math.max(wanted, Date.now()) // a time already past means "now"; the runtime refuses <= 0
    // The alarm time is kept in memory (read once per object) so the webhook hot path doesn't ask storage each time.
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm()
    if (this.alarmAt !== null && this.alarmAt <= at) return
    this.alarmAt = at
    await this.ctx.storage.setAlarm(at)
  }
}
