/**
 * A bot's broadcasts in its object's SQLite: each broadcast's row (status, cursor), its recipients in chunks, the
 * recipients it skipped, and the counts of its messages by status (each recipient's message is an outbox row tagged
 * with the broadcast). Pure storage: the rules live in broadcasts.ts.
 */
import { z } from "zod"
import { outboundContentSchema } from "../providers/types"
import { slackFormSchema, templateVariableSchema, whatsappFormSchema } from "../registry/template-schemas"

/** The template a broadcast renders for each recipient, as it was when the broadcast was created. */
export const templateSnapshotSchema = z.object({
  id: z.string(),
  version: z.number().int(),
  variables: z.array(templateVariableSchema),
  body: z.string(),
  whatsapp: whatsappFormSchema.nullable(),
  slack: slackFormSchema.nullable(),
})
export type TemplateSnapshot = z.infer<typeof templateSnapshotSchema>

export const broadcastStatuses = ["draft", "scheduled", "running", "paused", "done", "cancelled"] as const
export type BroadcastStatus = (typeof broadcastStatuses)[number]

export const recipientSchema = z.object({
  chatId: z.string().min(1).max(128),
  variables: z.record(z.string().max(40), z.string().max(1024)).optional(),
})
export type Recipient = z.infer<typeof recipientSchema>

/** What every recipient gets: the same content, or a template rendered with each one's variables. */
export const broadcastContentSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("content"), content: outboundContentSchema }),
  z.object({
    kind: z.literal("template"),
    /** Its version is recorded on each message. */
    template: templateSnapshotSchema,
    variables: z.record(z.string(), z.string()).default({}),
  }),
])
export type BroadcastContent = z.infer<typeof broadcastContentSchema>

export interface BroadcastRow {
  id: string
  name: string
  status: BroadcastStatus
  content: BroadcastContent
  total: number
  fed: number
  scheduledAt: number | null
  startedAt: number | null
  finishedAt: number | null
  createdAt: number
  updatedAt: number
}

const row = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(broadcastStatuses),
  content: z.string(),
  total: z.number(),
  fed: z.number(),
  scheduled_at: z.number().nullable(),
  started_at: z.number().nullable(),
  finished_at: z.number().nullable(),
  created_at: z.number(),
  updated_at: z.number(),
})

const COLUMNS = "id, name, status, content, total, fed, scheduled_at, started_at, finished_at, created_at, updated_at"

function toRow(raw: unknown): BroadcastRow {
  const r = row.parse(raw)
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    content: broadcastContentSchema.parse(JSON.parse(r.content)),
    total: r.total,
    fed: r.fed,
    scheduledAt: r.scheduled_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

export class BroadcastStore {
  constructor(private readonly sql: SqlStorage) {}

  insert(b: {
    id: string
    name: string
    status: BroadcastStatus
    content: BroadcastContent
    scheduledAt: number | null
    now: number
  }): void {
    this.sql.exec(
      `INSERT INTO broadcasts (id, name, status, content, scheduled_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      b.id,
      b.name,
      b.status,
      JSON.stringify(b.content),
      b.scheduledAt,
      b.now,
      b.now,
    )
  }

  get(id: string): BroadcastRow | null {
    const raw = this.sql.exec(`SELECT ${COLUMNS} FROM broadcasts WHERE id = ?`, id).toArray()[0]
    return raw ? toRow(raw) : null
  }

  /** Broadcasts that may need work: running ones, and scheduled ones whose time has come. */
  active(now: number): BroadcastRow[] {
    return this.sql
      .exec(
        `SELECT ${COLUMNS} FROM broadcasts WHERE status = 'running' OR (status = 'scheduled' AND scheduled_at <= ?)`,
        now,
      )
      .toArray()
      .map(toRow)
  }

  nextScheduledAt(): number | null {
    return this.sql
      .exec<{ at: number | null }>("SELECT MIN(scheduled_at) AS at FROM broadcasts WHERE status = 'scheduled'")
      .one().at
  }

  update(
    id: string,
    patch: Partial<Pick<BroadcastRow, "status" | "fed" | "startedAt" | "finishedAt" | "scheduledAt">>,
    now: number,
  ): void {
    const current = this.get(id)
    if (!current) return
    const next = { ...current, ...patch }
    this.sql.exec(
      `UPDATE broadcasts SET status = ?, fed = ?, started_at = ?, finished_at = ?, scheduled_at = ?, updated_at = ?, dirty = 1
       WHERE id = ?`,
      next.status,
      next.fed,
      next.startedAt,
      next.finishedAt,
      next.scheduledAt,
      now,
      id,
    )
  }

  /** Appends recipients after the ones already stored (one chunk row per call). */
  addChunk(id: string, recipients: Recipient[], now: number): number {
    const current = this.get(id)
    if (!current || recipients.length === 0) return current?.total ?? 0
    this.sql.exec(
      "INSERT INTO broadcast_chunks (broadcast_id, first, recipients) VALUES (?, ?, ?)",
      id,
      current.total,
      JSON.stringify(recipients),
    )
    const total = current.total + recipients.length
    this.sql.exec("UPDATE broadcasts SET total = ?, updated_at = ?, dirty = 1 WHERE id = ?", total, now, id)
    return total
  }

  /** The chunk holding recipient number `index`, from that recipient on. */
  recipientsFrom(id: string, index: number): Recipient[] {
    const raw = this.sql
      .exec<{ first: number; recipients: string }>(
        "SELECT first, recipients FROM broadcast_chunks WHERE broadcast_id = ? AND first <= ? ORDER BY first DESC LIMIT 1",
        id,
        index,
      )
      .toArray()[0]
    if (!raw) return []
    return z
      .array(recipientSchema)
      .parse(JSON.parse(raw.recipients))
      .slice(index - raw.first)
  }

  skip(id: string, chatId: string, reason: string, now: number): void {
    this.sql.exec(
      "INSERT INTO broadcast_skips (broadcast_id, chat_id, reason, at) VALUES (?, ?, ?, ?)",
      id,
      chatId,
      reason,
      now,
    )
  }

  /** This broadcast's messages by status, and its skipped recipients by reason. */
  counts(id: string): { byStatus: Map<string, number>; skipped: Map<string, number> } {
    const byStatus = new Map(
      this.sql
        .exec<{ status: string; n: number }>(
          "SELECT status, COUNT(*) AS n FROM outbox WHERE broadcast_id = ? GROUP BY status",
          id,
        )
        .toArray()
        .map((r) => [r.status, r.n] as const),
    )
    const skipped = new Map(
      this.sql
        .exec<{ reason: string; n: number }>(
          "SELECT reason, COUNT(*) AS n FROM broadcast_skips WHERE broadcast_id = ? GROUP BY reason",
          id,
        )
        .toArray()
        .map((r) => [r.reason, r.n] as const),
    )
    return { byStatus, skipped }
  }

  /** Messages of this broadcast in line or in flight (what the feeding window counts). */
  open(id: string): number {
    return this.sql
      .exec<{ n: number }>(
        "SELECT COUNT(*) AS n FROM outbox WHERE broadcast_id = ? AND status IN ('queued', 'sending')",
        id,
      )
      .one().n
  }

  /** Moves this broadcast's messages from one status to another; returns the chats touched (their heads change). */
  move(id: string, from: string[], to: string, now: number): string[] {
    return this.sql
      .exec<{ chat_id: string }>(
        `UPDATE outbox SET status = ?, updated_at = ? WHERE broadcast_id = ? AND status IN (SELECT value FROM json_each(?))
         RETURNING chat_id`,
        to,
        now,
        id,
        JSON.stringify(from),
      )
      .toArray()
      .map((r) => r.chat_id)
  }

  /** Each recipient's outcome in recipient order: sent ones from the outbox, then the skipped ones. */
  results(
    id: string,
    afterSeq: number,
    limit: number,
  ): { seq: number; chatId: string; status: string; error: string | null; messageId: string; at: number }[] {
    return this.sql
      .exec<{
        seq: number
        chat_id: string
        status: string
        last_error: string | null
        id: string
        updated_at: number
      }>(
        `SELECT seq, chat_id, status, last_error, id, updated_at FROM outbox
         WHERE broadcast_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
        id,
        afterSeq,
        limit,
      )
      .toArray()
      .map((r) => ({
        seq: r.seq,
        chatId: r.chat_id,
        status: r.status,
        error: r.last_error,
        messageId: r.id,
        at: r.updated_at,
      }))
  }

  skipped(id: string): { chatId: string; reason: string; at: number }[] {
    return this.sql
      .exec<{ chat_id: string; reason: string; at: number }>(
        "SELECT chat_id, reason, at FROM broadcast_skips WHERE broadcast_id = ? ORDER BY rowid",
        id,
      )
      .toArray()
      .map((r) => ({ chatId: r.chat_id, reason: r.reason, at: r.at }))
  }

  /** Broadcasts the registry should hear about: changed ones, and those whose counts still move. */
  toReport(now: number, limit: number): BroadcastRow[] {
    return this.sql
      .exec(
        `SELECT ${COLUMNS} FROM broadcasts WHERE dirty = 1 OR status IN ('running', 'paused')
           OR (finished_at IS NOT NULL AND finished_at > ?) LIMIT ?`,
        now - 3600_000,
        limit,
      )
      .toArray()
      .map(toRow)
  }

  reported(ids: string[], upTo: number): void {
    for (const id of ids) this.sql.exec("UPDATE broadcasts SET dirty = 0 WHERE id = ? AND updated_at <= ?", id, upTo)
  }
}
