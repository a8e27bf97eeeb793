/**
 * A business's gate (or an IP address's): one Durable Object per subject that every management API request of that
 * subject passes through once (src/gate/middleware.ts).
 *
 * - **Rate limit:** a token bucket in memory. It is not stored: an object is only evicted after seconds of quiet,
 *   by which time the bucket would have refilled anyway, and IP gates then never write storage at all.
 * - **Idempotency records** (businesses only): `Idempotency-Key` → the request's fingerprint and, once it finished
 *   with a 2xx, its status, replayable headers and sealed body, for 24 hours from the first request. An alarm sweeps
 *   what expired. A key whose request is still running answers `in_progress` (the caller's 409): no request waits
 *   on another, and a lock older than `LOCK_MS` (its worker died mid-request) is taken over.
 *
 * Each decision is synchronous SQL inside one call, so two requests with the same key cannot both proceed.
 */
import { DurableObject } from "cloudflare:workers"
import type { Env } from "../env"
import { type Bucket, type Policy, type RateState, type Subject, take } from "./limits"

/** How long an answer is replayed, from the key's first request (Stripe's 24 hours). */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000
/** A request still "running" after this long is taken to have died with its worker: its key is free again. */
export const LOCK_MS = 2 * 60 * 1000

export interface StoredAnswer {
  status: number
  /** The replayable headers: Content-Type and Location. */
  headers: Record<string, string>
  /** Sealed with ENCRYPTION_KEY by the worker (an answer can hold a once-shown secret). */
  body: string
}

export type IdempotencyVerdict =
  | { kind: "proceed"; lock: string }
  | { kind: "replay"; answer: StoredAnswer }
  | { kind: "conflict" }
  | { kind: "in_progress" }

export interface Admission {
  /** Null when the subject has no limit. */
  rate: RateState | null
  /** Absent when no key was given, or when the request was refused by the rate limit. */
  idempotency?: IdempotencyVerdict
}

interface RecordRow extends Record<string, SqlStorageValue> {
  fingerprint: string
  lock: string | null
  status: number | null
  headers: string | null
  body: string | null
  created_at: number
}

/** The gate of a subject: `business:<id>` or `ip:<address>`. */
export function gateFor(env: Env, subject: Subject): DurableObjectStub<BusinessGate> {
  return env.GATE.get(env.GATE.idFromName(`${subject.kind}:${subject.id}`))
}

export class BusinessGate extends DurableObject<Env> {
  private bucket: Bucket | null = null
  /** A policy set for this subject alone (`setPolicy`), over the deployment's; undefined until read. */
  private own: Policy | null | undefined
  private schemaReady = false

  /**
   * Counts one request against the limit, then (only if it is allowed and a key was given) decides what the
   * request's `Idempotency-Key` means: run it, replay the stored answer, or refuse it.
   */
  async admit(input: {
    policy: Policy | null
    idempotency?: { key: string; fingerprint: string }
    now?: number
  }): Promise<Admission> {
    const now = input.now ?? Date.now()
    const policy = this.policy() ?? input.policy
    let rate: RateState | null = null
    if (policy) {
      const taken = take(this.bucket, policy, now)
      this.bucket = taken.bucket
      rate = taken.state
      if (!rate.allowed) return { rate }
    }
    if (!input.idempotency) return { rate }
    const verdict = this.claim(input.idempotency.key, input.idempotency.fingerprint, now)
    if (verdict.kind === "proceed") await this.scheduleSweep(now + IDEMPOTENCY_TTL_MS)
    return { rate, idempotency: verdict }
  }

  /** Stores the answer of a request that proceeded (only while it still holds the key's lock). */
  async complete(key: string, lock: string, answer: StoredAnswer): Promise<boolean> {
    this.ensureSchema()
    const updated = this.ctx.storage.sql.exec(
      "UPDATE idempotency SET lock = NULL, status = ?, headers = ?, body = ? WHERE key = ? AND lock = ? RETURNING key",
      answer.status,
      JSON.stringify(answer.headers),
      answer.body,
      key,
      lock,
    )
    return updated.toArray().length > 0
  }

  /** Frees a key whose request did not succeed (nothing is replayed: the next request with it runs). */
  async release(key: string, lock: string): Promise<void> {
    this.ensureSchema()
    this.ctx.storage.sql.exec("DELETE FROM idempotency WHERE key = ? AND lock = ?", key, lock)
  }

  /** Deletes the records that expired by `now` (and stale locks); returns how many. Tests pass a future `now`. */
  async sweep(now = Date.now()): Promise<number> {
    this.ensureSchema()
    const deleted = this.ctx.storage.sql.exec(
      "DELETE FROM idempotency WHERE created_at <= ? OR (lock IS NOT NULL AND created_at <= ?) RETURNING key",
      now - IDEMPOTENCY_TTL_MS,
      now - LOCK_MS,
    )
    return deleted.toArray().length
  }

  /** This subject's own limit instead of the deployment's (null: back to the deployment's). Tests set small ones. */
  async setPolicy(policy: Policy | null): Promise<void> {
    if (policy === null) this.ctx.storage.kv.delete("policy")
    else this.ctx.storage.kv.put("policy", policy)
    this.own = policy
    this.bucket = null
  }

  override async alarm(): Promise<void> {
    const now = Date.now()
    await this.sweep(now)
    const oldest = this.ctx.storage.sql
      .exec<{ at: number | null }>("SELECT MIN(created_at) AS at FROM idempotency")
      .one().at
    if (oldest !== null) await this.ctx.storage.setAlarm(Math.max(now + 1000, oldest + IDEMPOTENCY_TTL_MS))
  }

  private policy(): Policy | null {
    if (this.own === undefined) this.own = this.ctx.storage.kv.get<Policy>("policy") ?? null
    return this.own
  }

  private claim(key: string, fingerprint: string, now: number): IdempotencyVerdict {
    this.ensureSchema()
    const sql = this.ctx.storage.sql
    const row = sql
      .exec<RecordRow>(
        "SELECT fingerprint, lock, status, headers, body, created_at FROM idempotency WHERE key = ?",
        key,
      )
      .toArray()[0]
    const live =
      row !== undefined &&
      row.created_at > now - IDEMPOTENCY_TTL_MS &&
      (row.lock === null || row.created_at > now - LOCK_MS)
    if (row && live) {
      if (row.fingerprint !== fingerprint) return { kind: "conflict" }
      if (row.lock !== null || row.status === null || row.body === null) return { kind: "in_progress" }
      const headers: Record<string, string> = JSON.parse(row.headers ?? "{}")
      return { kind: "replay", answer: { status: row.status, headers, body: row.body } }
    }
    const lock = crypto.randomUUID()
    sql.exec(
      `INSERT INTO idempotency (key, fingerprint, lock, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint, lock = excluded.lock,
         status = NULL, headers = NULL, body = NULL, created_at = excluded.created_at`,
      key,
      fingerprint,
      lock,
      now,
    )
    return { kind: "proceed", lock }
  }

  /** Sets the sweep's alarm unless one is due sooner. */
  private async scheduleSweep(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm()
    if (current === null || current > at) await this.ctx.storage.setAlarm(at)
  }

  /** The table is made on first use, so an IP's gate (a bucket only) never writes storage. */
  private ensureSchema(): void {
    if (this.schemaReady) return
    this.ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS idempotency (
        key TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,          -- SHA-256 of method, path and body
        lock TEXT,                          -- set while the first request runs; NULL once its answer is stored
        status INTEGER,
        headers TEXT,                       -- JSON: the replayable headers
        body TEXT,                          -- sealed
        created_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS idempotency_by_age ON idempotency (created_at);`)
    this.schemaReady = true
  }
}
