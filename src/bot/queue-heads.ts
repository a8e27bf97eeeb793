/**
 * The send queue's index of what can go next: one row per chat whose oldest open message is waiting (not in flight),
 * with that message's lane, the time it may be sent and its rank among the ready. Picking the next messages reads
 * this index in order, so its cost does not grow with the queue (a correlated MIN per chat over the whole outbox did:
 * 54 ms at 100,000 queued). The outbox keeps it current: every change to a chat's open messages refreshes that
 * chat's row.
 *
 * Rank: the ready time less BACKLOG_WEIGHT_MS for each message waiting behind the head (at most BACKLOG_CAP - 1).
 * A chat can take at most one send per its interval, so when the bot is at its rate a chat with a long backlog has
 * to be served ahead of time or it drains alone at the end, one send a second while the bot's rate goes unused (the
 * end-to-end bench's last 2 s: the 10 chats whose updates came in last, 2 replies each, at 10/s against 29). Ranking
 * by backlog serves the longest first and keeps every chat near the same finish. A chat with one message keeps its
 * rank while each send to a backlog ahead of it moves that backlog's rank back by about two intervals (its next head
 * ready an interval later, one message fewer behind it), so it is not held back for long.
 */

/**
 * Who waits for whom inside the bot's one rate budget: replies first, then single sends, then bulk. Numbered in that
 * order, which is the order `pick` reads the index in.
 */
export const lanes = { reply: 0, send: 1, bulk: 2 } as const
export type Lane = (typeof lanes)[keyof typeof lanes]

/** What a message waiting behind a chat's head moves the head up by: the per-chat interval every platform has. */
export const BACKLOG_WEIGHT_MS = 1000
/** Messages that count for a chat's rank; taking a chat's count reads at most this many of its messages. */
export const BACKLOG_CAP = 60

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

/** The index a read walks is named: the planner could otherwise take a ready-time range and sort it by rank. */
const headsBy = (index: "heads_by_rank" | "heads_by_ready") =>
  `SELECT h.seq, h.chat_id, h.ready_at, COALESCE(c.is_group, 0) AS is_group
  FROM heads h INDEXED BY ${index} LEFT JOIN chats c ON c.chat_id = h.chat_id`
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

  /**
   * Open messages per chat (queued or in flight), for the rank: counted once, then kept by the changes the outbox
   * reports, since counting in SQL on every refresh cost more than the rest of it. Only a hint for the order: a
   * change undone by a rolled-back transaction leaves it off by one until the chat's count is taken again (when it
   * reaches zero or an outside change drops it). A chat leaves the map when nothing of it is open.
   */
  private readonly open = new Map<string, number>()

  /**
   * Recomputes a chat's row from its oldest open message (none when it is in flight or nothing is open). `change`:
   * how many messages the caller's write opened (+1) or closed (-1) for the chat; without it the count is taken again.
   */
  refresh(chatId: string, change?: number): void {
    const known = change === undefined ? undefined : this.open.get(chatId)
    // Counted afresh when not kept, or when the kept count says nothing is left (it may be off: see `open`).
    const kept = known === undefined || change === undefined ? 0 : known + change
    const open = kept > 0 ? kept : this.count(chatId)
    if (open > 0) this.open.set(chatId, open)
    else this.open.delete(chatId)
    // The row replaced in place when there is a head to write (one statement); deleted when there is none.
    const written =
      open > 0 &&
      this.sql
        .exec(
          `INSERT INTO heads (chat_id, seq, lane, ready_at, rank_at)
         SELECT h.chat_id, h.seq, h.lane, h.ready_at, h.ready_at - ?
         FROM (SELECT o.chat_id, o.seq, o.lane, o.status,
                      MAX(o.next_at, COALESCE((SELECT free_at FROM chats WHERE chat_id = o.chat_id), 0)) AS ready_at
               FROM outbox o WHERE o.chat_id = ? AND o.status IN ('queued', 'sending') ORDER BY o.seq LIMIT 1) h
         WHERE h.status = 'queued'
         ON CONFLICT (chat_id) DO UPDATE SET seq = excluded.seq, lane = excluded.lane, ready_at = excluded.ready_at,
           rank_at = excluded.rank_at
         RETURNING chat_id`,
          BACKLOG_WEIGHT_MS * (Math.min(open, BACKLOG_CAP) - 1),
          chatId,
        )
        .toArray().length > 0
    if (written) this.empty = false
    else this.remove(chatId)
  }

  private count(chatId: string): number {
    return this.sql
      .exec<{ n: number }>(
        `SELECT COUNT(*) AS n FROM (SELECT 1 FROM outbox WHERE chat_id = ? AND status IN ('queued', 'sending') LIMIT ?)`,
        chatId,
        BACKLOG_CAP,
      )
      .one().n
  }

  /** The chat has nothing to pick: its oldest open message went in flight. */
  remove(chatId: string): void {
    this.sql.exec("DELETE FROM heads WHERE chat_id = ?", chatId)
  }

  /** The chat may not be sent to before `at` (pacing, a 429): its head waits at least that long. */
  delay(chatId: string, at: number): void {
    this.sql.exec(
      "UPDATE heads SET rank_at = rank_at + MAX(0, ? - ready_at), ready_at = MAX(ready_at, ?) WHERE chat_id = ?",
      at,
      at,
      chatId,
    )
  }

  /**
   * Up to `limit` heads in the order to send them: those ready by `now`, replies before single sends before bulk,
   * each lane by rank (see above). Only when none is ready, the one that will be soonest: what a drain waits for
   * before it picks again (by then others may be ready too, and rank decides between them). Each read walks an index
   * in order, whatever the queue holds: the rows passed over are the ones not ready yet with a better rank, which
   * are few (chats just sent to, retries waiting).
   */
  pick(limit: number, now: number): HeadRef[] {
    if (this.empty) return []
    // One walk of the rank index, lane by lane in its own order: the lanes need no query each.
    let out = this.sql
      .exec<HeadRow>(
        `${headsBy("heads_by_rank")} WHERE h.ready_at <= ? ORDER BY h.lane, h.rank_at, h.seq LIMIT ?`,
        now,
        limit,
      )
      .toArray()
    if (out.length === 0)
      out = this.sql
        .exec<HeadRow>(`${headsBy("heads_by_ready")} WHERE h.ready_at > ? ORDER BY h.ready_at, h.seq LIMIT 1`, now)
        .toArray()
    this.empty = out.length === 0
    return out.map(toRef)
  }

  nextReadyAt(): number | null {
    return this.sql.exec<{ at: number | null }>("SELECT MIN(ready_at) AS at FROM heads").one().at
  }
}
