/** D1 SQL for message rollups: written by the registry hubs, read by the bot list and the business overview. */
import { z } from "zod"
import { unixHour } from "../lib/time"

export interface Totals {
  inbound: number
  outbound: number
  failed: number
}

const totalsRow = z.object({ bot_id: z.string(), inbound: z.number(), outbound: z.number(), failed: z.number() })
const platformRow = z.object({
  platform: z.string(),
  bots: z.number(),
  active: z.number(),
  stopped: z.number(),
  error: z.number(),
  queue_depth: z.number(),
})
const platformTotalsRow = z.object({
  platform: z.string(),
  inbound: z.number(),
  outbound: z.number(),
  failed: z.number(),
})

/** The unix hour a rollup row is keyed by. */
export const currentHour = unixHour

export function createRollupRepository(db: D1Database) {
  return {
    /** Last-24-hour totals for the given bots of one business. */
    async totals24h(businessId: string, botIds: string[], now: number): Promise<Map<string, Totals>> {
      const out = new Map<string, Totals>()
      if (botIds.length === 0) return out
      const placeholders = botIds.map((_, i) => `?${i + 3}`).join(", ")
      const { results } = await db
        .prepare(
          `SELECT bot_id, SUM(inbound) AS inbound, SUM(outbound) AS outbound, SUM(failed) AS failed FROM bot_rollups
           WHERE business_id = ?1 AND hour > ?2 AND bot_id IN (${placeholders}) GROUP BY bot_id`,
        )
        .bind(businessId, currentHour(now) - 24, ...botIds)
        .all()
      for (const raw of results) {
        const r = totalsRow.parse(raw)
        out.set(r.bot_id, { inbound: r.inbound, outbound: r.outbound, failed: r.failed })
      }
      return out
    },

    /** Per-platform bot counts, statuses, queue depth and last-24-hour traffic of one business. */
    async overview(businessId: string, now: number) {
      const [bots, traffic] = await db.batch([
        db
          .prepare(
            `SELECT platform, COUNT(*) AS bots, SUM(status = 'active') AS active, SUM(status = 'stopped') AS stopped,
             SUM(status = 'error') AS error, SUM(queue_depth) AS queue_depth FROM bots WHERE business_id = ?1 GROUP BY platform`,
          )
          .bind(businessId),
        db
          .prepare(
            `SELECT platform, SUM(inbound) AS inbound, SUM(outbound) AS outbound, SUM(failed) AS failed FROM bot_rollups
             WHERE business_id = ?1 AND hour > ?2 GROUP BY platform`,
          )
          .bind(businessId, currentHour(now) - 24),
      ])
      const byPlatform = new Map(
        (traffic?.results ?? []).map((raw) => {
          const r = platformTotalsRow.parse(raw)
          return [r.platform, r] as const
        }),
      )
      return (bots?.results ?? []).map((raw) => {
        const r = platformRow.parse(raw)
        const t = byPlatform.get(r.platform)
        return {
          platform: r.platform,
          bots: r.bots,
          active: r.active,
          stopped: r.stopped,
          error: r.error,
          queueDepth: r.queue_depth,
          inbound24h: t?.inbound ?? 0,
          outbound24h: t?.outbound ?? 0,
          failed24h: t?.failed ?? 0,
        }
      })
    },

    async deleteBot(botId: string): Promise<void> {
      await db.prepare("DELETE FROM bot_rollups WHERE bot_id = ?1").bind(botId).run()
    },
  }
}

/** failed / (outbound + failed): the share of send attempts that ended in failure; null when nothing was sent. */
export function failureRate(t: Totals): number | null {
  const attempts = t.outbound + t.failed
  return attempts === 0 ? null : Math.round((t.failed / attempts) * 10_000) / 10_000
}
