/** Hourly counters per bot: messages in/out/failed and send latency, kept 48 hours for the dashboard's chart. */
import { z } from "zod"
import { HOUR_MS, unixHour } from "../lib/time"

const KEEP_HOURS = 48

const bucketRow = z.object({
  hour: z.number(),
  inbound: z.number(),
  outbound: z.number(),
  failed: z.number(),
  latency_ms_sum: z.number(),
  latency_count: z.number(),
})

export interface HourBucket {
  hour: string
  inbound: number
  outbound: number
  failed: number
  avgLatencyMs: number | null
}

/** The start of `now`'s hour bucket. */
export const hourStart = (now: number): number => unixHour(now) * HOUR_MS

export class Counters {
  constructor(private readonly sql: SqlStorage) {}

  add(kind: "inbound" | "outbound" | "failed", now: number, n = 1, latencyMs?: number): void {
    const hour = unixHour(now)
    const latency = latencyMs === undefined ? 0 : latencyMs
    const counted = latencyMs === undefined ? 0 : 1
    // `kind` is one of three literal column names, never user input.
    this.sql.exec(
      `INSERT INTO counters (hour, ${kind}, latency_ms_sum, latency_count) VALUES (?, ?, ?, ?)
       ON CONFLICT (hour) DO UPDATE SET ${kind} = ${kind} + excluded.${kind},
         latency_ms_sum = latency_ms_sum + excluded.latency_ms_sum, latency_count = latency_count + excluded.latency_count`,
      hour,
      n,
      latency,
      counted,
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

  /** Raw buckets from `sinceHour` on, for the D1 rollup. */
  since(sinceHour: number): { hour: number; inbound: number; outbound: number; failed: number }[] {
    return this.sql
      .exec("SELECT * FROM counters WHERE hour >= ? ORDER BY hour", sinceHour)
      .toArray()
      .map((raw) => {
        const r = bucketRow.parse(raw)
        return { hour: r.hour, inbound: r.inbound, outbound: r.outbound, failed: r.failed }
      })
  }

  prune(now: number): void {
    this.sql.exec("DELETE FROM counters WHERE hour <= ?", unixHour(now) - KEEP_HOURS)
  }
}
