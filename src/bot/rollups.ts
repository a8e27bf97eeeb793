/**
 * How a bot's numbers reach the D1 registry: coalesced, at most once per `ROLLUP_EVERY_MS`, so the registry stays
 * off the message hot path. The object schedules a flush for itself, so a count is never stale for longer.
 */

import { logEvent } from "../lib/log"
import { createRollupRepository, currentHour } from "../registry/rollup-repository"
import type { BotSnapshot } from "../registry/schemas"
import type { Counters } from "./counters"
import type { Outbox } from "./outbox"

/** D1 hears about this bot's traffic at most this often. */
export const ROLLUP_EVERY_MS = 15_000

export interface RollupPort {
  db: D1Database
  counters: Counters
  outbox: Outbox
  snapshot(): BotSnapshot | null
  /** Sets the object's alarm for `at` unless one is due sooner. */
  schedule(at: number): Promise<void>
  waitUntil(promise: Promise<unknown>): void
}

export class Rollups {
  private lastFlush = 0
  private dueAt: number | null = null
  private lastActive: number | null = null

  constructor(private readonly port: RollupPort) {}

  /** When the next flush is due (null: none pending), for the alarm to wake up by. */
  nextDueAt(): number | null {
    return this.dueAt
  }

  /** Something changed the counters or the queue: flush now, or once the coalescing interval has passed. */
  async noteActivity(now: number, active = false): Promise<void> {
    if (active) this.lastActive = now
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
    try {
      await createRollupRepository(this.port.db).write(
        snapshot,
        buckets,
        this.port.outbox.depth().queued,
        this.lastActive,
      )
    } catch (cause) {
      // D1 is for dashboards; a failed flush is retried with the next activity, never blocks messages.
      this.dueAt = now + ROLLUP_EVERY_MS
      logEvent("warn", "rollup.failed", { botId: snapshot.id, error: String(cause) })
    }
  }
}
