/**
 * Outcomes this bot owes to whoever owns a queued message (a contact send): written in the same transaction as the
 * outcome itself, then handed over and deleted once taken, retried with backoff when the owner did not answer.
 * The owner treats a repeated notice as a no-op, so "at least once" here is "exactly once" there.
 */
import { z } from "zod"
import { backoffDelay } from "../lib/backoff"

export const messageOwnerSchema = z.object({
  contactId: z.string(),
  messageId: z.string(),
  hop: z.number().int().min(0),
})
/** The contact send a queued message is one hop of. */
export type MessageOwner = z.infer<typeof messageOwnerSchema>

export const sendOutcomeSchema = z.object({
  status: z.enum(["sent", "delivered", "read", "failed"]),
  error: z.string().nullable(),
  at: z.number(),
  /** The bot's own message id (GET /api/bots/:id/messages/:messageId). */
  botMessageId: z.string(),
})
export type SendOutcome = z.infer<typeof sendOutcomeSchema>

export interface Notice {
  id: number
  owner: MessageOwner
  outcome: SendOutcome
  attempts: number
}

const noticeRow = z.object({ id: z.number(), owner: z.string(), outcome: z.string(), attempts: z.number() })
const RETRY = { baseMs: 1_000, capMs: 5 * 60_000 }

export class Notices {
  constructor(private readonly sql: SqlStorage) {}

  add(owner: MessageOwner, outcome: SendOutcome): void {
    this.sql.exec(
      "INSERT INTO notices (owner, outcome, next_at) VALUES (?, ?, ?)",
      JSON.stringify(owner),
      JSON.stringify(outcome),
      outcome.at,
    )
  }

  /** Records an outcome for `owner`, when the message has one (call inside the outcome's transaction). */
  tell(
    owner: MessageOwner | null,
    status: SendOutcome["status"],
    error: string | null,
    botMessageId: string,
    at: number,
  ): boolean {
    if (owner) this.add(owner, { status, error, at, botMessageId })
    return owner !== null
  }

  /** In the order they were written: a "sent" is handed over before the "delivered" that follows it. */
  due(now: number, limit = 50): Notice[] {
    return this.sql
      .exec("SELECT id, owner, outcome, attempts FROM notices WHERE next_at <= ? ORDER BY id LIMIT ?", now, limit)
      .toArray()
      .map((raw) => {
        const r = noticeRow.parse(raw)
        return {
          id: r.id,
          owner: messageOwnerSchema.parse(JSON.parse(r.owner)),
          outcome: sendOutcomeSchema.parse(JSON.parse(r.outcome)),
          attempts: r.attempts,
        }
      })
  }

  taken(id: number): void {
    this.sql.exec("DELETE FROM notices WHERE id = ?", id)
  }

  /** The owner did not answer: try again later (returns when). */
  later(notice: Notice, now: number): number {
    const at = now + backoffDelay(notice.attempts + 1, RETRY)
    this.sql.exec("UPDATE notices SET attempts = attempts + 1, next_at = ? WHERE id = ?", at, notice.id)
    return at
  }

  nextDueAt(): number | null {
    return this.sql.exec<{ at: number | null }>("SELECT MIN(next_at) AS at FROM notices").one().at
  }
}

/** Fails every queued contact-send hop of a bot, telling each owner (call inside a transaction); returns how many. */
export function failOwned(
  outbox: { failOwned(reason: string, now: number): { id: string; owner: MessageOwner }[] },
  notices: Notices,
  reason: string,
  now: number,
): number {
  const failed = outbox.failOwned(reason, now)
  for (const f of failed) notices.tell(f.owner, "failed", reason, f.id, now)
  return failed.length
}
