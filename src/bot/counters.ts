/**
 * Hourly counters per bot: messages in/out/failed, 429s, failovers and latency distributions, kept 48 hours for the
 * dashboard's chart and for the registry's rollups (which keep them longer).
 */
import { z } from "zod"
import { bucketOf } from "../analytics/sketch"
import { HOUR_MS, unixHour } from "../lib/time"
import type { RollupBucket } from "../registry/hub-statements"

const KEEP_HOURS = 48

const bucketRow = z.object({
  hour: z.number(),
  inbound: z.number(),
  outbound: z.number(),
  failed: z.number(),
  rate_limited: z.number(),
  failovers: z.number(),
  latency_ms_sum: z.number(),
  latency_count: z.number(),
})
const latencyRow = z.object({ hour: z.number(), metric: z.enum(["send", "reply"]), bucket: z.number(), n: z.number() })

export interface HourBucket {
  hour: string
  inbound: number
  outbound: number
  failed: number
  avgLatencyMs: number | null
}

export type CounterKind = "inbound" | "outbound" | "failed" | "rateLimited" | "failovers"
export type LatencyMetric = "send" | "reply"

/** Column per kind: literal names, never user input. */
const COLUMN: Record<CounterKind, string> = {
  inbound: "inbound",
  outbound: "outbound",
  failed: "failed",
  rateLimited: "rate_limited",
  failovers: "failovers",
}

/** The start of `now`'s hour bucket. */
export const hourStart = (now: number): number => unixHour(now) * HOUR_MS

export class Counters {
  constructor(private readonly sql: SqlStorage) {}

  /** Counts `n` of `kind`; `latencyMs` (queue time and send, per sent message) feeds the bot page's average. */
  add(kind: CounterKind, now: number, n = 1, latencyMs?: number): void {
    const hour = unixHour(now)
    const latency = latencyMs === undefined ? 0 : latencyMs
    const counted = latencyMs === undefined ? 0 : 1
    const column = COLUMN[kind]
    this.sql.exec(
      `INSERT INTO counters (hour, ${column}, latency_ms_sum, latency_count) VALUES (?, ?, ?, ?)
       ON CONFLICT (hour) DO UPDATE SET ${column} = ${column} + excluded.${column},
         latency_ms_sum = latency_ms_sum + excluded.latency_ms_sum, latency_count = latency_count + excluded.latency_count`,
      hour,
      n,
      latency,
      counted,
    )
  }

  /** One timing into the hour's distribution of `metric`. */
  time(metric: LatencyMetric, now: number, ms: number): void {
    this.sql.exec(
      `INSERT INTO latency (hour, metric, bucket, n) VALUES (?, ?, ?, 1)
       ON CONFLICT (hour, metric, bucket) DO UPDATE SET n = n + 1`,
      unixHour(now),
      metric,
      bucketOf(ms),
    )
  }

  /** The last `hours` buckets, oldest first, zero-filled. */
  series(now: number, hours = 24): HourBucket[] {
    const current = unixHour(now)
    const rows = new Map(
      this.sql
        .exec("SELECT * FROM counters WHERE hour > ?", current - hours)
        .toArray()
        .map((raw) => {
          const r = bucketRow.parse(raw)
          return [r.hour, r] as const
        }),
    )
    const out: HourBucket[] = []
    for (let h = current - hours + 1; h <= current; h++) {
      const r = rows.get(h)
      out.push({
        hour: new Date(h * HOUR_MS).toISOString(),
        inbound: r?.inbound ?? 0,
        outbound: r?.outbound ?? 0,
        failed: r?.failed ?? 0,
        avgLatencyMs: r && r.latency_count > 0 ? Math.round(r.latency_ms_sum / r.latency_count) : null,
      })
    }
    return out
  }

  /** Hours from `sinceHour` on, with their distributions, for the registry's rollups. */
  since(sinceHour: number): RollupBucket[] {
    const out = new Map<number, RollupBucket>()
    for (const raw of this.sql.exec("SELECT * FROM counters WHERE hour >= ? ORDER BY hour", sinceHour)) {
      const r = bucketRow.parse(raw)
      out.set(r.hour, {
        hour: r.hour,
        inbound: r.inbound,
        outbound: r.outbound,
        failed: r.failed,
        rateLimited: r.rate_limited,
        failovers: r.failovers,
        sendMs: {},
        replyMs: {},
      })
    }
    for (const raw of this.sql.exec("SELECT * FROM latency WHERE hour >= ?", sinceHour)) {
      const r = latencyRow.parse(raw)
      const bucket = out.get(r.hour)
      if (bucket) (r.metric === "send" ? bucket.sendMs : bucket.replyMs)[String(r.bucket)] = r.n
    }
    return [...out.values()]
  }

  prune(now: number): void {
    const cutoff = unixHour(now) - KEEP_HOURS
    this.sql.exec("DELETE FROM counters WHERE hour <= ?", cutoff)
    this.sql.exec("DELETE FROM latency WHERE hour <= ?", cutoff)
  }
}
