/**
 * D1 SQL for broadcasts: the summary row of each (written by the bot's object with its rollups, created by the API
 * first so the list shows a broadcast at once), and the business's list of them per bot.
 */
import { z } from "zod"
import { type BroadcastStatus, broadcastStatuses } from "../bot/broadcast-store"
import type { BroadcastView } from "../bot/broadcasts"

const countsSchema = z.object({
  queued: z.number().default(0),
  sent: z.number().default(0),
  delivered: z.number().default(0),
  read: z.number().default(0),
  failed: z.number().default(0),
  skipped: z.number().default(0),
  cancelled: z.number().default(0),
})

export interface BroadcastSummary {
  id: string
  botId: string
  name: string
  status: BroadcastStatus
  total: number
  counts: z.infer<typeof countsSchema>
  scheduledAt: number | null
  createdAt: number
  updatedAt: number
}

const summaryRow = z.object({
  id: z.string(),
  bot_id: z.string(),
  name: z.string(),
  status: z.enum(broadcastStatuses),
  total: z.number(),
  counts: z.string(),
  scheduled_at: z.number().nullable(),
  created_at: z.number(),
  updated_at: z.number(),
})

/** Upserts of the summaries a bot's object reports (idempotent: a repeated flush writes the same row). */
export function broadcastStatements(
  db: D1Database,
  bot: { id: string; businessId: string },
  views: BroadcastView[],
  now: number,
): D1PreparedStatement[] {
  if (views.length === 0) return []
  const upsert = db.prepare(
    `INSERT INTO broadcasts (id, business_id, bot_id, name, status, total, counts, scheduled_at, created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
     ON CONFLICT (id) DO UPDATE SET status = excluded.status, total = excluded.total, counts = excluded.counts,
       scheduled_at = excluded.scheduled_at, updated_at = excluded.updated_at`,
  )
  return views.map((v) =>
    upsert.bind(
      v.id,
      bot.businessId,
      bot.id,
      v.name,
      v.status,
      v.total,
      JSON.stringify({
        queued: v.queued,
        sent: v.sent,
        delivered: v.delivered,
        read: v.read,
        failed: v.failed,
        skipped: v.skipped,
        cancelled: v.cancelled,
      }),
      v.scheduledAt,
      v.createdAt,
      now,
    ),
  )
}

export function createBroadcastRepository(db: D1Database) {
  return {
    /** A bot's broadcasts, newest first (`after`: the last id of the previous page). */
    async list(
      businessId: string,
      botId: string,
      limit: number,
      after?: string,
    ): Promise<{ broadcasts: BroadcastSummary[]; hasMore: boolean }> {
      const { results } = await db
        .prepare(
          `SELECT id, bot_id, name, status, total, counts, scheduled_at, created_at, updated_at FROM broadcasts
           WHERE business_id = ?1 AND bot_id = ?2 AND (?3 IS NULL OR id < ?3) ORDER BY id DESC LIMIT ?4`,
        )
        .bind(businessId, botId, after ?? null, limit + 1)
        .all()
      const rows = results.slice(0, limit).map((raw) => {
        const r = summaryRow.parse(raw)
        return {
          id: r.id,
          botId: r.bot_id,
          name: r.name,
          status: r.status,
          total: r.total,
          counts: countsSchema.parse(JSON.parse(r.counts)),
          scheduledAt: r.scheduled_at,
          createdAt: r.created_at,
          updatedAt: r.updated_at,
        }
      })
      return { broadcasts: rows, hasMore: results.length > limit }
    },

    /** The summary a new broadcast starts with, so the list shows it before the object's first report. */
    async insert(businessId: string, botId: string, v: BroadcastView, now: number): Promise<void> {
      const [statement] = broadcastStatements(db, { id: botId, businessId }, [v], now)
      if (statement) await statement.run()
    },
  }
}
