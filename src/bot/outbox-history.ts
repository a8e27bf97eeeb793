/**
 * The send queue as its operators read it: what the bot sent (newest first, a page at a time, by status), and the
 * retry of a failed message. A retry queues a copy of the failed message as a new message (its own id, attempts and
 * status), because the failed row is history others may have read: a contact send that moved on to another channel,
 * a broadcast's results. Each row names the other (`retryOf`, `retriedAs`), and a message is retried at most once.
 */
import { z } from "zod"
import type { DomainError } from "../lib/domain-error"
import { err, type Result } from "../lib/result"
import { type OutboundMessage, outboundMessageSchema } from "../providers/types"
import type { Enqueued, Outbox } from "./outbox"
import { type MessageStatus, messageStatuses } from "./outbox-rows"

/** How much of a message's text a list shows. */
export const PREVIEW_CHARS = 120

export interface OutboundQuery {
  limit: number
  status?: MessageStatus | undefined
  /** The `seq` of the last message of the previous page: this page starts below it. */
  beforeSeq?: number | undefined
}

export interface OutboundSummary {
  seq: number
  id: string
  chatId: string
  status: MessageStatus
  attempts: number
  error: string | null
  source: string
  /** The text's start, or what the message carries instead (`[image] caption`, `[template name]`). */
  preview: string
  retryOf: string | null
  retriedAs: string | null
  createdAt: number
  updatedAt: number
}

const listRow = z.object({
  seq: z.number(),
  id: z.string(),
  chat_id: z.string(),
  status: z.enum(messageStatuses),
  attempts: z.number(),
  last_error: z.string().nullable(),
  source: z.string(),
  created_at: z.number(),
  updated_at: z.number(),
  retry_of: z.string().nullable(),
  retried_as: z.string().nullable(),
  text: z.string().nullable(),
  media_kind: z.string().nullable(),
  caption: z.string().nullable(),
  template: z.string().nullable(),
})

const COLUMNS = `seq, id, chat_id, status, attempts, last_error, source, created_at, updated_at, retry_of, retried_as,
  substr(json_extract(message, '$.text'), 1, ${PREVIEW_CHARS + 1}) AS text,
  json_extract(message, '$.media.kind') AS media_kind,
  substr(json_extract(message, '$.media.caption'), 1, ${PREVIEW_CHARS + 1}) AS caption,
  json_extract(message, '$.template.name') AS template`

const clip = (s: string) => (s.length > PREVIEW_CHARS ? `${s.slice(0, PREVIEW_CHARS)}…` : s)

function preview(r: z.infer<typeof listRow>): string {
  if (r.text !== null) return clip(r.text)
  if (r.media_kind !== null) return clip(`[${r.media_kind}]${r.caption ? ` ${r.caption}` : ""}`)
  if (r.template !== null) return `[template ${r.template}]`
  return ""
}

/**
 * Newest first. Failed messages are read through their own index; any other status walks back from the newest row
 * (rows are kept 7 days, and the statuses other than sent ones are few or recent).
 */
export function listOutbound(sql: SqlStorage, query: OutboundQuery): OutboundSummary[] {
  const before = query.beforeSeq ?? Number.MAX_SAFE_INTEGER
  // `status = 'failed'` written out: SQLite uses a partial index only for the literal its WHERE names.
  const rows =
    query.status === undefined
      ? sql.exec(`SELECT ${COLUMNS} FROM outbox WHERE seq < ? ORDER BY seq DESC LIMIT ?`, before, query.limit)
      : query.status === "failed"
        ? sql.exec(
            `SELECT ${COLUMNS} FROM outbox WHERE status = 'failed' AND seq < ? ORDER BY seq DESC LIMIT ?`,
            before,
            query.limit,
          )
        : sql.exec(
            `SELECT ${COLUMNS} FROM outbox WHERE status = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
            query.status,
            before,
            query.limit,
          )
  return rows.toArray().map((raw) => {
    const r = listRow.parse(raw)
    return {
      seq: r.seq,
      id: r.id,
      chatId: r.chat_id,
      status: r.status,
      attempts: r.attempts,
      error: r.last_error,
      source: r.source,
      preview: preview(r),
      retryOf: r.retry_of,
      retriedAs: r.retried_as,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }
  })
}

const retryRow = z.object({
  chat_id: z.string(),
  status: z.enum(messageStatuses),
  message: z.string(),
  retried_as: z.string().nullable(),
})

/**
 * Queues a copy of failed message `id` (run it inside a transaction: the copy and the mark on the original are one
 * change). `not_found` when there is no such message; a `not_retryable` conflict when it is not failed, or was
 * retried before; whatever `admit` refuses.
 */
export function retryFailed(
  sql: SqlStorage,
  outbox: Outbox,
  id: string,
  now: number,
  /** The checks a send passes (the bot's status, the platform's rules, a closed service window), or none. */
  admit: (message: OutboundMessage) => DomainError | null,
): Result<Enqueued, DomainError> {
  const raw = sql.exec("SELECT chat_id, status, message, retried_as FROM outbox WHERE id = ?", id).toArray()[0]
  if (!raw) return err({ kind: "not_found", message: "Message not found" })
  const row = retryRow.parse(raw)
  if (row.retried_as !== null)
    return err({ kind: "conflict", code: "not_retryable", message: `Already retried as ${row.retried_as}` })
  if (row.status !== "failed")
    return err({
      kind: "conflict",
      code: "not_retryable",
      message: `Only a failed message can be retried; this one is ${row.status}`,
    })
  const message = outboundMessageSchema.parse(JSON.parse(row.message))
  const refused = admit(message)
  if (refused) return err(refused)
  const queued = outbox.enqueue(message, { source: "retry", now })
  if (!queued.ok) return queued
  sql.exec("UPDATE outbox SET retry_of = ? WHERE id = ?", id, queued.value.id)
  sql.exec("UPDATE outbox SET retried_as = ? WHERE id = ?", queued.value.id, id)
  return queued
}
