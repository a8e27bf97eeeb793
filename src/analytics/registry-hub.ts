/**
 * A registry hub: where bots' objects send what the D1 registry must learn (their hourly numbers, queue depth, the
 * people who wrote, broadcast summaries), so that D1 sees one batch per hub and interval instead of one per bot.
 *
 * A bot reports to the hub its id hashes to (`hubFor`). The hub stores each fact under its key, a later report of
 * the same thing replacing the earlier one (every fact is absolute), acknowledges, and flushes everything it holds
 * as one D1 batch at most every `HUB_EVERY_MS`. A fact leaves the hub only once D1 took it, and only if no newer
 * report replaced it meanwhile, so nothing accepted is lost by a failed flush or an eviction.
 *
 * D1 batches per second are then (hubs / interval), whatever the number of bots: 16 hubs every 10 s are 1.6/s for
 * 10 bots or 100,000 (the README has the arithmetic).
 */
import { DurableObject } from "cloudflare:workers"
import { ROLLUP_EVERY_MS, rollupEveryMs } from "../bot/rollups"
import type { Env } from "../env"
import { logEvent } from "../lib/log"
import { type FactKind, factKey, hubStatements, type RegistryFact } from "../registry/hub-statements"

/** A hub writes D1 at most this often (with a bot's 15 s coalescing: every count is in D1 within 25 s). */
export const HUB_EVERY_MS = 10_000
/** After a failed D1 batch. */
const RETRY_MS = 5_000
/** Facts written per flush; a larger backlog is drained by following flushes, a second apart. */
const FACTS_PER_FLUSH = 20_000
/** Facts per statement (one JSON parameter, well under D1's 2 MB value limit). */
const FACTS_PER_STATEMENT = 1_000
const DEFAULT_HUBS = 16

export interface HubStats {
  /** Reports received from bots' objects (each one was a D1 batch of its own before hubs). */
  reports: number
  /** D1 batches written. */
  batches: number
  /** Facts written to D1. */
  facts: number
  /** Facts waiting for the next flush. */
  pending: number
}

/** FNV-1a: a stable, well-spread hash of a bot id, so each bot always reports to the same hub. */
function hash(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** How many hubs this deployment runs (`REGISTRY_HUBS`, 1 to 256; 16 by default). */
export function hubCount(env: Env): number {
  const n = Number(env.REGISTRY_HUBS ?? DEFAULT_HUBS)
  return Number.isInteger(n) && n >= 1 && n <= 256 ? n : DEFAULT_HUBS
}

export function hubFor(env: Env, botId: string): DurableObjectStub<RegistryHub> {
  return env.REGISTRY_HUB.get(env.REGISTRY_HUB.idFromName(`hub-${hash(botId) % hubCount(env)}`))
}

export class RegistryHub extends DurableObject<Env> {
  private readonly sql: SqlStorage
  private readonly everyMs: number
  /** The next flush may not run before this (an alarm can fire early: a retry, one set while the last ran). */
  private notBefore = 0
  private rev = 0

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.sql = ctx.storage.sql
    this.everyMs = Math.round((rollupEveryMs(env) * HUB_EVERY_MS) / ROLLUP_EVERY_MS)
    this.sql.exec(`CREATE TABLE IF NOT EXISTS facts (
        key TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        body TEXT NOT NULL,                -- the fact as JSON, handed to D1 as it is
        rev INTEGER NOT NULL               -- when it was last replaced: a flush deletes only what it wrote
      );
      CREATE INDEX IF NOT EXISTS facts_by_rev ON facts (rev);
      CREATE TABLE IF NOT EXISTS stats (key TEXT PRIMARY KEY, value INTEGER NOT NULL);`)
    this.rev = this.sql.exec<{ rev: number | null }>("SELECT MAX(rev) AS rev FROM facts").one().rev ?? 0
  }

  /** Takes a bot's facts (durably, before answering) and makes sure a flush follows within the interval. */
  async report(facts: RegistryFact[]): Promise<void> {
    if (facts.length === 0) return
    this.ctx.storage.transactionSync(() => {
      for (const fact of facts)
        this.sql.exec(
          `INSERT INTO facts (key, kind, body, rev) VALUES (?, ?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET body = excluded.body, rev = excluded.rev`,
          factKey(fact),
          fact.kind,
          JSON.stringify(fact),
          ++this.rev,
        )
      this.bump("reports", 1)
    })
    await this.schedule(Math.max(Date.now(), this.notBefore))
  }

  async stats(): Promise<HubStats> {
    const read = (key: string) =>
      this.sql.exec<{ value: number }>("SELECT value FROM stats WHERE key = ?", key).toArray()[0]?.value ?? 0
    return {
      reports: read("reports"),
      batches: read("batches"),
      facts: read("facts"),
      pending: this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM facts").one().n,
    }
  }

  override async alarm(): Promise<void> {
    const now = Date.now()
    if (now < this.notBefore) {
      await this.ctx.storage.setAlarm(this.notBefore)
      return
    }
    this.notBefore = now + this.everyMs
    const rows = this.sql
      .exec<{ key: string; kind: string; body: string; rev: number }>(
        "SELECT key, kind, body, rev FROM facts ORDER BY rev LIMIT ?",
        FACTS_PER_FLUSH,
      )
      .toArray()
    if (rows.length === 0) return
    const groups = new Map<FactKind, string[]>()
    const byKind = new Map<string, string[]>()
    for (const row of rows) {
      const bodies = byKind.get(row.kind)
      if (bodies) bodies.push(row.body)
      else byKind.set(row.kind, [row.body])
    }
    for (const [kind, bodies] of byKind) {
      if (kind !== "rollup" && kind !== "bot" && kind !== "person" && kind !== "broadcast") continue
      const chunks: string[] = []
      for (let i = 0; i < bodies.length; i += FACTS_PER_STATEMENT)
        chunks.push(`[${bodies.slice(i, i + FACTS_PER_STATEMENT).join(",")}]`)
      groups.set(kind, chunks)
    }
    try {
      await this.env.DB.batch(hubStatements(this.env.DB, groups))
    } catch (cause) {
      // D1 is for dashboards and routing: a failed flush keeps every fact for the next one, never blocks messages.
      logEvent("warn", "registry.flush_failed", { facts: rows.length, error: String(cause) })
      this.notBefore = now + RETRY_MS
      await this.ctx.storage.setAlarm(this.notBefore)
      return
    }
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        `DELETE FROM facts WHERE key IN (
           SELECT json_extract(value, '$[0]') FROM json_each(?1)
         ) AND rev <= ?2`,
        JSON.stringify(rows.map((r) => [r.key])),
        rows.reduce((max, r) => Math.max(max, r.rev), 0),
      )
      this.bump("batches", 1)
      this.bump("facts", rows.length)
    })
    const left = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM facts").one().n
    // A backlog larger than one flush drains a second apart; otherwise the next flush waits out the interval.
    if (rows.length === FACTS_PER_FLUSH) this.notBefore = now + 1_000
    if (left > 0) await this.schedule(this.notBefore)
  }

  /** Sets the alarm for `at` unless one is due sooner. */
  private async schedule(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm()

    if (current === null || current > at) await this.ctx.storage.setAlarm(at)
  }

  private bump(key: string, n: number): void {
    this.sql.exec(
      "INSERT INTO stats (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = value + excluded.value",
      key,
      n,
    )
  }
}
