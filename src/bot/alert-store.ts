/**
 * The alerts' durable state in the bot's SQLite, in tables of their own (created on first use, so an object nobody
 * configured stays empty): each condition's state, the events still to be delivered (in order, with their retries),
 * and per-minute samples of the send counters for the 15-minute failure-rate window.
 */
import { z } from "zod"

export const alertConditions = ["error", "queue_depth", "failure_rate"] as const
export type AlertCondition = (typeof alertConditions)[number]

/** A condition that fired and has not cleared: the event that said so, and when. */
export interface Firing {
  eventId: string
  since: number
}

export interface PendingAlert {
  seq: number
  eventId: string
  type: string
  /** The JSON payload exactly as posted (and signed). */
  body: string
  attempts: number
}

/** The send counters' totals of one hour at one moment. */
export interface CounterSample {
  at: number
  hour: number
  outbound: number
  failed: number
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS alert_state (
    condition TEXT PRIMARY KEY,
    firing INTEGER NOT NULL,
    event_id TEXT NOT NULL,               -- the fired event (resolved events name it)
    since INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS alert_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL,
    type TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    last_error TEXT
  );
  CREATE TABLE IF NOT EXISTS alert_samples (
    minute INTEGER PRIMARY KEY,           -- one sample per minute: the last check's
    at INTEGER NOT NULL,
    hour INTEGER NOT NULL,
    outbound INTEGER NOT NULL,
    failed INTEGER NOT NULL
  );`

const stateRow = z.object({ condition: z.enum(alertConditions), event_id: z.string(), since: z.number() })
const pendingRow = z.object({
  seq: z.number(),
  event_id: z.string(),
  type: z.string(),
  body: z.string(),
  attempts: z.number(),
})
const sampleRow = z.object({ at: z.number(), hour: z.number(), outbound: z.number(), failed: z.number() })
const countersRow = z.object({ hour: z.number(), outbound: z.number(), failed: z.number() })

export class AlertStore {
  private ready = false
  /** Firing conditions, read once from storage and kept in step with it. */
  private firingCache: Map<AlertCondition, Firing> | null = null

  constructor(private readonly sql: SqlStorage) {}

  /** Creates the tables if they are missing (every entry point calls this first). */
  ensure(): void {
    if (this.ready) return
    this.sql.exec(SCHEMA)
    this.ready = true
  }

  /** The object's storage was wiped (the bot was deleted): create again on next use. */
  forget(): void {
    this.ready = false
    this.firingCache = null
  }

  // ---- conditions ----

  /** Forgets the cached firing conditions: read again from storage on next use. */
  reread(): void {
    this.firingCache = null
  }

  firing(): ReadonlyMap<AlertCondition, Firing> {
    if (!this.firingCache) {
      this.firingCache = new Map()
      for (const raw of this.sql.exec("SELECT condition, event_id, since FROM alert_state WHERE firing = 1")) {
        const row = stateRow.parse(raw)
        this.firingCache.set(row.condition, { eventId: row.event_id, since: row.since })
      }
    }
    return this.firingCache
  }

  fire(condition: AlertCondition, eventId: string, now: number): void {
    this.sql.exec(
      `INSERT INTO alert_state (condition, firing, event_id, since) VALUES (?, 1, ?, ?)
       ON CONFLICT (condition) DO UPDATE SET firing = 1, event_id = excluded.event_id, since = excluded.since`,
      condition,
      eventId,
      now,
    )
    this.firingCache?.set(condition, { eventId, since: now })
  }

  clear(condition: AlertCondition, now: number): void {
    this.sql.exec("UPDATE alert_state SET firing = 0, since = ? WHERE condition = ?", now, condition)
    this.firingCache?.delete(condition)
  }

  /** Alerts were turned off: every condition is forgotten and nothing waits to be sent (writes only if needed). */
  reset(): void {
    if (this.firing().size > 0) {
      this.sql.exec("UPDATE alert_state SET firing = 0 WHERE firing = 1")
      this.firingCache = new Map()
    }
    if (this.nextDueAt() !== null) this.sql.exec("DELETE FROM alert_outbox")
  }

  // ---- deliveries, oldest first ----

  enqueue(event: { id: string; type: string }, body: string, now: number): void {
    this.sql.exec(
      "INSERT INTO alert_outbox (event_id, type, body, next_at) VALUES (?, ?, ?, ?)",
      event.id,
      event.type,
      body,
      now,
    )
  }

  /** The oldest undelivered event if it is due: a later one never overtakes it (a resolved after its fired). */
  head(now: number): PendingAlert | null {
    const raw = this.sql
      .exec("SELECT seq, event_id, type, body, attempts, next_at FROM alert_outbox ORDER BY seq LIMIT 1")
      .toArray()[0]
    if (!raw || Number(raw.next_at) > now) return null
    const row = pendingRow.parse(raw)
    return { seq: row.seq, eventId: row.event_id, type: row.type, body: row.body, attempts: row.attempts }
  }

  nextDueAt(): number | null {
    const raw = this.sql.exec("SELECT next_at FROM alert_outbox ORDER BY seq LIMIT 1").toArray()[0]
    return raw ? Number(raw.next_at) : null
  }

  /** Delivered, or given up on: either way it leaves the line. */
  done(seq: number): void {
    this.sql.exec("DELETE FROM alert_outbox WHERE seq = ?", seq)
  }

  retryAt(seq: number, at: number, error: string): void {
    this.sql.exec(
      "UPDATE alert_outbox SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE seq = ?",
      at,
      error,
      seq,
    )
  }

  // ---- the failure-rate window ----

  /** Records the current hour's totals at `now`, as the sample of `now`'s minute (a later check replaces it). */
  sample(now: number, hour: number, outbound: number, failed: number): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO alert_samples (minute, at, hour, outbound, failed) VALUES (?, ?, ?, ?, ?)",
      Math.floor(now / 60_000),
      now,
      hour,
      outbound,
      failed,
    )
  }

  /** The newest sample taken at or before `at` (the window's start), or null when watching began after it. */
  sampleAtOrBefore(at: number): CounterSample | null {
    const raw = this.sql
      .exec("SELECT at, hour, outbound, failed FROM alert_samples WHERE at <= ? ORDER BY at DESC LIMIT 1", at)
      .toArray()[0]
    return raw ? sampleRow.parse(raw) : null
  }

  /** Drops samples older than the newest one at or before `at`: nothing before the window's start is needed. */
  pruneSamples(at: number): void {
    this.sql.exec("DELETE FROM alert_samples WHERE at < (SELECT MAX(at) FROM alert_samples WHERE at <= ?)", at)
  }

  /** The bot's hourly send counters (read only: the counters module owns the table) from `hour` on. */
  countersSince(hour: number): { hour: number; outbound: number; failed: number }[] {
    return this.sql
      .exec("SELECT hour, outbound, failed FROM counters WHERE hour >= ? ORDER BY hour", hour)
      .toArray()
      .map((raw) => countersRow.parse(raw))
  }
}
