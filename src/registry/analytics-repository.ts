/**
 * D1 reads for the analytics API: a business's traffic over a range, per platform and for its busiest bots, in
 * hourly or daily points, with latency percentiles read from the stored distributions (sketches).
 *
 * Hourly rows live 14 days, then the cron compacts them into daily rows (`compactRollups`). A daily query reads both
 * tables: days already compacted from `bot_rollups_daily`, the rest summed from the hourly rows. Compaction moves a
 * day in one transaction, so no day is ever counted twice or missed. Sums and sketch merges happen in SQL
 * (`json_each` over the sketches), so what crosses to the worker is one row per point, not per bot-hour.
 */
import { z } from "zod"
import { merge, percentiles, type Sketch } from "../analytics/sketch"

export type Granularity = "hour" | "day"

export interface AnalyticsQuery {
  businessId: string
  granularity: Granularity
  /** First bucket (unix hour or unix day), inclusive. */
  from: number
  /** Last bucket, exclusive. */
  to: number
  platform?: string | undefined
  botId?: string | undefined
  /** How many of the busiest bots get their own series. */
  topBots: number
}

export interface Summary {
  inbound: number
  outbound: number
  failed: number
  rateLimited: number
  failovers: number
  /** outbound / (outbound + failed); null when nothing was sent. */
  successRate: number | null
  sendLatencyMs: { p50: number; p95: number } | null
  replyLatencyMs: { p50: number; p95: number } | null
}

/** Counts and distributions being summed up. */
interface Acc {
  inbound: number
  outbound: number
  failed: number
  rateLimited: number
  failovers: number
  send: Sketch
  reply: Sketch
}

export interface Series {
  totals: Acc
  points: Acc[]
}

export interface AnalyticsRows {
  totals: Acc
  platforms: Map<string, Series>
  bots: { botId: string; name: string; platform: string; series: Series }[]
  botsTotal: number
}

const emptyAcc = (): Acc => ({ inbound: 0, outbound: 0, failed: 0, rateLimited: 0, failovers: 0, send: {}, reply: {} })

function addCounts(into: Acc, from: Omit<Acc, "send" | "reply">): void {
  into.inbound += from.inbound
  into.outbound += from.outbound
  into.failed += from.failed
  into.rateLimited += from.rateLimited
  into.failovers += from.failovers
}

export function summarize(acc: Acc): Summary {
  const attempts = acc.outbound + acc.failed
  return {
    inbound: acc.inbound,
    outbound: acc.outbound,
    failed: acc.failed,
    rateLimited: acc.rateLimited,
    failovers: acc.failovers,
    successRate: attempts === 0 ? null : Math.round((acc.outbound / attempts) * 10_000) / 10_000,
    sendLatencyMs: percentiles(acc.send),
    replyLatencyMs: percentiles(acc.reply),
  }
}

const countsRow = z.object({
  key: z.string(),
  b: z.number(),
  inbound: z.number(),
  outbound: z.number(),
  failed: z.number(),
  rate_limited: z.number(),
  failovers: z.number(),
})
const sketchRow = z.object({ key: z.string(), b: z.number(), m: z.enum(["s", "r"]), k: z.string(), n: z.number() })
const botRow = z.object({ bot_id: z.string(), name: z.string(), platform: z.string() })

const COLUMNS = "bot_id, platform, inbound, outbound, failed, rate_limited, failovers, send_ms, reply_ms"

/** The rows in range as one source (`src`) plus the busiest bots (`top`), with their bindings. */
function source(q: AnalyticsQuery): { sql: string; binds: (string | number | null)[] } {
  const filters = "business_id = ?1 AND (?2 IS NULL OR platform = ?2) AND (?3 IS NULL OR bot_id = ?3)"
  const hourly =
    q.granularity === "hour"
      ? `SELECT ${COLUMNS}, hour AS b FROM bot_rollups WHERE ${filters} AND hour >= ?4 AND hour < ?5`
      : `SELECT ${COLUMNS}, hour / 24 AS b FROM bot_rollups WHERE ${filters} AND hour >= ?4 * 24 AND hour < ?5 * 24
         UNION ALL
         SELECT ${COLUMNS}, day AS b FROM bot_rollups_daily WHERE ${filters} AND day >= ?4 AND day < ?5`
  return {
    sql: `WITH src AS (${hourly}),
      top AS (SELECT bot_id FROM src GROUP BY bot_id ORDER BY SUM(inbound + outbound + failed) DESC, bot_id LIMIT ?6)`,
    binds: [q.businessId, q.platform ?? null, q.botId ?? null, q.from, q.to, q.topBots],
  }
}

const SUMS = `SUM(inbound) AS inbound, SUM(outbound) AS outbound, SUM(failed) AS failed,
  SUM(rate_limited) AS rate_limited, SUM(failovers) AS failovers`

/** Sketch buckets summed per group: `key` is the platform or the bot id. */
const sketchSql = (key: string, where: string) =>
  ["s:send_ms", "r:reply_ms"]
    .map((pair) => {
      const [m, column] = pair.split(":")
      return `SELECT ${key} AS key, b, '${m}' AS m, j.key AS k, SUM(j.value) AS n
        FROM src, json_each(src.${column}) j ${where} GROUP BY ${key}, b, j.key`
    })
    .join(" UNION ALL ")

export function createAnalyticsRepository(db: D1Database) {
  return {
    async query(q: AnalyticsQuery): Promise<AnalyticsRows> {
      const { sql, binds } = source(q)
      const inTop = "WHERE bot_id IN (SELECT bot_id FROM top)"
      const run = (body: string) => db.prepare(`${sql} ${body}`).bind(...binds)
      const [platformCounts, platformSketches, botCounts, botSketches, bots, botsTotal] = await db.batch([
        run(`SELECT platform AS key, b, ${SUMS} FROM src GROUP BY platform, b`),
        run(sketchSql("platform", "")),
        run(`SELECT bot_id AS key, b, ${SUMS} FROM src ${inTop} GROUP BY bot_id, b`),
        run(sketchSql("bot_id", inTop)),
        run(
          `SELECT t.bot_id, COALESCE(b.name, '') AS name, COALESCE(b.platform, '') AS platform
           FROM top t LEFT JOIN bots b ON b.id = t.bot_id`,
        ),
        run("SELECT COUNT(DISTINCT bot_id) AS n FROM src"),
      ])
      const width = q.to - q.from
      const fill = (groups: Map<string, Series>, counts: unknown[], sketches: unknown[]) => {
        const series = (key: string): Series => {
          let s = groups.get(key)
          if (!s) {
            s = { totals: emptyAcc(), points: Array.from({ length: width }, emptyAcc) }
            groups.set(key, s)
          }
          return s
        }
        for (const raw of counts) {
          const r = countsRow.parse(raw)
          const point = series(r.key).points[r.b - q.from]
          if (!point) continue
          const c = { inbound: r.inbound, outbound: r.outbound, failed: r.failed }
          addCounts(point, { ...c, rateLimited: r.rate_limited, failovers: r.failovers })
        }
        for (const raw of sketches) {
          const r = sketchRow.parse(raw)
          const point = series(r.key).points[r.b - q.from]
          if (point) merge(r.m === "s" ? point.send : point.reply, { [r.k]: r.n })
        }
        for (const s of groups.values())
          for (const p of s.points) {
            addCounts(s.totals, p)
            merge(s.totals.send, p.send)
            merge(s.totals.reply, p.reply)
          }
      }
      const platforms = new Map<string, Series>()
      fill(platforms, platformCounts?.results ?? [], platformSketches?.results ?? [])
      const botSeries = new Map<string, Series>()
      fill(botSeries, botCounts?.results ?? [], botSketches?.results ?? [])
      const totals = emptyAcc()
      for (const s of platforms.values()) {
        addCounts(totals, s.totals)
        merge(totals.send, s.totals.send)
        merge(totals.reply, s.totals.reply)
      }
      const named = (bots?.results ?? []).map((raw) => botRow.parse(raw))
      return {
        totals,
        platforms,
        bots: named.flatMap((b) => {
          const series = botSeries.get(b.bot_id)
          return series ? [{ botId: b.bot_id, name: b.name, platform: b.platform, series }] : []
        }),
        botsTotal: z.object({ n: z.number() }).parse(botsTotal?.results?.[0] ?? { n: 0 }).n,
      }
    },
  }
}
