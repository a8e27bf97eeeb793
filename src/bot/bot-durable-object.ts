/**
 * One Durable Object per bot (named by bot id): its RPC surface and its alarm. The state lives in modules of its
 * own: meta (snapshot, pause), inbox, outbox, counters, activity log, chat history; the work in the processor
 * (handlers, send queue), lifecycle (webhooks on the platform) and rollups (numbers for the registry).
 */
import { DurableObject } from "cloudflare:workers"
import type { Env } from "../env"
import { settledWithin } from "../lib/async"
import { type DomainError, notFound } from "../lib/domain-error"
import { logEvent } from "../lib/log"
import { currentRequestId, withRequestId } from "../lib/request-scope"
import { err, ok, type Result } from "../lib/result"
import type { InboundMessage, OutboundMessage } from "../providers/types"
import { type BotSnapshot, botSnapshotSchema, type ControlAction } from "../registry/schemas"
import type { LogEntry } from "./activity-log"
import type { BroadcastRequest, BroadcastView } from "./broadcasts"
import type { ContactLink } from "./contact-link"
import { type ControlResult, retireCredentials, runLifecycle } from "./lifecycle"
import { failOwned, type MessageOwner } from "./notices"
import type { Enqueued, MessageView } from "./outbox"
import { listOutbound, type OutboundQuery, type OutboundSummary, retryFailed } from "./outbox-history"
import { assembleBot, type BotParts } from "./parts"
import type { Processor } from "./processor"
import { type UnsealedBot, unseal } from "./runtime"
import type { BotStats } from "./stats"
import { hasSchema, INBOX_RETENTION_MS, migrate, OUTBOX_RETENTION_MS } from "./storage"
import { receiveWebhook, type WebhookInput, type WebhookOutcome, type WebhookRefusal } from "./webhook"

export type { LogDetail, LogEntry, LogLevel } from "./activity-log"
export type { ControlResult } from "./lifecycle"
export type { WebhookInput, WebhookOutcome, WebhookRefusal } from "./webhook"

const PRUNE_EVERY_MS = 10 * 60_000
/** While a long poll waits, the queue is looked at this often. */
const POLL_TICK_MS = 250
/** How long one alarm may work before it hands over to the next. */
const ALARM_BUDGET_MS = 25_000

export class BotDurableObject extends DurableObject<Env> {
  private readonly parts: BotParts
  private unsealed: Promise<UnsealedBot> | null = null
  private lastPrune = 0
  /** When the alarm is set for (null: none), once known; undefined until read from storage. */
  private alarmAt: number | null | undefined
  private schemaReady = false
  /** Set by `remove`: from then on the object answers as if the bot never existed. */
  private removing = false

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.parts = assembleBot(ctx, env, {
      snapshot: () => this.snapshot(),
      load: () => this.load(),
      schedule: (at) => this.schedule(at),
      storeInbound: (events, cursor) => this.storeInbound(events, cursor),
    })
    ctx.blockConcurrencyWhile(async () => {
      // An object nobody configured (a webhook to a well-formed id no bot has) writes nothing, so it leaves
      // nothing behind: the schema is created by the first configure.
      this.schemaReady = hasSchema(this.parts.sql)
      if (!this.schemaReady) return
      migrate(this.parts.sql)
      this.parts.meta.restore()
      // A restart can only find "sending" rows if we were evicted mid-send: put them back in line, and make
      // sure an alarm is set for whatever waits (an alarm cut short by the eviction may not come back soon).
      this.parts.outbox.recoverInFlight(Date.now())
      this.parts.rollups.restore(Date.now())
      const next = this.nextWakeAt()
      if (next !== null) await this.schedule(next)
    })
  }

  // ---- configuration and lifecycle (called by the management API) ----

  /** The API pushes the bot's registry row here on every create and update. */
  async configure(input: BotSnapshot, requestId?: string): Promise<void> {
    return withRequestId(requestId, () => this.applyConfig(input))
  }

  private async applyConfig(input: BotSnapshot): Promise<void> {
    const snapshot = botSnapshotSchema.parse(input)
    this.ensureSchema()
    const previous = this.snapshot()
    if (previous && previous.updatedAt > snapshot.updatedAt) return // an older push arrived late
    this.parts.meta.writeSnapshot(snapshot)
    this.unsealed = null // secrets or handler may have changed: unseal again on next use
    if (!previous) this.parts.log("info", "config.created", "Bot created")
    else if (previous.updatedAt !== snapshot.updatedAt)
      this.parts.log("info", "config.updated", "Configuration updated")
    if (previous && previous.status !== "stopped" && previous.secretsEnc !== snapshot.secretsEnc) {
      await retireCredentials(this.parts.lifecycle, previous, snapshot)
      // A socket opened with the previous token: connect again with the new one (the alarm does, at once).
      if (this.parts.gateway.connected()) {
        this.parts.gateway.close("credentials changed")
        await this.schedule(Date.now())
      }
    }
  }

  /** start: register the webhook with the platform; stop: remove it; restart: both. Alerts see the new status. */
  async control(action: ControlAction, requestId?: string): Promise<ControlResult> {
    return withRequestId(requestId, async () => {
      const result = await this.runControl(action)
      await this.parts.alerts.statusChanged(result.ok ? undefined : result.error?.message)
      return result
    })
  }

  private async runControl(action: ControlAction): Promise<ControlResult> {
    if (!this.snapshot()) return { ok: false, error: { kind: "not_found", message: "bot is not configured" } }
    if (action === "stop" || action === "restart") {
      const down = await runLifecycle(this.parts.lifecycle, "teardown")
      this.parts.gateway.close(action === "stop" ? "bot stopped" : "bot restarting")
      if (action === "stop") {
        this.parts.poller.cancel()
        // Contact sends waiting here move on to their next channel rather than wait for a start.
        const { outbox, contacts } = this.parts
        if (this.ctx.storage.transactionSync(() => failOwned(outbox, contacts.notices, "bot stopped", Date.now())) > 0)
          this.parts.contacts.noticed()
        this.parts.meta.setStatus("stopped")
        this.parts.log("info", "bot.stopped", "Bot stopped")
        return down
      }
    }
    const up = await runLifecycle(this.parts.lifecycle, "setup")
    this.parts.meta.setStatus(up.ok ? "active" : "error")
    if (up.ok) {
      this.parts.log("info", "bot.started", action === "restart" ? "Bot restarted" : "Bot started")
      await this.schedule(Date.now()) // anything queued while stopped goes out now
    }
    return up
  }

  /** Starts the bot unless it was already started for `key` (the single-bot mode's settings): at most once each. */
  async ensureStarted(key: string): Promise<ControlResult> {
    if (!this.snapshot()) return { ok: false, error: { kind: "not_found", message: "bot is not configured" } }
    if (this.parts.meta.setupKey() === key) return { ok: true }
    const result = await this.control("start")
    if (result.ok) this.parts.meta.setSetupKey(key)
    return result
  }

  /**
   * Called when the bot is deleted: new traffic is refused at once, the running alarm's sends and handler calls are
   * abandoned (awaited, so none leaves after this returns), the webhook is torn down, then everything is forgotten.
   * Returns how many queued messages were dropped.
   */
  async remove(requestId?: string): Promise<{ discarded: number }> {
    return withRequestId(requestId, () => this.removeAll())
  }

  private async removeAll(): Promise<{ discarded: number }> {
    const snapshot = this.snapshot()
    if (!snapshot) return { discarded: 0 }
    this.removing = true
    this.parts.poller.cancel()
    this.parts.gateway.close("bot deleted")
    await this.parts.processor.stop()
    const discarded = this.parts.outbox.openCount()
    if (snapshot.status === "active") await runLifecycle(this.parts.lifecycle, "teardown")
    logEvent("info", "bot.deleted", {
      botId: snapshot.id,
      businessId: snapshot.businessId,
      discarded,
      requestId: currentRequestId() ?? null,
    })
    await this.ctx.storage.deleteAlarm()
    await this.ctx.storage.deleteAll()
    this.schemaReady = false
    this.alarmAt = null
    this.parts.meta.forget()
    this.parts.alerts.forget()
    this.unsealed = null
    return { discarded }
  }

  // ---- the hot path ----

  /** Verify, parse, de-duplicate and store a webhook delivery; the handler runs later, from the alarm. */
  async ingest(input: WebhookInput): Promise<Result<WebhookOutcome, WebhookRefusal>> {
    return receiveWebhook(this.parts.webhookPort, input)
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
    const refused = this.parts.contacts.admit(snapshot, message, owner !== undefined, now)
    if (refused) return err(refused)
    const written = await this.parts.sends.submit({ message, idempotencyKey, now, owner })
    if (!written.ok) throw written.error
    const queued = written.value
    if (queued.ok && !queued.value.duplicate) {
      this.parts.processor.nudge() // a drain under way takes it now, not after its current wait
      await this.schedule(now)
      await this.parts.rollups.noteActivity(now)
    }
    return queued
  }

  /**
   * Broadcasts through this bot: create (recipients in chunks), append, pause / resume / cancel, read. The API
   * creates the registry's summary row; this object owns the recipients and feeds them into the queue.
   */
  async broadcast(req: BroadcastRequest, businessId: string): Promise<Result<BroadcastView, DomainError>> {
    const snapshot = this.snapshot()
    if (!snapshot || snapshot.businessId !== businessId) return err(notFound())
    if (req.op === "create" && snapshot.status !== "active")
      return err({ kind: "stopped", message: `Bot is ${snapshot.status}: start it before broadcasting` })
    const now = Date.now()
    const answer = this.parts.broadcasts.handle(req, now)
    if (answer.ok && req.op !== "get") {
      await this.schedule(now)
      await this.parts.rollups.noteActivity(now)
    }
    return answer
  }

  /** Each recipient's outcome, in pages (`afterSeq`: the last row of the previous page), then the skipped ones. */
  async broadcastResults(id: string, businessId: string, afterSeq: number, limit: number) {
    const snapshot = this.snapshot()
    if (!snapshot || snapshot.businessId !== businessId || !this.parts.broadcasts.store.get(id)) return null
    const rows = this.parts.broadcasts.store.results(id, afterSeq, limit)
    return { rows, skipped: rows.length < limit ? this.parts.broadcasts.store.skipped(id) : [] }
  }

  /** A contact send moved on: take its hop back unless it is already being sent (returns whether it was). */
  async withdraw(messageId: string, reason: string): Promise<boolean> {
    return this.schemaReady && this.parts.outbox.withdraw(messageId, reason, Date.now())
  }

  /** What routing asks before a contact send: each chat's opt-out and last message time, fresher than D1's. */
  async chatStates(chatIds: string[]): Promise<ReturnType<ContactLink["people"]["states"]>> {
    return this.schemaReady ? this.parts.contacts.people.states(chatIds) : {}
  }

  async message(id: string): Promise<MessageView | null> {
    return this.schemaReady ? this.parts.outbox.get(id) : null
  }

  /** What the bot sent (its outbox, kept 7 days), newest first; another business's bot is unknown. */
  async outbound(query: OutboundQuery, businessId: string): Promise<Result<OutboundSummary[], DomainError>> {
    const snapshot = this.snapshot()
    if (!snapshot || snapshot.businessId !== businessId) return err(notFound())
    return ok(listOutbound(this.parts.sql, query))
  }

  /** Queues a failed message again, as a new message with the same content (outbox-history.ts). */
  async retry(messageId: string, businessId: string): Promise<Result<Enqueued, DomainError>> {
    const snapshot = this.snapshot()
    if (!snapshot || snapshot.businessId !== businessId) return err(notFound())
    const now = Date.now()
    const admit = (message: OutboundMessage) => this.parts.contacts.admit(snapshot, message, false, now)
    const queued = this.ctx.storage.transactionSync(() =>
      retryFailed(this.parts.sql, this.parts.outbox, messageId, now, admit),
    )
    if (queued.ok) {
      this.parts.processor.nudge()
      await this.schedule(now)
      await this.parts.rollups.noteActivity(now)
    }
    return queued
  }

  /** Runs a message through the bot's handler and returns the replies, without sending anything. */
  async testMessage(input: { text: string; chatId: string }): ReturnType<Processor["dryRun"]> {
    if (!this.snapshot()) return { ok: false, message: "Bot not found" }
    return this.parts.processor.dryRun(input.text, input.chatId)
  }

  // ---- reads for the API and dashboard ----

  /** Newest first; `before` is the id of the oldest entry already shown. */
  async logs(query: { limit: number; before?: number | undefined }): Promise<LogEntry[]> {
    return this.schemaReady ? this.parts.activity.list(query.limit, query.before) : []
  }

  async stats(): Promise<BotStats> {
    this.ensureSchema() // the API asks only for bots the registry has: a push that never arrived reads as empty
    const polling = this.snapshot()?.config.updates.mode === "polling"
    return {
      hours: this.parts.counters.series(Date.now()),
      queue: this.parts.outbox.depth(),
      inboxPending: this.parts.inbox.pendingCount(),
      polling: polling ? { lastPollAt: this.parts.meta.lastPollAt() } : null,
      gateway: this.parts.gateway.status(),
      registryWrites: this.parts.rollups.registryWrites,
    }
  }

  // ---- the alarm: handle the inbox, drain the queue, reschedule ----

  override async alarm(): Promise<void> {
    this.alarmAt = null // this alarm is the one that was set; anything later must set a new one
    if (!this.snapshot()) return
    const now = Date.now()
    const deadline = now + ALARM_BUDGET_MS
    await this.parts.gateway.watch(now) // connects an active gateway bot, replaces a silent socket
    const poll = this.parts.poller.due(now) ? this.parts.poller.pollOnce() : null
    let worked = await this.parts.processor.run(deadline)
    // A long poll waits for news: meanwhile, handle and send what arrives (API sends, the poll's own events).
    while (poll && !(await settledWithin(poll, POLL_TICK_MS))) worked += await this.parts.processor.run(deadline)
    if (poll) worked += (await poll) + (await this.parts.processor.run(deadline))
    // Retention is days long: prune now and then, not in every alarm (each prune is a write, so a commit).
    if (now - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = now
      this.parts.inbox.prune(now - INBOX_RETENTION_MS)
      this.parts.outbox.prune(now - OUTBOX_RETENTION_MS)
      this.parts.counters.prune(now)
    }
    await this.parts.contacts.onAlarm()
    await this.parts.rollups.onAlarm(Date.now(), worked)
    await this.parts.alerts.onAlarm(Date.now(), worked)
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
    const written = await this.parts.intake.submit(cursor === undefined ? { events, now } : { events, now, cursor })
    if (!written.ok) throw written.error
    if (written.value.fresh > 0) {
      this.parts.processor.eventsArrived() // a run waiting on its sends handles them now
      await this.schedule(now)
      await this.parts.rollups.noteActivity(now, true)
    }
    return written.value
  }

  /** The soonest of: the queue's or inbox's next work, the next poll, the gateway's watch, the next rollup flush. */
  private nextWakeAt(): number | null {
    const times = [
      this.parts.processor.nextWakeAt(),
      this.parts.poller.nextPollAt(),
      this.parts.gateway.nextWatchAt(),
      this.parts.rollups.nextDueAt(),
      this.parts.contacts.nextDueAt(),
      this.parts.alerts.nextDueAt(),
      this.snapshot()?.status === "active" ? this.parts.broadcasts.nextWakeAt(Date.now()) : null,
    ]
    const due = times.filter((t): t is number => t !== null)
    return due.length > 0 ? Math.min(...due) : null
  }

  /** The bot as configured, or null when there is none (never configured, or being deleted). */
  private snapshot(): BotSnapshot | null {
    return this.schemaReady && !this.removing ? this.parts.meta.snapshot() : null
  }

  /** Provider, unsealed runtime and handler secrets, cached in memory until the next configure. */
  private load(): Promise<UnsealedBot> {
    // Not `snapshot()`: a bot being deleted still needs its credentials to remove its webhook.
    const snapshot = this.schemaReady ? this.parts.meta.snapshot() : null
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
    migrate(this.parts.sql)
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
