/** All D1 SQL for businesses and bots. Rows are parsed with zod into StoredBot; routes never see raw rows. */

import { z } from "zod"
import { type DomainError, notFound } from "../lib/domain-error"
import { err, ok, type Result } from "../lib/result"
import { type Platform, platformSchema } from "../providers"
import { KeysetQuery } from "./keyset"
import { type BotConfig, type BotStatus, botConfigSchema, botStatuses, type StoredBot } from "./schemas"

const botRowSchema = z.object({
  id: z.string(),
  business_id: z.string(),
  platform: platformSchema,
  name: z.string(),
  status: z.enum(botStatuses),
  status_reason: z.string().nullable(),
  created_at: z.number(),
  updated_at: z.number(),
  last_active: z.number().nullable(),
  config: z.string(),
  credentials_enc: z.string(),
  credentials_public: z.string(),
  webhook_secret_enc: z.string(),
  routing_key: z.string().nullable(),
  queue_depth: z.number(),
})

const jsonRecord = z.record(z.string(), z.string())
const botStatusRow = z.object({ id: z.string(), platform: platformSchema, status: z.enum(botStatuses) })

function toStoredBot(raw: unknown): StoredBot {
  const row = botRowSchema.parse(raw)
  return {
    id: row.id,
    businessId: row.business_id,
    platform: row.platform,
    name: row.name,
    status: row.status,
    statusReason: row.status_reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastActive: row.last_active,
    queueDepth: row.queue_depth,
    config: botConfigSchema.parse(JSON.parse(row.config)),
    publicCredentials: jsonRecord.parse(JSON.parse(row.credentials_public)),
    secretsEnc: row.credentials_enc,
    webhookSecretEnc: row.webhook_secret_enc,
    routingKey: row.routing_key,
    webhookUrl: null,
  }
}

const COLUMNS =
  "id, business_id, platform, name, status, status_reason, created_at, updated_at, last_active, config, credentials_enc, credentials_public, webhook_secret_enc, routing_key, queue_depth"

export interface ListFilter {
  platform?: string | undefined
  status?: BotStatus | undefined
  q?: string | undefined
  limit: number
  /** Id of the last bot of the previous page (pages go newest first). */
  after?: string | undefined
}

export interface NewBot {
  id: string
  businessId: string
  platform: Platform
  name: string
  config: BotConfig
  publicCredentials: Record<string, string>
  secretsEnc: string
  webhookSecretEnc: string
  routingKey: string | null
  now: number
}

export interface BotPatch {
  name?: string
  config?: BotConfig
  publicCredentials?: Record<string, string>
  secretsEnc?: string
  routingKey?: string | null
  status?: BotStatus
  statusReason?: string | null
}

export function createBotRepository(db: D1Database) {
  return {
    /** Businesses are created on first write: the JWT is the source of truth for who they are. */
    async ensureBusiness(id: string, now: number): Promise<void> {
      await db
        .prepare("INSERT OR IGNORE INTO businesses (id, name, created_at) VALUES (?1, ?1, ?2)")
        .bind(id, now)
        .run()
    },

    /** A bot for a platform account another bot already holds is a `bot_conflict` (the unique index decides). */
    async insert(bot: NewBot): Promise<Result<StoredBot, DomainError>> {
      try {
        await db
          .prepare(
            `INSERT INTO bots (${COLUMNS}) VALUES (?1, ?2, ?3, ?4, 'active', NULL, ?5, ?5, NULL, ?6, ?7, ?8, ?9, ?10, 0)`,
          )
          .bind(
            bot.id,
            bot.businessId,
            bot.platform,
            bot.name,
            bot.now,
            JSON.stringify(bot.config),
            bot.secretsEnc,
            JSON.stringify(bot.publicCredentials),
            bot.webhookSecretEnc,
            bot.routingKey,
          )
          .run()
      } catch (cause) {
        return conflictOr(cause)
      }
      return this.get(bot.businessId, bot.id)
    },

    async get(businessId: string, id: string): Promise<Result<StoredBot, DomainError>> {
      const row = await db
        .prepare(`SELECT ${COLUMNS} FROM bots WHERE business_id = ?1 AND id = ?2`)
        .bind(businessId, id)
        .first()
      return row ? ok(toStoredBot(row)) : err(notFound())
    },

    /** Keyset pagination on the (business_id, [filter], id DESC) indexes: a deep page costs what the first does. */
    async list(businessId: string, filter: ListFilter): Promise<{ bots: StoredBot[]; hasMore: boolean }> {
      const { rows, hasMore } = await new KeysetQuery(businessId)
        .when(filter.platform, "platform = ?")
        .when(filter.status, "status = ?")
        .nameLike(filter.q)
        .page(db, { table: "bots", columns: COLUMNS }, filter.after, filter.limit)
      return { bots: rows.map(toStoredBot), hasMore }
    },

    async update(
      businessId: string,
      id: string,
      patch: BotPatch,
      now: number,
    ): Promise<Result<StoredBot, DomainError>> {
      const sets = ["updated_at = ?"]
      const params: (string | number | null)[] = [now]
      const add = (column: string, value: string | number | null) => {
        sets.push(`${column} = ?`)
        params.push(value)
      }
      if (patch.name !== undefined) add("name", patch.name)
      if (patch.config !== undefined) add("config", JSON.stringify(patch.config))
      if (patch.publicCredentials !== undefined) add("credentials_public", JSON.stringify(patch.publicCredentials))
      if (patch.secretsEnc !== undefined) add("credentials_enc", patch.secretsEnc)
      if (patch.routingKey !== undefined) add("routing_key", patch.routingKey)
      if (patch.status !== undefined) add("status", patch.status)
      if (patch.statusReason !== undefined) add("status_reason", patch.statusReason)
      params.push(businessId, id)
      try {
        await db
          .prepare(`UPDATE bots SET ${sets.join(", ")} WHERE business_id = ? AND id = ?`)
          .bind(...params)
          .run()
      } catch (cause) {
        return conflictOr(cause)
      }
      return this.get(businessId, id)
    },

    /** Platform and status of some of the business's bots (unknown and other businesses' ids are left out). */
    async statuses(businessId: string, ids: string[]): Promise<Map<string, { platform: Platform; status: BotStatus }>> {
      const out = new Map<string, { platform: Platform; status: BotStatus }>()
      if (ids.length === 0) return out
      const { results } = await db
        .prepare(
          "SELECT id, platform, status FROM bots WHERE business_id = ?1 AND id IN (SELECT value FROM json_each(?2))",
        )
        .bind(businessId, JSON.stringify([...new Set(ids)]))
        .all()
      for (const raw of results) {
        const r = botStatusRow.parse(raw)
        out.set(r.id, { platform: r.platform, status: r.status })
      }
      return out
    },

    /** The bot and the identities it gave contacts (a contact left with none stays: its name and tags are the business's). */
    async delete(businessId: string, id: string): Promise<boolean> {
      const [bot] = await db.batch([
        db.prepare("DELETE FROM bots WHERE business_id = ?1 AND id = ?2").bind(businessId, id),
        db.prepare("DELETE FROM contact_identities WHERE business_id = ?1 AND bot_id = ?2").bind(businessId, id),
        db.prepare("DELETE FROM broadcasts WHERE business_id = ?1 AND bot_id = ?2").bind(businessId, id),
      ])
      return (bot?.meta.changes ?? 0) > 0
    },

    /** Sets status from the DO side (e.g. the platform revoked the token), whoever the business is. */
    async setStatusById(id: string, status: BotStatus, reason: string | null, now: number): Promise<void> {
      await db
        .prepare("UPDATE bots SET status = ?2, status_reason = ?3, updated_at = ?4 WHERE id = ?1")
        .bind(id, status, reason, now)
        .run()
    },

    /** Whether another bot (in any business) holds this platform account. */
    async routingKeyTaken(platform: Platform, routingKey: string, exceptId?: string): Promise<boolean> {
      const row = await db
        .prepare("SELECT id FROM bots WHERE platform = ?1 AND routing_key = ?2 AND id != ?3")
        .bind(platform, routingKey, exceptId ?? "")
        .first()
      return row !== null
    },
  }
}

export type BotRepository = ReturnType<typeof createBotRepository>

export const accountTaken: DomainError = {
  kind: "conflict",
  code: "bot_conflict",
  message: "Another bot already uses this platform account (the same bot token or phone number)",
}

/** The unique (platform, routing_key) index refused the row: someone else holds the account. Anything else throws. */
function conflictOr(cause: unknown): Result<never, DomainError> {
  if (cause instanceof Error && /UNIQUE constraint failed/i.test(cause.message)) return err(accountTaken)
  throw cause
}
