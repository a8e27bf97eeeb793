/**
 * How a bot's numbers and the people who wrote to it reach the D1 registry: coalesced, at most one batch per
 * `ROLLUP_EVERY_MS`, so the registry stays off the message hot path. The object schedules a flush for itself, so
 * nothing is stale for longer.
 */

import { logEvent } from "../lib/log"
import { broadcastStatements } from "../registry/broadcast-repository"
import { identityStatements } from "../registry/identity-repository"
import { createRollupRepository, currentHour } from "../registry/rollup-repository"
import type { BotSnapshot } from "../registry/schemas"
import type { BroadcastView } from "./broadcasts"
import type { Counters } from "./counters"
import type { Outbox } from "./outbox"
import type { People } from "./people"

/** People per batch: a burst of new chats takes a few flushes, each one D1 batch. */
const PEOPLE_PER_FLUSH = 200

/** D1 hears about this bot's traffic at most this often. */
export const ROLLUP_EVERY_MS = 15_000

export interface RollupPort {
  db: D1Database
  counters: Counters
  outbox: Outbox
  people: People
  /** Broadcast summaries the registry shows (GET /api/bots/:id/broadcasts). */
  broadcasts: { summaries(now: number): BroadcastView[]; reported(ids: string[], upTo: number): void }
  /** A flag in storage: set while the registry lacks something, so a restarted object knows to flush. */
  pending: { get(): boolean; set(pending: boolean): void }
  /** Counts the D1 batches written, in storage (an eviction does not reset it). */
  writes: { count(): number; add(): void }
  snapshot(): BotSnapshot | null
  /** Sets the object's alarm for `at` unless one is due sooner. */
  schedule(at: number): Promise<void>
  waitUntil(promise: Promise<unknown>): void
}

export class Rollups {
  private lastFlush = 0
  private dueAt: number | null = null
  private lastActive: number | null = null
  /** Bumped by every activity; a flush clears the stored flag only if none came while it was writing. */
  private activity = 0
  private flagged = false

  constructor(private readonly port: RollupPort) {}

  /** D1 batches this bot's object ever wrote: what the tests and the bench count. */
  get registryWrites(): number {
    return this.port.writes.count()
  }

  /**
   * A fresh start (after an eviction, which forgets the in-memory schedule): whatever the registry has not heard
   * yet is flushed by the first alarm, not 15 s after each restart (an object evicted more often than that would
   * otherwise never flush).
   */
  restore(now: number): void {
    this.flagged = this.port.pending.get()
    if (this.dueAt === null && (this.flagged || this.port.people.hasChanges())) this.dueAt = now
  }

  /** When the next flush is due (null: none pending), for the alarm to wake up by. */
  nextDueAt(): number | null {
    return this.dueAt
  }

  /** Something changed the counters or the queue: flush now, or once the coalescing interval has passed. */
  async noteActivity(now: number, active = false): Promise<void> {
    if (active) this.lastActive = now
    this.activity++
    if (!this.flagged) {
      this.flagged = true
      this.port.pending.set(true)
    }
    if (now - this.lastFlush >= ROLLUP_EVERY_MS) {
      this.port.waitUntil(this.flush(now))
      return
    }
    if (this.dueAt === null) {
      this.dueAt = this.lastFlush + ROLLUP_EVERY_MS
      await this.port.schedule(this.dueAt)
    }
  }

  /** The alarm's turn: flush when due, else note whatever work it did. */
  async onAlarm(now: number, worked: number): Promise<void> {
    if (this.dueAt !== null && now >= this.dueAt) await this.flush(now)
    else if (worked > 0) await this.noteActivity(now)
  }

  /** Writes this and the previous hour's counters, queue depth and last activity to the D1 rollups. */
  private async flush(now: number): Promise<void> {
    const snapshot = this.port.snapshot()
    if (!snapshot) return
    this.lastFlush = now
    this.dueAt = null
    const buckets = this.port.counters.since(currentHour(now) - 1)
    const people = this.port.people.changed(PEOPLE_PER_FLUSH)
    const campaigns = this.port.broadcasts.summaries(now)
    const db = this.port.db
    const seen = this.activity
    try {
      await db.batch([
        ...createRollupRepository(db).statements(snapshot, buckets, this.port.outbox.depth().queued, this.lastActive),
        ...identityStatements(db, snapshot, people, now),
        ...broadcastStatements(db, snapshot, campaigns, now),
      ])
      this.port.writes.add()
      this.port.people.flushed(people)
      this.port.broadcasts.reported(
        campaigns.map((c) => c.id),
        now,
      )
      if (this.activity === seen && this.flagged) {
        this.flagged = false
        this.port.pending.set(false)
      }
      // More people than one batch takes: the next batch after the usual interval.
      if (people.length === PEOPLE_PER_FLUSH) {
        this.dueAt = now + ROLLUP_EVERY_MS
        await this.port.schedule(this.dueAt)
      }
    } catch (cause) {
      // D1 is for dashboards and routing; a failed flush is retried, never blocks messages.
      this.dueAt = now + ROLLUP_EVERY_MS
      logEvent("warn", "rollup.failed", { botId: snapshot.id, error: String(cause) })
      await this.port.schedule(this.dueAt).catch(() => undefined)
    }
  }
}
