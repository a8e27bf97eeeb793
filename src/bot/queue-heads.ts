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

export interface HeadRef {
  seq: number
  readyAt: number
}

export class QueueHeads {
  constructor(private readonly sql: SqlStorage) {}

  /** Recomputes a chat's row from its oldest open message (none when it is in flight or nothing is open). */
  refresh(chatId: string): void {
    this.sql.exec("DELETE FROM heads WHERE chat_id = ?", chatId)
    this.sql.exec(
      `INSERT INTO heads (chat_id, seq, lane, ready_at)
       SELECT o.chat_id, o.seq, o.lane, MAX(o.next_at, COALESCE((SELECT free_at FROM chats WHERE chat_id = o.chat_id), 0))
       FROM (SELECT chat_id, seq, lane, next_at, status FROM outbox
             WHERE chat_id = ? AND status IN ('queued', 'sending') ORDER BY seq LIMIT 1) o
       WHERE o.status = 'queued'`,
      chatId,
    )
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
    const out: HeadRef[] = []
    for (const lane of LANE_ORDER) {
      if (out.length >= limit) break
      out.push(
        ...this.sql
          .exec<{ seq: number; ready_at: number }>(
            "SELECT seq, ready_at FROM heads WHERE lane = ? AND ready_at <= ? ORDER BY ready_at, seq LIMIT ?",
            lane,
            now,
            limit - out.length,
          )
          .toArray()
          .map((r) => ({ seq: r.seq, readyAt: r.ready_at })),
      )
    }
    if (out.length < limit)
      out.push(
        ...this.sql
          .exec<{ seq: number; ready_at: number }>(
            "SELECT seq, ready_at FROM heads WHERE ready_at > ? ORDER BY ready_at, seq LIMIT ?",
            now,
            limit - out.length,
          )
          .toArray()
          .map((r) => ({ seq: r.seq, readyAt: r.ready_at })),
      )
    return out
  }

  nextReadyAt(): number | null {
    return this.sql.exec<{ at: number | null }>("SELECT MIN(ready_at) AS at FROM heads").one().at
  }
}
