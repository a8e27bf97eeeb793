/** The bot's bounded activity log (newest first), shown by `GET /api/bots/:id/logs` and the dashboard. */
import { z } from "zod"
import { LOG_LIMIT } from "./storage"

export const logLevels = ["info", "warn", "error"] as const
export type LogLevel = (typeof logLevels)[number]
/** Flat, serializable detail; never secrets. */
export type LogDetail = Record<string, string | number | boolean | null>

export interface LogEntry {
  id: number
  at: number
  level: LogLevel
  event: string
  message: string
  detail: LogDetail | null
}

const detailSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
const rowSchema = z.object({
  id: z.number(),
  at: z.number(),
  level: z.enum(logLevels),
  event: z.string(),
  message: z.string(),
  detail: z.string().nullable(),
})

export class ActivityLog {
  constructor(private readonly sql: SqlStorage) {}

  append(level: LogLevel, event: string, message: string, detail?: LogDetail): void {
    const id = this.sql
      .exec<{ id: number }>(
        "INSERT INTO logs (at, level, event, message, detail) VALUES (?, ?, ?, ?, ?) RETURNING id",
        Date.now(),
        level,
        event,
        message,
        detail ? JSON.stringify(detail) : null,
      )
      .one().id
    // Trim in steps of 100 rather than on every insert.
    if (id % 100 === 0) this.sql.exec("DELETE FROM logs WHERE id <= ?", id - LOG_LIMIT)
  }

  /** Newest first; `before` is the id of the oldest entry already shown. */
  list(limit: number, before?: number): LogEntry[] {
    return this.sql
      .exec(
        "SELECT id, at, level, event, message, detail FROM logs WHERE id < ? ORDER BY id DESC LIMIT ?",
        before ?? Number.MAX_SAFE_INTEGER,
        limit,
      )
      .toArray()
      .map((raw) => {
        const r = rowSchema.parse(raw)
        return { ...r, detail: r.detail === null ? null : detailSchema.parse(JSON.parse(r.detail)) }
      })
  }
}

/** A message's text as the log shows it: its first 80 characters. */
export function previewText(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}…` : text || "(no text)"
}

/** The `X-Request-Id` of the webhook delivery an event came in, when it came in one. */
export function requestIdOf(event: { metadata: Record<string, unknown> }): string | null {
  const id = event.metadata.requestId
  return typeof id === "string" ? id : null
}
