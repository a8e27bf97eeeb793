/** The durable, de-duplicated inbox: webhook events land here before the 200 and are handled later by the alarm. */
import { z } from "zod"
import { wellFormed } from "../lib/encoding"
import { type InboundMessage, inboundMessageSchema } from "../providers/types"

const inboxRow = z.object({
  seq: z.number(),
  event_id: z.string(),
  event: z.string(),
  attempts: z.number(),
  chat_id: z.string(),
  received_at: z.number(),
})

export interface PendingEvent {
  /** Arrival order (the row's rowid). */
  seq: number
  eventId: string
  chatId: string
  event: InboundMessage
  attempts: number
  /** When the event reached us (its reply's latency is measured from here). */
  receivedAt: number
}

export class Inbox {
  constructor(private readonly sql: SqlStorage) {}

  /** Inserts unseen events; returns how many were new. Call inside a storage transaction. */
  accept(events: InboundMessage[], now: number): { fresh: InboundMessage[]; duplicates: number } {
    const fresh: InboundMessage[] = []
    for (const given of events) {
      // Ids are bound as SQL text: a lone surrogate would be stored as bytes that read back as another string.
      const event = withSqlSafeIds(given)
      const written = this.sql.exec(
        `INSERT INTO inbox (event_id, received_at, chat_id, event, state, next_at)
         VALUES (?, ?, ?, ?, 'pending', ?) ON CONFLICT (event_id) DO NOTHING`,
        event.eventId,
        now,
        event.chatId,
        JSON.stringify(event),
        now,
      ).rowsWritten
      if (written > 0) fresh.push(event)
    }
    return { fresh, duplicates: events.length - fresh.length }
  }

  /**
   * Due events, oldest first (arrival order is the per-chat order replies keep). A stored event that no longer
   * reads back (a poison row) is failed with the reason and skipped: it must never stall the events behind it.
   */
  due(now: number, limit: number): PendingEvent[] {
    const out: PendingEvent[] = []
    const rows = this.sql
      .exec(
        `SELECT rowid AS seq, event_id, event, attempts, chat_id, received_at FROM inbox WHERE state = 'pending' AND next_at <= ?
         ORDER BY rowid LIMIT ?`,
        now,
        limit,
      )
      .toArray()
    for (const raw of rows) {
      const r = inboxRow.parse(raw)
      const event = inboundMessageSchema.safeParse(parseJson(r.event))
      if (event.success)
        out.push({
          seq: r.seq,
          eventId: r.event_id,
          chatId: r.chat_id,
          event: event.data,
          attempts: r.attempts,
          receivedAt: r.received_at,
        })
      else this.fail(r.seq, `stored event is unreadable: ${event.error.issues[0]?.message ?? "invalid"}`)
    }
    return out
  }

  nextDueAt(): number | null {
    return this.sql.exec<{ at: number | null }>("SELECT MIN(next_at) AS at FROM inbox WHERE state = 'pending'").one().at
  }

  /**
   * Chats with an event that waits for a later retry, with that event's arrival seq: the chat's later events must
   * wait behind it. One query per batch (it reads the `inbox_due` index past `now`, usually nothing).
   */
  waiting(now: number): Map<string, number> {
    const rows = this.sql.exec<{ chat_id: string; first: number }>(
      `SELECT chat_id, MIN(rowid) AS first FROM inbox WHERE state = 'pending' AND next_at > ? GROUP BY chat_id`,
      now,
    )
    const out = new Map<string, number>()
    for (const row of rows) out.set(row.chat_id, row.first)
    return out
  }

  /** Handled. Events are addressed by their row (`seq`): the key read back is the key written. */
  done(seq: number): void {
    this.sql.exec("UPDATE inbox SET state = 'done', event = '', error = NULL WHERE rowid = ?", seq)
  }

  retry(seq: number, at: number, error: string): void {
    this.sql.exec("UPDATE inbox SET attempts = attempts + 1, next_at = ?, error = ? WHERE rowid = ?", at, error, seq)
  }

  fail(seq: number, error: string): void {
    this.sql.exec("UPDATE inbox SET state = 'failed', attempts = attempts + 1, error = ? WHERE rowid = ?", error, seq)
  }

  pendingCount(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM inbox WHERE state = 'pending'").one().n
  }

  /** Forgets handled events received before `olderThan`. Rowid is arrival order: the old rows are a prefix. */
  prune(olderThan: number): void {
    const first = this.sql
      .exec<{ seq: number }>("SELECT rowid AS seq FROM inbox WHERE received_at >= ? ORDER BY rowid LIMIT 1", olderThan)
      .toArray()[0]
    this.sql.exec("DELETE FROM inbox WHERE rowid < ? AND state != 'pending'", first?.seq ?? Number.MAX_SAFE_INTEGER)
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

function withSqlSafeIds(event: InboundMessage): InboundMessage {
  const eventId = wellFormed(event.eventId)
  const chatId = wellFormed(event.chatId)
  return eventId === event.eventId && chatId === event.chatId ? event : { ...event, eventId, chatId }
}
