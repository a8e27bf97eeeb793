/**
 * Alerts (docs/alerts.md): the bot's object watches three conditions of its own and posts an event to the business's
 * alert URL when one starts to hold, and again when it clears, at most once per condition until it clears:
 * - `error`: the bot is in status error (the platform refused it, or a start failed); clears when it is not;
 * - `queue_depth`: more messages queued than the business's threshold; clears at 90% of it or less;
 * - `failure_rate`: failed / attempted sends over the last 15 minutes at the threshold, with at least `minAttempts`
 *   attempts; clears when the window is empty or the rate is under 80% of the threshold.
 * The margins keep a value hovering at a threshold from raising an alert at every check.
 *
 * A change of state and its event are written in one transaction before anything is sent; delivery then goes in
 * order, one event at a time, retried with backoff through the object's alarm (so it survives an eviction). The
 * error condition is evaluated at once when the status changes; the others from the alarm, at most every 15 s
 * after the bot did work, and every minute while the failure rate is raised (so it can clear as the window ages).
 */
import type { Env } from "../env"
import { backoffDelay } from "../lib/backoff"
import { newId } from "../lib/ids"
import { logEvent } from "../lib/log"
import { unixHour } from "../lib/time"
import type { BotSnapshot } from "../registry/schemas"
import type { LogDetail, LogLevel } from "./activity-log"
import { type ActiveAlertSettings, AlertSettingsCache, postAlert } from "./alert-delivery"
import { type AlertCondition, AlertStore } from "./alert-store"

/** The failure rate's window. */
export const ALERT_WINDOW_MS = 15 * 60_000
/** Full checks after work: at most this often. */
const CHECK_EVERY_MS = 15_000
/** While the failure rate is raised, checked this often even when the bot is idle. */
const RECHECK_FIRING_MS = 60_000
const QUEUE_CLEAR_RATIO = 0.9
const RATE_CLEAR_RATIO = 0.8
/** A delivery is given up after this many attempts (about two hours of backoff). */
export const MAX_ALERT_ATTEMPTS = 12
const DELIVERY_BACKOFF = { baseMs: 5_000, capMs: 30 * 60_000 }
/** D1 did not answer for the settings: try the deliveries again this much later. */
const SETTINGS_RETRY_MS = 30_000

export const ALERT_TYPES: Record<AlertCondition, string> = {
  error: "bot.error",
  queue_depth: "queue.depth_exceeded",
  failure_rate: "bot.failure_rate",
}

export type AlertDetail = Record<string, string | number | null>

/** What is posted: `type` is one of ALERT_TYPES or the same followed by `.resolved`. */
export interface AlertPayload {
  id: string
  type: string
  botId: string
  businessId: string
  /** ISO 8601. */
  at: string
  detail: AlertDetail
}

export interface AlertsPort {
  env: Env
  sql: SqlStorage
  storage: DurableObjectStorage
  snapshot(): BotSnapshot | null
  /** Messages waiting to be sent (queued or being sent). */
  queued(): number
  /** Sets the object's alarm for `at` unless one is due sooner. */
  schedule(at: number): Promise<void>
  waitUntil(promise: Promise<unknown>): void
  /** The bot's activity log (its warnings mirrored to the console). */
  log(level: LogLevel, event: string, message: string, detail?: LogDetail): void
}

export class Alerts {
  private readonly store: AlertStore
  private readonly settings: AlertSettingsCache
  private lastCheckAt = 0
  /** The bot did work (or its queue changed) since the last full check. */
  private dirty = false
  /** The queue's length at the last full check (null: none yet). */
  private lastQueued: number | null = null
  /** Why the bot last went into error, for the event (kept in memory: a plain fallback after an eviction). */
  private errorReason: string | null = null
  private delivering: Promise<void> | null = null
  private again = false

  constructor(private readonly port: AlertsPort) {
    this.store = new AlertStore(port.sql)
    this.settings = new AlertSettingsCache(port.env)
  }

  /** The platform refused the bot (lifecycle `halt`): the error condition, evaluated now. */
  async halted(reason: string): Promise<void> {
    this.errorReason = reason
    await this.safely(() => this.evaluate(Date.now(), false))
  }

  /** After a start, stop or restart (`reason`: why it failed): the error condition, evaluated now. */
  async statusChanged(reason?: string): Promise<void> {
    if (reason !== undefined) this.errorReason = reason
    await this.safely(() => this.evaluate(Date.now(), false))
  }

  /** The alarm's turn: a full check when one is due, then the deliveries that are (in the background). */
  async onAlarm(now: number, worked: number): Promise<void> {
    await this.safely(async () => {
      // Sends queued to a bot that cannot send (in error) are no work, but they are what the queue alert is for.
      if (worked > 0 || (!this.dirty && this.port.queued() !== this.lastQueued)) this.dirty = true
      const due = this.checkDueAt()
      if (due !== null && due <= now) await this.evaluate(now, true)
    })
    this.kick() // not awaited: a slow alert URL must not hold the bot's next alarm back
  }

  /** When the alarm is next needed here: a check after work, a raised failure rate, a delivery (or its retry). */
  nextDueAt(): number | null {
    this.store.ensure()
    const times = [this.checkDueAt(), this.store.nextDueAt()].filter((t): t is number => t !== null)
    return times.length > 0 ? Math.min(...times) : null
  }

  /** The bot was deleted and its storage wiped. */
  forget(): void {
    this.store.forget()
    this.lastCheckAt = 0
    this.dirty = false
    this.lastQueued = null
    this.errorReason = null
  }

  private checkDueAt(): number | null {
    if (this.dirty) return this.lastCheckAt + CHECK_EVERY_MS
    this.store.ensure()
    return this.store.firing().has("failure_rate") ? this.lastCheckAt + RECHECK_FIRING_MS : null
  }

  /** Alerts never break the bot: a failure here is logged, and the next check tries again. */
  private async safely(run: () => Promise<void>): Promise<void> {
    try {
      await run()
    } catch (cause) {
      this.dirty = true
      this.store.reread() // a transaction that threw was rolled back: what is firing is what storage says
      this.console("error", "alert.check_failed", { error: String(cause) })
    }
  }

  /** Evaluates the error condition (and with `full`, the queue and the failure rate); writes and queues changes. */
  private async evaluate(now: number, full: boolean): Promise<void> {
    const known = this.port.snapshot()
    if (!known) return
    if (full) {
      this.lastCheckAt = now
      this.dirty = false
      this.lastQueued = this.port.queued()
    }
    let settings: ActiveAlertSettings
    try {
      settings = await this.settings.get(known.businessId, now)
    } catch (cause) {
      this.dirty = true // a full check (which also looks at the error condition) follows within 15 s
      this.console("warn", "alert.settings_unavailable", { error: String(cause) })
      return
    }
    const snapshot = this.port.snapshot() // the status may have moved while D1 answered
    if (!snapshot) return
    this.store.ensure()
    if (snapshot.status !== "error") this.errorReason = null
    if (settings.url === null || settings.secret === null) {
      // Alerts off: nothing is watched; turned on again, a condition that holds then is reported then.
      this.store.reset()
      return
    }
    const events = this.port.storage.transactionSync(() => this.transitions(snapshot, settings, now, full))
    for (const event of events) {
      const resolved = event.type.endsWith(".resolved")
      this.port.log(resolved ? "info" : "warn", resolved ? "alert.resolved" : "alert.fired", describe(event), {
        alertId: event.id,
        type: event.type,
      })
      if (resolved) this.console("info", "alert.resolved", { alertId: event.id, type: event.type })
    }
    if (events.length > 0) this.kick()
  }

  /** Inside one transaction: each condition's new state and the events that say so, queued for delivery. */
  private transitions(
    snapshot: BotSnapshot,
    settings: ActiveAlertSettings,
    now: number,
    full: boolean,
  ): AlertPayload[] {
    const out: AlertPayload[] = []
    const bot = { botName: snapshot.name, platform: snapshot.platform }
    const payload = (type: string, detail: AlertDetail): AlertPayload => ({
      id: newId("alert", now),
      type,
      botId: snapshot.id,
      businessId: snapshot.businessId,
      at: new Date(now).toISOString(),
      detail: { ...bot, ...detail },
    })
    const judge = (condition: AlertCondition, holds: boolean, clears: boolean, detail: AlertDetail) => {
      const firing = this.store.firing().get(condition)
      if (!firing && holds) {
        const event = payload(ALERT_TYPES[condition], detail)
        this.store.fire(condition, event.id, now)
        out.push(event)
      } else if (firing && clears) {
        this.store.clear(condition, now)
        out.push(
          payload(`${ALERT_TYPES[condition]}.resolved`, {
            ...detail,
            firedId: firing.eventId,
            firedAt: new Date(firing.since).toISOString(),
          }),
        )
      }
    }
    const inError = snapshot.status === "error"
    judge("error", inError, !inError, {
      status: snapshot.status,
      ...(inError ? { reason: this.errorReason ?? "the platform refused the bot" } : {}),
    })
    if (full) {
      const queued = this.lastQueued ?? this.port.queued()
      const threshold = settings.queueDepth
      judge("queue_depth", queued > threshold, queued <= Math.floor(threshold * QUEUE_CLEAR_RATIO), {
        queued,
        threshold,
      })
      const { attempts, failed } = this.window(now)
      const rate = attempts > 0 ? failed / attempts : 0
      judge(
        "failure_rate",
        attempts >= settings.minAttempts && rate >= settings.failureRate,
        attempts === 0 || rate < settings.failureRate * RATE_CLEAR_RATIO,
        {
          failed,
          attempts,
          rate: Math.round(rate * 1000) / 1000,
          threshold: settings.failureRate,
          minAttempts: settings.minAttempts,
          windowMinutes: ALERT_WINDOW_MS / 60_000,
        },
      )
    }
    for (const event of out) this.store.enqueue(event, JSON.stringify(event), now)
    return out
  }

  /**
   * Sends attempted (sent + failed) and failed in the last 15 minutes, from the hourly counters: the counts since
   * the newest sample taken at or before the window's start (that hour's totals then, subtracted from its totals
   * now, plus every later hour). Until a sample that old exists (the first 15 minutes of watching), the window
   * starts at the beginning of the hour it falls in, so it may count up to an hour more.
   */
  private window(now: number): { attempts: number; failed: number } {
    const hour = unixHour(now)
    const current = this.store.countersSince(hour)[0]
    this.store.sample(now, hour, current?.outbound ?? 0, current?.failed ?? 0)
    const start = now - ALERT_WINDOW_MS
    const base = this.store.sampleAtOrBefore(start)
    this.store.pruneSamples(start)
    let outbound = 0
    let failed = 0
    for (const r of this.store.countersSince(base?.hour ?? unixHour(start))) {
      // An hour whose row was pruned since the sample (days idle) has nothing to subtract from.
      const taken = base && r.hour === base.hour ? base : null
      outbound += Math.max(0, r.outbound - (taken?.outbound ?? 0))
      failed += Math.max(0, r.failed - (taken?.failed ?? 0))
    }
    return { attempts: outbound + failed, failed }
  }

  /** Delivers what is due, one at a time in order (a hand-over that outlives the call that caused it). */
  private kick(): void {
    if (this.delivering) {
      this.again = true
      return
    }
    this.delivering = this.deliver()
      .catch((cause: unknown) => this.console("error", "alert.delivery_error", { error: String(cause) }))
      .finally(() => {
        this.delivering = null
      })
    this.port.waitUntil(this.delivering)
  }

  private async deliver(): Promise<void> {
    do {
      this.again = false
      for (;;) {
        const snapshot = this.port.snapshot()
        if (!snapshot) return
        const item = this.store.head(Date.now())
        if (!item) break
        let settings: ActiveAlertSettings
        try {
          settings = await this.settings.get(snapshot.businessId, Date.now())
        } catch (cause) {
          this.console("warn", "alert.settings_unavailable", { error: String(cause) })
          await this.port.schedule(Date.now() + SETTINGS_RETRY_MS)
          return
        }
        const { url, secret } = settings
        if (url === null || secret === null) {
          this.store.done(item.seq)
          continue // alerts were turned off meanwhile
        }
        const outcome = await postAlert(this.port.env, { url, secret }, item)
        const attempts = item.attempts + 1
        if (outcome.ok) {
          this.store.done(item.seq)
          this.console("info", "alert.delivered", { alertId: item.eventId, type: item.type, attempts })
          continue
        }
        const detail = { alertId: item.eventId, type: item.type, attempts, reason: outcome.reason }
        if (!outcome.retry || attempts >= MAX_ALERT_ATTEMPTS) {
          this.store.done(item.seq)
          this.port.log("error", "alert.dropped", `Alert ${item.type} given up: ${outcome.reason}`, detail)
          continue
        }
        const at = Date.now() + backoffDelay(attempts, DELIVERY_BACKOFF)
        this.store.retryAt(item.seq, at, outcome.reason)
        this.port.log("warn", "alert.delivery_failed", `Alert ${item.type} will be retried: ${outcome.reason}`, detail)
        await this.port.schedule(at)
        return // in order: nothing after it goes before it
      }
      const next = this.store.nextDueAt()
      if (next !== null) await this.port.schedule(next)
    } while (this.again)
  }

  /** A structured console line, unless the bot's console mirror is off (LOG_MIRROR=off, the tests). */
  private console(level: "info" | "warn" | "error", event: string, fields: Record<string, string | number>): void {
    if (this.port.env.LOG_MIRROR === "off") return
    const snapshot = this.port.snapshot()
    logEvent(level, event, { botId: snapshot?.id ?? null, businessId: snapshot?.businessId ?? null, ...fields })
  }
}

function describe(event: AlertPayload): string {
  const d = event.detail
  switch (event.type) {
    case "bot.error":
      return `Alert: the bot is in error (${String(d.reason)})`
    case "queue.depth_exceeded":
      return `Alert: ${String(d.queued)} messages queued, over ${String(d.threshold)}`
    case "bot.failure_rate":
      return `Alert: ${String(d.failed)} of ${String(d.attempts)} sends failed in 15 minutes`
    default:
      return `Alert resolved: ${event.type.replace(/\.resolved$/, "")}`
  }
}
