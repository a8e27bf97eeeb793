/** The durable send queue's storage: enqueue (idempotent), pick the next sendable head of each chat, record outcomes. */
export { type Enqueued, type MessageStatus, type MessageView, messageStatuses, type QueuedMessage } from "./outbox-rows"

import { z } from "zod"
import { type DomainError, fieldErrors } from "../lib/domain-error"
import { wellFormed } from "../lib/encoding"
import { newId } from "../lib/ids"
import { err, ok, type Result } from "../lib/result"
import { type DeliveryStatus, type OutboundMessage, outboundMessageSchema } from "../providers/types"
import { templateRefSchema } from "../registry/template-schemas"
import { type MessageOwner, messageOwnerSchema } from "./notices"
import {
  claimedRow,
  type Enqueued,
  type MessageView,
  messageStatuses,
  parseOwner,
  type QueuedMessage,
  type ReceiptApplied,
  rank,
  viewRow,
} from "./outbox-rows"
import { type HeadRef, laneOf, QueueHeads } from "./queue-heads"

export class Outbox {
  private readonly index: QueueHeads
  /** Bumped when a reply or single send is queued: a drain working through bulk traffic re-reads its heads. */
  private urgent = 0

  constructor(private readonly sql: SqlStorage) {
    this.index = new QueueHeads(sql)
  }

  get urgentCount(): number {
    return this.urgent
  }

  /**
   * Queues a message. A reused idempotency key returns the message it first queued when the body is the same, and
   * an `idempotency_conflict` when it is not (a client bug that must not send the wrong text silently).
   */
  enqueue(
    given: OutboundMessage,
    opts: {
      source: string
      idempotencyKey?: string | undefined
      now: number
      owner?: MessageOwner | undefined
      broadcastId?: string
      /** A reply's: when the update it answers arrived. */
      originAt?: number
    },
  ): Result<Enqueued, DomainError> {
    // Nothing goes in that `heads` could not read back: one unreadable row would hold its chat's queue for good.
    const valid = outboundMessageSchema.safeParse(given)
    if (!valid.success) return err(invalidMessage(valid.error))
    // The chat is a key of the queue's tables: bound as SQL text it must read back as written (see wellFormed).
    const chatId = wellFormed(given.chatId)
    const message = chatId === given.chatId ? given : { ...given, chatId }
    const body = JSON.stringify(message)
    if (opts.idempotencyKey) {
      const existing = this.sql
        .exec<{ id: string; status: string; idempotency_body: string | null }>(
          "SELECT id, status, idempotency_body FROM outbox WHERE idempotency_key = ?",
          opts.idempotencyKey,
        )
        .toArray()[0]
      if (existing) {
        if (existing.idempotency_body !== null && existing.idempotency_body !== body)
          return err({
            kind: "conflict",
            code: "idempotency_conflict",
            message: "This idempotencyKey was used before with a different message",
          })
        return ok({ id: existing.id, status: z.enum(messageStatuses).parse(existing.status), duplicate: true })
      }
    }
    const id = newId("msg", opts.now)
    this.sql.exec(
      `INSERT INTO outbox (id, chat_id, message, status, next_at, idempotency_key, idempotency_body, source, created_at,
         updated_at, owner, lane, broadcast_id, origin_at)
       VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      id,
      message.chatId,
      body,
      opts.now,
      opts.idempotencyKey ?? null,
      opts.idempotencyKey ? body : null,
      opts.source,
      opts.now,
      opts.now,
      opts.owner ? JSON.stringify(opts.owner) : null,
      laneOf(opts.source),
      opts.broadcastId ?? null,
      opts.originAt ?? null,
    )
    this.index.refresh(message.chatId, 1)
    if (laneOf(opts.source) !== 2) this.urgent++
    return ok({ id, status: "queued", duplicate: false })
  }

  /** Open messages (queued or in flight): what deleting the bot drops. */
  openCount(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox WHERE status IN ('queued', 'sending')").one()
      .n
  }

  /**
   * The oldest open message of each chat whose chat has nothing in flight, in the order to send them (see
   * QueueHeads.pick). Only a chat's head is sendable, which keeps per-chat order through retries. Index rows only:
   * a drain reads many more heads than the pacer lets it send, so the content is read by `claim`, for the one sent.
   */
  heads(limit: number, now = Date.now()): HeadRef[] {
    return this.index.pick(limit, now)
  }

  /**
   * Claims a head for sending and reads it: null when it is no longer queued (withdrawn, held, cancelled) or its
   * stored content cannot be read (then it fails alone instead of stopping its chat).
   */
  claim(head: HeadRef, now: number): QueuedMessage | null {
    const raw = this.sql
      .exec(
        `UPDATE outbox SET status = 'sending', updated_at = ? WHERE seq = ? AND status = 'queued'
         RETURNING id, seq, chat_id, message, attempts, rate_limited, created_at, origin_at, owner`,
        now,
        head.seq,
      )
      .toArray()[0]
    if (raw === undefined) return null
    const r = claimedRow.parse(raw)
    this.index.remove(r.chat_id) // its head is in flight now: the chat waits for it (what `refresh` would find)
    const message = readMessage(r.message)
    if (!message.ok) {
      this.markFailed(r.id, message.error, now)
      return null
    }
    return {
      id: r.id,
      seq: r.seq,
      chatId: r.chat_id,
      message: message.value,
      attempts: r.attempts,
      rateLimited: r.rate_limited,
      readyAt: head.readyAt,
      isGroup: head.isGroup,
      createdAt: r.created_at,
      originAt: r.origin_at,
      owner: parseOwner(r.owner),
    }
  }

  /** Earliest time anything queued could be sent (ignores the bot-wide pause, which the caller adds). */
  nextReadyAt(): number | null {
    return this.index.nextReadyAt()
  }

  /**
   * The platform took it. `spacing`: when its chat may be sent to again, written before the chat's next head is
   * worked out, so that head is paced by it from the start (the chat has no head while this one is in flight).
   */
  markSent(id: string, platformMessageId: string, now: number, spacing?: { chatId: string; freeAt: number }): void {
    if (spacing) this.writeChatFreeAt(spacing.chatId, spacing.freeAt)
    this.changed(
      this.sql.exec(
        "UPDATE outbox SET status = 'sent', attempts = attempts + 1, platform_message_id = ?, last_error = NULL, updated_at = ? WHERE id = ? RETURNING chat_id",
        platformMessageId,
        now,
        id,
      ),
      -1,
    )
  }

  markRetry(id: string, at: number, countsAsAttempt: boolean, error: string, now: number): void {
    this.changed(
      this.sql.exec(
        `UPDATE outbox SET status = 'queued', next_at = ?, attempts = attempts + ?, rate_limited = rate_limited + ?,
       last_error = ?, updated_at = ? WHERE id = ? RETURNING chat_id`,
        at,
        countsAsAttempt ? 1 : 0,
        countsAsAttempt ? 0 : 1,
        error,
        now,
        id,
      ),
      0,
    )
  }

  markFailed(id: string, error: string, now: number): void {
    this.changed(
      this.sql.exec(
        "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?, updated_at = ? WHERE id = ? RETURNING chat_id",
        error,
        now,
        id,
      ),
      -1,
    )
  }

  /** Puts an in-flight message back in line untouched (the bot was stopped mid-send). */
  requeue(id: string, now: number): void {
    this.changed(
      this.sql.exec(
        "UPDATE outbox SET status = 'queued', updated_at = ? WHERE id = ? AND status = 'sending' RETURNING chat_id",
        now,
        id,
      ),
      0,
    )
  }

  /** After an eviction mid-send nothing is in flight any more: those messages go back in line. */
  recoverInFlight(now: number): number {
    return this.changed(
      this.sql.exec(
        "UPDATE outbox SET status = 'queued', updated_at = ? WHERE status = 'sending' RETURNING chat_id",
        now,
      ),
      0,
    )
  }

  /** Telegram group upgraded to a supergroup: every open message of the old chat moves with it. */
  redirectChat(from: string, to: string, now: number): void {
    for (const row of this.sql
      .exec<{ id: string; message: string }>(
        "SELECT id, message FROM outbox WHERE chat_id = ? AND status IN ('queued', 'sending')",
        from,
      )
      .toArray()) {
      const message = { ...outboundMessageSchema.parse(JSON.parse(row.message)), chatId: to }
      this.sql.exec(
        "UPDATE outbox SET chat_id = ?, message = ?, status = 'queued', updated_at = ? WHERE id = ?",
        to,
        JSON.stringify(message),
        now,
        row.id,
      )
    }
    this.index.refresh(from)
    this.index.refresh(to)
  }

  setChatFreeAt(chatId: string, at: number, isGroup?: boolean): void {
    this.writeChatFreeAt(chatId, at, isGroup)
    this.index.delay(chatId, at)
  }

  private writeChatFreeAt(chatId: string, at: number, isGroup?: boolean): void {
    this.sql.exec(
      `INSERT INTO chats (chat_id, free_at, is_group) VALUES (?, ?, ?)
       ON CONFLICT (chat_id) DO UPDATE SET free_at = MAX(free_at, excluded.free_at),
       is_group = CASE WHEN ? IS NULL THEN is_group ELSE excluded.is_group END`,
      chatId,
      at,
      isGroup ? 1 : 0,
      isGroup === undefined ? null : 1,
    )
  }

  /** Applies a WhatsApp delivery receipt to the message it is about; null when none matched or nothing moved. */
  applyReceipt(
    platformMessageId: string,
    status: DeliveryStatus,
    error: string | undefined,
    now: number,
  ): ReceiptApplied | null {
    const row = this.sql
      .exec<{ id: string; status: string; owner: string | null }>(
        "SELECT id, status, owner FROM outbox WHERE platform_message_id = ?",
        platformMessageId,
      )
      .toArray()[0]
    if (!row) return null
    const current = z.enum(messageStatuses).parse(row.status)
    if (status !== "failed" && rank[status] <= rank[current]) return null
    this.sql.exec(
      "UPDATE outbox SET status = ?, last_error = COALESCE(?, last_error), updated_at = ? WHERE id = ?",
      status,
      error ?? null,
      now,
      row.id,
    )
    return { id: row.id, status, owner: parseOwner(row.owner) }
  }

  /**
   * Fails every queued message a contact send owns (the bot can no longer send: its contact sends move on to the
   * next channel instead of waiting for the token to be fixed). Returns them, for their owners to be told.
   */
  failOwned(reason: string, now: number): { id: string; owner: MessageOwner }[] {
    const rows = this.sql
      .exec<{ id: string; owner: string }>("SELECT id, owner FROM outbox WHERE owner IS NOT NULL AND status = 'queued'")
      .toArray()
    for (const r of rows) this.markFailed(r.id, reason, now)
    return rows.map((r) => ({ id: r.id, owner: messageOwnerSchema.parse(JSON.parse(r.owner)) }))
  }

  /** Withdraws a message that is still waiting in line (not once it is being sent); returns whether it was. */
  withdraw(id: string, reason: string, now: number): boolean {
    return (
      this.changed(
        this.sql.exec(
          "UPDATE outbox SET status = 'failed', last_error = ?, updated_at = ? WHERE id = ? AND status = 'queued' RETURNING chat_id",
          reason,
          now,
          id,
        ),
        -1,
      ) > 0
    )
  }

  /** Chats whose open messages changed outside the outbox (a broadcast held or released them): their heads again. */
  refreshHeads(chats: Iterable<string>): void {
    for (const chat of new Set(chats)) this.index.refresh(chat)
  }

  /**
   * Refreshes the head of every chat an update touched (its `RETURNING chat_id` rows, each one message that the
   * update `closed` (-1: sent, failed, withdrawn) or left open (0)); returns how many rows.
   */
  private changed(cursor: SqlStorageCursor<Record<string, SqlStorageValue>>, closed: -1 | 0): number {
    const rows = cursor.toArray()
    const chats = new Map<string, number>()
    for (const r of rows) chats.set(String(r.chat_id), (chats.get(String(r.chat_id)) ?? 0) + closed)
    for (const [chat, change] of chats) this.index.refresh(chat, change)
    return rows.length
  }

  get(id: string): MessageView | null {
    const raw = this.sql
      .exec(
        `SELECT id, chat_id, status, attempts, last_error, platform_message_id, source, created_at, updated_at,
           json_extract(message, '$.templateRef') AS template_ref FROM outbox WHERE id = ?`,
        id,
      )
      .toArray()[0]
    if (!raw) return null
    const r = viewRow.parse(raw)
    return {
      id: r.id,
      chatId: r.chat_id,
      status: r.status,
      attempts: r.attempts,
      error: r.last_error,
      platformMessageId: r.platform_message_id,
      source: r.source,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      templateRef: r.template_ref === null ? null : templateRefSchema.parse(JSON.parse(r.template_ref)),
    }
  }

  depth(): { queued: number; failed: number } {
    const row = this.sql
      .exec<{ queued: number; failed: number }>(
        `SELECT COALESCE(SUM(status IN ('queued', 'sending')), 0) AS queued, COALESCE(SUM(status = 'failed'), 0) AS failed FROM outbox`,
      )
      .one()
    return row
  }

  prune(olderThan: number): void {
    this.sql.exec(
      "DELETE FROM outbox WHERE status IN ('sent', 'delivered', 'read', 'failed') AND updated_at < ?",
      olderThan,
    )
  }
}

function invalidMessage(error: z.ZodError): DomainError {
  const fields = fieldErrors(error)
  const first = fields[0]
  return {
    kind: "invalid",
    message: `Not a message the queue can send: ${first ? `${first.path || "message"}: ${first.message}` : "invalid"}`,
    fields,
  }
}

function readMessage(stored: string): Result<OutboundMessage, string> {
  let json: unknown
  try {
    json = JSON.parse(stored)
  } catch {
    return err("unreadable stored message: not JSON")
  }
  const parsed = outboundMessageSchema.safeParse(json)
  if (parsed.success) return ok(parsed.data)
  return err(`unreadable stored message: ${parsed.error.issues[0]?.message ?? "invalid"}`)
}
