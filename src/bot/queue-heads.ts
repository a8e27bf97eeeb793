/**
 * The send queue's index of what can go next: one row per chat whose oldest open message is waiting (not in flight),
 * with that message's lane and the time it may be sent. Picking the next messages reads this index in order, so its
 * cost does not grow with the queue (a correlated MIN per chat over the whole outbox did: 54 ms at 100,000 queued).
 * The outbox keeps it current: every change to a chat's open messages refreshes that chat's row.
 */

/** Who waits for whom inside the bot's one rate budget: replies first, then single sends, then bulk. */
export const lanes = { reply: 0, send: 1, bulk: 2 } as const
export type Lane = (typeof lanes)[keyof typeof lanes]
const LANE_ORDER: Lane[] = [lanes.reply, lanes.send, lanes.bulk]

export function laneOf(source: string): Lane {
  if (source === "reply") return lanes.reply
  if (source === "bulk") return lanes.bulk
  return lanes.send
}

/** A chat's next message, as the index knows it: enough to pace and order it, not its content (see Outbox.claim). */
export interface HeadRef {
  seq: number
  chatId: string
  readyAt: number
  isGroup: boolean
}

const HEAD_COLUMNS = `SELECT h.seq, h.chat_id, h.ready_at, COALESCE(c.is_group, 0) AS is_group
  FROM heads h LEFT JOIN chats c ON c.chat_id = h.chat_id`
type HeadRow = { seq: number; chat_id: string; ready_at: number; is_group: number }
const toRef = (r: HeadRow): HeadRef => ({
  seq: r.seq,
  chatId: String(r.chat_id),
  readyAt: r.ready_at,
  isGroup: r.is_group === 1,
})

export class QueueHeads {
  /**
   * True only while the table is known to hold no row: set by a pick that found none, cleared by a `refresh` that wrote
   * one (the only way a row is added). A drain looks again after every send, and on a short queue most looks find
   * nothing. Rollback-safe: while it stays true every write here is a no-op, so undoing them changes nothing. Needs
   * every write to go through this one instance (the outbox's) and picks outside write transactions, as they are.
   */
  private empty = false

  constructor(private readonly sql: SqlStorage) {}

  /** Recomputes a chat's row from its oldest open message (none when it is in flight or nothing is open). */
  refresh(chatId: string): void {
    this.sql.exec("DELETE FROM heads WHERE chat_id = ?", chatId)
    const inserted = this.sql.exec(
      `INSERT INTO heads (chat_id, seq, lane, ready_at)
       SELECT o.chat_id, o.seq, o.lane, MAX(o.next_at, COALESCE((SELECT free_at FROM chats WHERE chat_id = o.chat_id), 0))
       FROM (SELECT chat_id, seq, lane, next_at, status FROM outbox
             WHERE chat_id = ? AND status IN ('queued', 'sending') ORDER BY seq LIMIT 1) o
       WHERE o.status = 'queued'`,
      chatId,
    )
    if (inserted.rowsWritten > 0) this.empty = false
  }

  /** The chat has nothing to pick: its oldest open message went in flight. */
  remove(chatId: string): void {
    this.sql.exec("DELETE FROM heads WHERE chat_id = ?", chatId)
  }

  /** The chat may not be sent to before `at` (pacing, a 429): its head waits at least that long. */
  delay(chatId: string, at: number): void {
    this.sql.exec("UPDATE heads SET ready_at = MAX(ready_at, ?) WHERE chat_id = ?", at, chatId)
  }

  /**
   * Up to `limit` heads in the order to send them: those ready by `now`, replies before single sends before bulk
   * (each lane soonest first), then the soonest of the rest. Each read is an index range, whatever the queue holds.
   */
  pick(limit: number, now: number): HeadRef[] {
    if (this.empty) return []
    const out: HeadRef[] = []
    for (const lane of LANE_ORDER) {
      if (out.length >= limit) break
      out.push(
        ...this.sql
          .exec<HeadRow>(
            `${HEAD_COLUMNS} WHERE h.lane = ? AND h.ready_at <= ? ORDER BY h.ready_at, h.seq LIMIT ?`,
            lane,
            now,
            limit - out.length,
          )
          .toArray()
          .map(toRef),
      )
    }
    if (out.length < limit)
      out.push(
        ...this.sql
          .exec<HeadRow>(
            `${HEAD_COLUMNS} WHERE h.ready_at > ? ORDER BY h.ready_at, h.seq LIMIT ?`,
            now,
            limit - out.length,
          )
          .toArray()
          .map(toRef),
      )
    this.empty = out.length === 0
    return out
  }

  nextReadyAt(): number | null {
    return this.sql.exec<{ at: number | null }>("SELECT MIN(ready_at) AS at FROM heads").one().at
  }
}
