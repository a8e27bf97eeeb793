// The queue-heads scenario's worker (bench/queue-heads.ts): a Durable Object with the bot's own SQLite schema
// (src/bot/storage.ts) and send queue (src/bot/outbox.ts), filled through Outbox.enqueue, so its head index is kept
// the way the bot keeps it. Each timing call runs one way of choosing the next 100 sendable messages `calls` times
// and answers; the bench times the call from outside (workerd's clock does not advance while code runs) and takes
// away an empty call's time. Plain JS: bench/ is typechecked for Node, and this runs in workerd.
import { DurableObject } from "cloudflare:workers"
import { Outbox } from "../src/bot/outbox.ts"
import { claimedRow, parseOwner } from "../src/bot/outbox-rows.ts"
import { QueueHeads } from "../src/bot/queue-heads.ts"
import { migrate } from "../src/bot/storage.ts"
import { outboundMessageSchema } from "../src/providers/types.ts"

/**
 * The send queue's pick before the head index: Outbox.heads as it was before commit 4a2b3a9 (git show
 * 4a2b3a9^:src/bot/outbox.ts), a correlated MIN per chat over the outbox; its WHERE is `reference()` of
 * test/storage/queue-heads.test.ts. Its rows are parsed as Outbox.heads then parsed its own (each row's message
 * too); Outbox.heads now reads index rows only and the content of the one message sent is read by Outbox.claim.
 */
const OLD_HEADS = `SELECT o.id, o.seq, o.chat_id, o.message, o.attempts, o.rate_limited, o.created_at, o.origin_at, o.owner,
         MAX(o.next_at, COALESCE(c.free_at, 0)) AS ready_at, COALESCE(c.is_group, 0) AS is_group
  FROM outbox o LEFT JOIN chats c ON c.chat_id = o.chat_id
  WHERE o.status = 'queued'
    AND o.seq = (SELECT MIN(i.seq) FROM outbox i WHERE i.chat_id = o.chat_id AND i.status IN ('queued', 'sending'))
  ORDER BY ready_at, o.seq
  LIMIT ?`

export class HeadsBench extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env)
    this.sql = ctx.storage.sql
    migrate(this.sql)
    this.outbox = new Outbox(this.sql)
    this.index = new QueueHeads(this.sql)
  }

  /**
   * Queues messages `from` .. `to - 1` of a queue of N over N/2 chats: message i goes to chat i mod N/2, so every
   * chat has two (its head and one behind it). Mostly bulk (a broadcast), every 50th chat a single send, every
   * 100th a reply. Every 5th chat (c mod 5 = 1) was just sent to: paced until `pacedUntil` (ready later).
   */
  fill({ n, from, to, now, pacedUntil }) {
    const chats = Math.max(1, Math.floor(n / 2))
    for (let i = from; i < to; i++) {
      const c = i % chats
      const source = c % 100 === 0 ? "reply" : c % 50 === 0 ? "api" : "bulk"
      const message = {
        chatId: `4917${String(c).padStart(9, "0")}`,
        template: { name: "bench_update", language: "en_US", parameters: [String(i)] },
      }
      this.outbox.enqueue(message, { source, now: now + i })
      if (i < chats && c % 5 === 1) this.outbox.setChatFreeAt(message.chatId, pacedUntil)
    }
    return this.depth()
  }

  /** Claims the first `count` sendable heads, as a drain with that many sends in flight has. */
  inFlight({ count, now }) {
    for (const head of this.outbox.heads(count, now)) this.outbox.claim(head, now)
    return this.depth()
  }

  depth() {
    const q = (s) => this.sql.exec(s).one().n
    return {
      messages: q("SELECT COUNT(*) AS n FROM outbox"),
      queued: q("SELECT COUNT(*) AS n FROM outbox WHERE status = 'queued'"),
      sending: q("SELECT COUNT(*) AS n FROM outbox WHERE status = 'sending'"),
      chats: q("SELECT COUNT(DISTINCT chat_id) AS n FROM outbox"),
      heads: q("SELECT COUNT(*) AS n FROM heads"),
    }
  }

  /**
   * Runs `way` `calls` times and answers what the last call returned (so nothing is optimised away, and the bench
   * can check both ways chose the same messages): `heads` Outbox.heads (index pick, then the rows), `pick` the index
   * alone, `old` the query the index replaced, `none` nothing (the call's own cost).
   */
  time({ way, calls, now, limit }) {
    let last = []
    for (let k = 0; k < calls; k++) {
      if (way === "heads") last = this.outbox.heads(limit, now).map((m) => m.seq)
      else if (way === "pick") last = this.index.pick(limit, now).map((h) => h.seq)
      else if (way === "old") last = this.old(limit).map((m) => m.seq)
    }
    return { count: last.length, seqs: last }
  }

  old(limit) {
    return this.sql
      .exec(OLD_HEADS, limit)
      .toArray()
      .map((raw) => {
        const r = claimedRow.parse(raw)
        return {
          id: r.id,
          seq: r.seq,
          chatId: r.chat_id,
          message: outboundMessageSchema.parse(JSON.parse(r.message)),
          attempts: r.attempts,
          rateLimited: r.rate_limited,
          readyAt: raw.ready_at,
          isGroup: raw.is_group === 1,
          createdAt: r.created_at,
          originAt: r.origin_at,
          owner: parseOwner(r.owner),
        }
      })
  }

  /** workerd's clocks inside one call, to show they stand still while code runs (the bench times from outside). */
  clock({ spin }) {
    const d0 = Date.now()
    const p0 = performance.now()
    let x = 0
    for (let i = 0; i < spin; i++) x += Math.sqrt(i)
    return { dateMs: Date.now() - d0, perfMs: performance.now() - p0, x }
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url)
    const m = /^\/heads\/([\w-]+)\/(\w+)$/.exec(url.pathname)
    if (!m || request.method !== "POST") return new Response("not found", { status: 404 })
    const [, name, op] = m
    if (!["fill", "inFlight", "depth", "time", "clock"].includes(op)) return new Response("no such op", { status: 404 })
    const stub = env.HEADS.get(env.HEADS.idFromName(name))
    const params = await request.json()
    return Response.json(await stub[op](params))
  },
}
