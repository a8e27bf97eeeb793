/**
 * Broadcasts, inside the bot's object: recipients arrive in chunks, then are fed into the send queue's bulk lane a
 * window at a time, so replies and single sends always go first within the bot's one rate budget, and pause or
 * cancel act on a window, not on 100,000 rows. Each recipient's message is queued under the key
 * `bc:{broadcast}:{chat}`: a feed repeated after an eviction is a no-op, and a chat listed twice gets it once.
 */
import { type DomainError, invalid, notFound } from "../lib/domain-error"
import { err, ok, type Result } from "../lib/result"
import type { OutboundContent, OutboundMessage } from "../providers/types"
import {
  type BroadcastContent,
  type BroadcastRow,
  type BroadcastStatus,
  BroadcastStore,
  type Recipient,
} from "./broadcast-store"
import type { Outbox } from "./outbox"
import type { People } from "./people"

/** Messages of one broadcast in line at a time: enough to keep any platform's rate busy between refills. */
export const FEED_WINDOW = 2_000
/** Skips that are the recipient's own choice or a repeat, not a failure. */
const SKIP_REASONS = new Set(["opted_out", "duplicate"])

export interface BroadcastView {
  id: string
  name: string
  status: BroadcastStatus
  total: number
  queued: number
  sent: number
  delivered: number
  read: number
  failed: number
  skipped: number
  cancelled: number
  /** Messages per second accepted by the platform since the start. */
  rate: number
  /** Seconds until the last queued message is sent at that rate (null: unknown or nothing left). */
  etaSeconds: number | null
  createdAt: number
  scheduledAt: number | null
  startedAt: number | null
  finishedAt: number | null
}

export type BroadcastRequest =
  | {
      op: "create"
      id: string
      name: string
      content: BroadcastContent
      recipients: Recipient[]
      /** More recipients follow (`append`); the broadcast waits as a draft until the last chunk. */
      more: boolean
      scheduledAt: number | null
    }
  | {
      op: "append"
      id: string
      recipients: Recipient[]
      more: boolean
      /** The index of the chunk's first recipient: a chunk already added (a retry) is a no-op. */
      offset?: number | undefined
    }
  | { op: "control"; id: string; action: "pause" | "resume" | "cancel" }
  | { op: "get"; id: string }

export interface BroadcastPort {
  storage: DurableObjectStorage
  sql: SqlStorage
  outbox: Outbox
  people: People
  /** The bot's own rules for a bulk message (status, platform rules, opt-out, service window); null: may queue. */
  admit(message: OutboundMessage, now: number): DomainError | null
  /** The platform's own rules for the broadcast's content, checked once when it is created. */
  check(content: OutboundContent): DomainError | null
  /** The content one recipient gets (a template rendered with their variables). */
  render(content: BroadcastContent, recipient: Recipient): Result<OutboundContent, DomainError>
}

export class Broadcaster {
  readonly store: BroadcastStore

  constructor(private readonly port: BroadcastPort) {
    this.store = new BroadcastStore(port.sql)
  }

  handle(req: BroadcastRequest, now: number): Result<BroadcastView, DomainError> {
    if (req.op === "create") {
      if (this.store.get(req.id)) return ok(this.viewOf(req.id, now))
      const problem = req.content.kind === "content" ? this.port.check(req.content.content) : null
      if (problem) return err(problem)
      this.port.storage.transactionSync(() => {
        this.store.insert({ ...req, status: "draft", now })
        this.store.addChunk(req.id, req.recipients, now)
        if (!req.more) this.release(req.id, now)
      })
      return ok(this.viewOf(req.id, now))
    }
    const row = this.store.get(req.id)
    if (!row) return err(notFound("Broadcast"))
    if (req.op === "get") return ok(this.viewOf(req.id, now))
    if (req.op === "append") {
      if (req.offset !== undefined && req.offset + req.recipients.length <= row.total)
        return ok(this.viewOf(req.id, now)) // this chunk was added before: a retry
      if (row.status !== "draft") return err(invalid("recipients", `the broadcast is ${row.status}: it takes no more`))
      if (req.offset !== undefined && req.offset !== row.total)
        return err(
          invalid("offset", `the broadcast has ${row.total} recipients: a chunk at ${req.offset} leaves a gap`),
        )
      this.port.storage.transactionSync(() => {
        this.store.addChunk(req.id, req.recipients, now)
        if (!req.more) this.release(req.id, now)
      })
      return ok(this.viewOf(req.id, now))
    }
    const refused = this.control(row, req.action, now)
    return refused ? err(refused) : ok(this.viewOf(req.id, now))
  }

  /** Tops up the window of every running broadcast (starting scheduled ones whose time came); returns how many queued. */
  refill(now: number): number {
    let queued = 0
    for (const b of this.store.active(now)) {
      if (b.status === "scheduled") this.store.update(b.id, { status: "running", startedAt: now }, now)
      let fed = b.fed
      let room = FEED_WINDOW - this.store.open(b.id)
      while (room > 0 && fed < b.total) {
        const batch = this.store.recipientsFrom(b.id, fed).slice(0, room)
        if (batch.length === 0) break
        this.port.storage.transactionSync(() => {
          for (const r of batch) {
            if (this.feedOne(b, r, now)) {
              queued++
              room--
            }
            fed++
          }
          this.store.update(b.id, { fed }, now)
        })
      }
      if (fed >= b.total && this.store.open(b.id) === 0)
        this.store.update(b.id, { status: "done", finishedAt: now }, now)
    }
    return queued
  }

  /** When the object must wake for broadcasts: now while one runs, or when the next scheduled one starts. */
  nextWakeAt(now: number): number | null {
    // A running broadcast needs the alarm only when it has room to feed or is about to finish; the queue's own
    // ready times wake the object for the messages already in line.
    for (const b of this.store.active(now)) {
      if (b.status === "scheduled") return now
      const open = this.store.open(b.id)
      if ((b.fed < b.total && open < FEED_WINDOW) || (b.fed >= b.total && open === 0)) return now
    }
    return this.store.nextScheduledAt()
  }

  /** Broadcasts whose summary the registry should get (changed, or counts still moving), as of `now`. */
  summaries(now: number, limit = 50): BroadcastView[] {
    return this.store.toReport(now, limit).map((row) => view(row, this.store.counts(row.id), now))
  }

  reported(ids: string[], upTo: number): void {
    this.store.reported(ids, upTo)
  }

  viewOf(id: string, now: number): BroadcastView {
    const row = this.store.get(id)
    if (!row) throw new Error(`broadcast ${id} vanished`)
    return view(row, this.store.counts(id), now)
  }

  // ---- internals ----

  /** The last chunk is in: the broadcast starts now, or waits for its time. */
  private release(id: string, now: number): void {
    const row = this.store.get(id)
    if (!row) return
    const later = row.scheduledAt !== null && row.scheduledAt > now
    this.store.update(id, later ? { status: "scheduled" } : { status: "running", startedAt: now }, now)
  }

  private control(row: BroadcastRow, action: "pause" | "resume" | "cancel", now: number): DomainError | null {
    const refuse = (what: string) => invalid("action", `cannot ${action} a broadcast that is ${row.status}${what}`)
    const touched = (chats: string[]) => this.port.outbox.refreshHeads(chats)
    switch (action) {
      case "pause":
        if (row.status !== "running" && row.status !== "scheduled") return refuse("")
        this.port.storage.transactionSync(() => {
          touched(this.store.move(row.id, ["queued"], "held", now))
          this.store.update(row.id, { status: "paused" }, now)
        })
        return null
      case "resume": {
        if (row.status !== "paused") return refuse("")
        const later = row.startedAt === null && row.scheduledAt !== null && row.scheduledAt > now
        this.port.storage.transactionSync(() => {
          touched(this.store.move(row.id, ["held"], "queued", now))
          this.store.update(
            row.id,
            later ? { status: "scheduled" } : { status: "running", startedAt: row.startedAt ?? now },
            now,
          )
        })
        return null
      }
      case "cancel":
        if (row.status === "done" || row.status === "cancelled") return refuse(" already")
        this.port.storage.transactionSync(() => {
          touched(this.store.move(row.id, ["queued", "held"], "cancelled", now))
          this.store.update(row.id, { status: "cancelled", finishedAt: now }, now)
        })
        return null
    }
  }

  /** Queues one recipient's message, or records why not; returns whether it was queued. */
  private feedOne(b: BroadcastRow, r: Recipient, now: number): boolean {
    if (this.port.people.optedOut(r.chatId)) {
      this.store.skip(b.id, r.chatId, "opted_out", now)
      return false
    }
    const content = this.port.render(b.content, r)
    if (!content.ok) {
      this.store.skip(b.id, r.chatId, `invalid: ${content.error.message}`, now)
      return false
    }
    const message = { ...content.value, chatId: r.chatId }
    const refused = this.port.admit(message, now)
    if (refused) {
      this.store.skip(b.id, r.chatId, refused.kind === "window_closed" ? "window_closed" : refused.message, now)
      return false
    }
    const queued = this.port.outbox.enqueue(message, {
      source: "bulk",
      idempotencyKey: `bc:${b.id}:${r.chatId}`,
      now,
      broadcastId: b.id,
    })
    if (!queued.ok || queued.value.duplicate) {
      this.store.skip(b.id, r.chatId, queued.ok ? "duplicate" : queued.error.message, now)
      return false
    }
    return true
  }
}

function view(
  row: BroadcastRow,
  counts: { byStatus: Map<string, number>; skipped: Map<string, number> },
  now: number,
): BroadcastView {
  const n = (status: string) => counts.byStatus.get(status) ?? 0
  let skipped = 0
  let refused = 0
  for (const [reason, count] of counts.skipped) {
    if (SKIP_REASONS.has(reason)) skipped += count
    else refused += count
  }
  const notFed = row.total - row.fed
  const sent = n("sent") + n("delivered") + n("read")
  const queued = n("queued") + n("sending") + n("held") + (row.status === "cancelled" ? 0 : notFed)
  const elapsed = row.startedAt === null ? 0 : (row.finishedAt ?? now) - row.startedAt
  const rate = elapsed > 0 ? Math.round((sent / elapsed) * 1000 * 100) / 100 : 0
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    total: row.total,
    queued,
    sent,
    delivered: n("delivered") + n("read"),
    read: n("read"),
    failed: n("failed") + refused,
    skipped,
    cancelled: n("cancelled") + (row.status === "cancelled" ? notFed : 0),
    rate,
    etaSeconds: rate > 0 && queued > 0 ? Math.ceil(queued / rate) : null,
    createdAt: row.createdAt,
    scheduledAt: row.scheduledAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  }
}
