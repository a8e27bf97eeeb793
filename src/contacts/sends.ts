/**
 * A contact's sends and their attempts, in the contact object's SQLite: one row per message (its route, the hop
 * being tried, its deadline) and one per hop tried. Every state change is written before any call it leads to.
 */
import { z } from "zod"
import { type OutboundContent, outboundContentSchema } from "../providers/types"
import type { Candidate, Considered, OrderSource } from "./plan"

export const contactMessageStatuses = ["queued", "sending", "sent", "delivered", "read", "failed"] as const
export type ContactMessageStatus = (typeof contactMessageStatuses)[number]

export const attemptStatuses = ["dispatching", "queued", "sent", "delivered", "read", "failed", "timed_out"] as const
export type AttemptStatus = (typeof attemptStatuses)[number]

export interface Attempt {
  hop: number
  botId: string
  platform: string
  chatId: string
  status: AttemptStatus
  error: string | null
  botMessageId: string | null
  at: number
  updatedAt: number
}

export interface RouteRecord {
  source: OrderSource
  rule: string | null
  considered: Considered[]
}

export interface StoredSend {
  id: string
  businessId: string
  contactId: string
  content: OutboundContent
  /** A template send's rendering per platform (each hop takes its platform's); null: `content` everywhere. */
  contentByPlatform: Record<string, OutboundContent> | null
  candidates: Candidate[]
  route: RouteRecord
  hop: number
  status: ContactMessageStatus
  error: string | null
  failoverAfterMs: number | null
  deadlineAt: number | null
  createdAt: number
  updatedAt: number
}

const candidateSchema = z.object({ botId: z.string(), platform: z.string(), chatId: z.string() })
const routeSchema = z.object({
  source: z.enum(["route", "preferredPlatforms", "rule", "recency"]),
  rule: z.string().nullable(),
  considered: z.array(candidateSchema.extend({ kept: z.boolean(), reason: z.string() })),
})
const sendRow = z.object({
  id: z.string(),
  business_id: z.string(),
  contact_id: z.string(),
  content: z.string(),
  content_by_platform: z.string().nullable(),
  candidates: z.string(),
  route: z.string(),
  hop: z.number(),
  status: z.enum(contactMessageStatuses),
  error: z.string().nullable(),
  failover_after_ms: z.number().nullable(),
  deadline_at: z.number().nullable(),
  created_at: z.number(),
  updated_at: z.number(),
})
const attemptRow = z.object({
  hop: z.number(),
  bot_id: z.string(),
  platform: z.string(),
  chat_id: z.string(),
  status: z.enum(attemptStatuses),
  error: z.string().nullable(),
  bot_message_id: z.string().nullable(),
  at: z.number(),
  updated_at: z.number(),
})

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS sends (
    id TEXT PRIMARY KEY,
    business_id TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    content TEXT NOT NULL,
    content_by_platform TEXT,
    candidates TEXT NOT NULL,
    route TEXT NOT NULL,
    hop INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    error TEXT,
    failover_after_ms INTEGER,
    deadline_at INTEGER,
    idempotency_key TEXT UNIQUE,
    idempotency_body TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS sends_deadline ON sends (deadline_at) WHERE deadline_at IS NOT NULL;
  CREATE TABLE IF NOT EXISTS attempts (
    send_id TEXT NOT NULL,
    hop INTEGER NOT NULL,
    bot_id TEXT NOT NULL,
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    bot_message_id TEXT,
    at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (send_id, hop)
  );
  CREATE INDEX IF NOT EXISTS attempts_dispatching ON attempts (status) WHERE status = 'dispatching';`

/** Receipts and outcomes only move an attempt forward. */
const rank: Record<AttemptStatus, number> = {
  dispatching: 0,
  queued: 1,
  sent: 2,
  delivered: 3,
  read: 4,
  failed: 5,
  timed_out: 5,
}

export class Sends {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(SCHEMA)
  }

  byIdempotencyKey(key: string): { id: string; body: string | null } | null {
    const row = this.sql
      .exec<{ id: string; idempotency_body: string | null }>(
        "SELECT id, idempotency_body FROM sends WHERE idempotency_key = ?",
        key,
      )
      .toArray()[0]
    return row ? { id: row.id, body: row.idempotency_body } : null
  }

  create(send: StoredSend, idempotency: { key: string; body: string } | null): void {
    this.sql.exec(
      `INSERT INTO sends (id, business_id, contact_id, content, content_by_platform, candidates, route, hop, status, error,
         failover_after_ms, deadline_at, idempotency_key, idempotency_body, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      send.id,
      send.businessId,
      send.contactId,
      JSON.stringify(send.content),
      send.contentByPlatform ? JSON.stringify(send.contentByPlatform) : null,
      JSON.stringify(send.candidates),
      JSON.stringify(send.route),
      send.hop,
      send.status,
      send.error,
      send.failoverAfterMs,
      send.deadlineAt,
      idempotency?.key ?? null,
      idempotency?.body ?? null,
      send.createdAt,
      send.updatedAt,
    )
  }

  get(id: string): StoredSend | null {
    const raw = this.sql.exec("SELECT * FROM sends WHERE id = ?", id).toArray()[0]
    if (!raw) return null
    const r = sendRow.parse(raw)
    return {
      id: r.id,
      businessId: r.business_id,
      contactId: r.contact_id,
      content: outboundContentSchema.parse(JSON.parse(r.content)),
      contentByPlatform:
        r.content_by_platform === null
          ? null
          : z.record(z.string(), outboundContentSchema).parse(JSON.parse(r.content_by_platform)),
      candidates: z.array(candidateSchema).parse(JSON.parse(r.candidates)),
      route: routeSchema.parse(JSON.parse(r.route)),
      hop: r.hop,
      status: r.status,
      error: r.error,
      failoverAfterMs: r.failover_after_ms,
      deadlineAt: r.deadline_at,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }
  }

  update(
    id: string,
    patch: { hop?: number; status?: ContactMessageStatus; error?: string | null; deadlineAt?: number | null },
    now: number,
  ): void {
    this.sql.exec(
      `UPDATE sends SET hop = COALESCE(?, hop), status = COALESCE(?, status),
         error = CASE WHEN ? THEN ? ELSE error END, deadline_at = CASE WHEN ? THEN ? ELSE deadline_at END,
         updated_at = ? WHERE id = ?`,
      patch.hop ?? null,
      patch.status ?? null,
      patch.error !== undefined ? 1 : 0,
      patch.error ?? null,
      patch.deadlineAt !== undefined ? 1 : 0,
      patch.deadlineAt ?? null,
      now,
      id,
    )
  }

  /** Records that hop `hop` is about to be handed to its bot (a no-op when it already was: a retry). */
  beginAttempt(sendId: string, hop: number, c: Candidate, now: number): void {
    this.sql.exec(
      `INSERT OR IGNORE INTO attempts (send_id, hop, bot_id, platform, chat_id, status, at, updated_at)
       VALUES (?, ?, ?, ?, ?, 'dispatching', ?, ?)`,
      sendId,
      hop,
      c.botId,
      c.platform,
      c.chatId,
      now,
      now,
    )
  }

  attempt(sendId: string, hop: number): Attempt | null {
    const raw = this.sql
      .exec(
        "SELECT hop, bot_id, platform, chat_id, status, error, bot_message_id, at, updated_at FROM attempts WHERE send_id = ? AND hop = ?",
        sendId,
        hop,
      )
      .toArray()[0]
    return raw ? toAttempt(raw) : null
  }

  attempts(sendId: string): Attempt[] {
    return this.sql
      .exec(
        "SELECT hop, bot_id, platform, chat_id, status, error, bot_message_id, at, updated_at FROM attempts WHERE send_id = ? ORDER BY hop",
        sendId,
      )
      .toArray()
      .map(toAttempt)
  }

  /** Moves an attempt forward (never back: a late "delivered" does not undo "read"); returns whether it moved. */
  advanceAttempt(
    sendId: string,
    hop: number,
    status: AttemptStatus,
    fields: { error?: string | null; botMessageId?: string },
    now: number,
  ): boolean {
    const current = this.attempt(sendId, hop)
    if (!current || rank[status] <= rank[current.status] || rank[current.status] >= rank.failed) return false
    this.sql.exec(
      `UPDATE attempts SET status = ?, error = COALESCE(?, error), bot_message_id = COALESCE(?, bot_message_id),
         updated_at = ? WHERE send_id = ? AND hop = ?`,
      status,
      fields.error ?? null,
      fields.botMessageId ?? null,
      now,
      sendId,
      hop,
    )
    return true
  }

  /** Hops handed over but not yet confirmed by their bot (an eviction cut the call short). */
  dispatching(): { sendId: string; hop: number }[] {
    return this.sql
      .exec<{ send_id: string; hop: number }>("SELECT send_id, hop FROM attempts WHERE status = 'dispatching'")
      .toArray()
      .map((r) => ({ sendId: r.send_id, hop: r.hop }))
  }

  /** Sends whose current hop's delivery deadline has passed. */
  overdue(now: number): string[] {
    return this.sql
      .exec<{ id: string }>("SELECT id FROM sends WHERE deadline_at IS NOT NULL AND deadline_at <= ?", now)
      .toArray()
      .map((r) => r.id)
  }

  nextDeadline(): number | null {
    return this.sql.exec<{ at: number | null }>("SELECT MIN(deadline_at) AS at FROM sends").one().at
  }
}

function toAttempt(raw: Record<string, SqlStorageValue>): Attempt {
  const r = attemptRow.parse(raw)
  return {
    hop: r.hop,
    botId: r.bot_id,
    platform: r.platform,
    chatId: r.chat_id,
    status: r.status,
    error: r.error,
    botMessageId: r.bot_message_id,
    at: r.at,
    updatedAt: r.updated_at,
  }
}
