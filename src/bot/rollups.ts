/**
 * How a bot's numbers and the people who wrote to it reach the D1 registry: coalesced, at most one report per
 * `ROLLUP_EVERY_MS` (15 s) to the bot's registry hub (analytics/registry-hub.ts), which writes D1 for many bots at once.
 * The object schedules a flush for itself, so nothing is stale for longer.
 */

import type { RegistryHub } from "../analytics/registry-hub"
import { logEvent } from "../lib/log"
import type { RegistryFact, RollupBucket } from "../registry/hub-statements"
import type { LearnedIdentity } from "../registry/identity-repository"
import { currentHour } from "../registry/rollup-repository"
import type { BotSnapshot } from "../registry/schemas"
import type { BroadcastView } from "./broadcasts"
import type { Counters } from "./counters"
import type { Outbox } from "./outbox"
import type { People } from "./people"

/** People per batch: a burst of new chats takes a few flushes, each one D1 batch. */
const PEOPLE_PER_FLUSH = 200

/** The registry hears about this bot's traffic at most this often (`REGISTRY_FLUSH_MS` changes it, for the bench). */
export const ROLLUP_EVERY_MS = 15_000

/** The bot's coalescing interval; a registry hub flushes at two thirds of it (10 s by default). */
export function rollupEveryMs(env: { REGISTRY_FLUSH_MS?: string | undefined }): number {
  const ms = Number(env.REGISTRY_FLUSH_MS ?? ROLLUP_EVERY_MS)
  return Number.isFinite(ms) && ms >= 100 ? ms : ROLLUP_EVERY_MS
}

export interface RollupPort {
  /** How often at most (ms). */
  everyMs: number
  /** The hub this bot reports to. */
  hub(botId: string): Pick<DurableObjectStub<RegistryHub>, "report">
  counters: Counters
  outbox: Outbox
  people: People
  /** Broadcast summaries the registry shows (GET /api/bots/:id/broadcasts). */
  broadcasts: { summaries(now: number): BroadcastView[]; reported(ids: string[], upTo: number): void }
  /** A flag in storage: set while the registry lacks something, so a restarted object knows to flush. */
  pending: { get(): boolean; set(pending: boolean): void }
  /** Counts the reports made, in storage (an eviction does not reset it); each was a D1 batch before hubs. */
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

  /** Reports this bot's object ever made to its hub: what the tests and the bench count. */
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
    if (now - this.lastFlush >= this.port.everyMs) {
      this.port.waitUntil(this.flush(now))
      return
    }
    if (this.dueAt === null) {
      this.dueAt = this.lastFlush + this.port.everyMs
      await this.port.schedule(this.dueAt)
    }
  }

  /** The alarm's turn: flush when due, else note whatever work it did. */
  async onAlarm(now: number, worked: number): Promise<void> {
    if (this.dueAt !== null && now >= this.dueAt) await this.flush(now)
    else if (worked > 0) await this.noteActivity(now)
  }

  /** Reports this and the previous hour's counters, queue depth, last activity, people and broadcasts. */
  private async flush(now: number): Promise<void> {
    const snapshot = this.port.snapshot()
    if (!snapshot) return
    this.lastFlush = now
    this.dueAt = null
    const people = this.port.people.changed(PEOPLE_PER_FLUSH)
    const campaigns = this.port.broadcasts.summaries(now)
    const facts: RegistryFact[] = [
      ...this.port.counters.since(currentHour(now) - 1).map((b) => rollupFact(snapshot, b)),
      { kind: "bot", botId: snapshot.id, queueDepth: this.port.outbox.depth().queued, lastActive: this.lastActive },
      ...people.map((p) => personFact(snapshot, p, now)),
      ...campaigns.map((c) => broadcastFact(snapshot, c, now)),
    ]
    const seen = this.activity
    try {
      await this.port.hub(snapshot.id).report(facts)
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
        this.dueAt = now + this.port.everyMs
        await this.port.schedule(this.dueAt)
      }
    } catch (cause) {
      // The registry is for dashboards and routing; a failed report is retried, never blocks messages.
      this.dueAt = now + this.port.everyMs
      logEvent("warn", "rollup.failed", { botId: snapshot.id, error: String(cause) })
      await this.port.schedule(this.dueAt).catch(() => undefined)
    }
  }
}

type Bot = Pick<BotSnapshot, "id" | "businessId" | "platform">

function rollupFact(bot: Bot, b: RollupBucket): RegistryFact {
  return { kind: "rollup", botId: bot.id, businessId: bot.businessId, platform: bot.platform, ...b }
}

function personFact(bot: Bot, p: LearnedIdentity, at: number): RegistryFact {
  return { kind: "person", botId: bot.id, businessId: bot.businessId, platform: bot.platform, ...p, at }
}

function broadcastFact(bot: Bot, v: BroadcastView, at: number): RegistryFact {
  const { queued, sent, delivered, read, failed, skipped, cancelled } = v
  return {
    kind: "broadcast",
    botId: bot.id,
    businessId: bot.businessId,
    id: v.id,
    name: v.name,
    status: v.status,
    total: v.total,
    counts: { queued, sent, delivered, read, failed, skipped, cancelled },
    scheduledAt: v.scheduledAt,
    createdAt: v.createdAt,
    at,
  }
}
