/**
 * Rollup retention, run by the hourly cron: hourly rows older than 14 days become one row per bot and day (counts
 * summed, latency distributions merged bucket by bucket, so nothing is lost but the hour), and daily rows older than
 * 400 days are deleted. Each day moves in one transaction (insert the daily rows, delete the hourly ones), so a
 * query never sees a day twice or not at all, and a run cut short resumes with the next day left.
 */
import { logEvent } from "../lib/log"
import { unixDay } from "../lib/time"

export const HOURLY_KEEP_DAYS = 14
export const DAILY_KEEP_DAYS = 400
/** Days moved per run: a backlog (a deployment that was off) is caught up over a few runs. */
const DAYS_PER_RUN = 7

/** One sketch column summed over a bot's hourly rows of the day. */
const mergedSketch = (column: string) =>
  `(SELECT json_group_object(k, n) FROM (
      SELECT j.key AS k, SUM(j.value) AS n FROM bot_rollups h, json_each(h.${column}) j
      WHERE h.bot_id = r.bot_id AND h.hour >= ?2 AND h.hour < ?3 GROUP BY j.key))`

/** A daily row written twice (it never is, but a retried run must not lose counts) adds up. */
const addSketch = (column: string) =>
  `${column} = (SELECT json_group_object(k, n) FROM (
      SELECT key AS k, SUM(value) AS n FROM (
        SELECT key, value FROM json_each(COALESCE(bot_rollups_daily.${column}, '{}'))
        UNION ALL SELECT key, value FROM json_each(COALESCE(excluded.${column}, '{}')))
      GROUP BY key))`

const MOVE_DAY = `INSERT INTO bot_rollups_daily (bot_id, business_id, platform, day, inbound, outbound, failed,
    rate_limited, failovers, send_ms, reply_ms)
  SELECT r.bot_id, MAX(r.business_id), MAX(r.platform), ?1, SUM(r.inbound), SUM(r.outbound), SUM(r.failed),
    SUM(r.rate_limited), SUM(r.failovers), ${mergedSketch("send_ms")}, ${mergedSketch("reply_ms")}
  FROM bot_rollups r WHERE r.hour >= ?2 AND r.hour < ?3 GROUP BY r.bot_id
  ON CONFLICT (bot_id, day) DO UPDATE SET inbound = inbound + excluded.inbound, outbound = outbound + excluded.outbound,
    failed = failed + excluded.failed, rate_limited = rate_limited + excluded.rate_limited,
    failovers = failovers + excluded.failovers, ${addSketch("send_ms")}, ${addSketch("reply_ms")}`

export interface CompactionResult {
  /** Days moved from hourly to daily rows. */
  days: number
  /** Hourly rows folded into them. */
  hourlyRows: number
  /** Daily rows past retention, deleted. */
  expired: number
}

export async function compactRollups(db: D1Database, now: number): Promise<CompactionResult> {
  const before = unixDay(now) - HOURLY_KEEP_DAYS
  const result: CompactionResult = { days: 0, hourlyRows: 0, expired: 0 }
  for (let i = 0; i < DAYS_PER_RUN; i++) {
    const oldest = await db.prepare("SELECT MIN(hour) AS hour FROM bot_rollups").first<{ hour: number | null }>()
    if (oldest?.hour === null || oldest?.hour === undefined) break
    const day = Math.floor(oldest.hour / 24)
    if (day >= before) break
    const [, moved] = await db.batch([
      db.prepare(MOVE_DAY).bind(day, day * 24, (day + 1) * 24),
      db.prepare("DELETE FROM bot_rollups WHERE hour >= ?1 AND hour < ?2").bind(day * 24, (day + 1) * 24),
    ])
    result.days++
    result.hourlyRows += moved?.meta.changes ?? 0
  }
  const expired = await db
    .prepare("DELETE FROM bot_rollups_daily WHERE day < ?1")
    .bind(unixDay(now) - DAILY_KEEP_DAYS)
    .run()
  result.expired = expired.meta.changes ?? 0
  if (result.days > 0 || result.expired > 0) logEvent("info", "rollups.compacted", { ...result })
  return result
}
