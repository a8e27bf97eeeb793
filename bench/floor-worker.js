// `--floor`: the runtime's cost of the router's architecture with none of its logic. A Hono route hands the raw body
// to a Durable Object named by the path (one RPC), which inserts it into SQLite and answers once that is stored,
// committing the way the router does (src/bot/group-commit.ts: what arrives during a commit goes into the next one).
// Switchboard's webhook can't beat this on the same runtime: the gap between it and the bare route is the price of
// "stored durably before the 200" itself. Plain JS: bench/ is typechecked for Node, and this runs in workerd.
import { DurableObject } from "cloudflare:workers"
import { Hono } from "hono"

export class FloorObject extends DurableObject {
  waiting = []
  draining = false

  constructor(ctx, env) {
    super(ctx, env)
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS inbox (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
  }

  ingest(body) {
    return new Promise((resolve) => {
      this.waiting.push({ body, resolve })
      if (!this.draining) void this.drain()
    })
  }

  async drain() {
    this.draining = true
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0)
        const { storage } = this.ctx
        storage.transactionSync(() => {
          for (const { body } of batch) storage.sql.exec("INSERT INTO inbox (body) VALUES (?)", body)
        })
        for (const { resolve } of batch) resolve(1)
        await storage.sync()
      }
    } finally {
      this.draining = false
    }
  }
}

const app = new Hono()
app.post("/floor/:id", async (c) => {
  const stub = c.env.FLOOR.get(c.env.FLOOR.idFromName(c.req.param("id")))
  return c.json({ ok: true, accepted: await stub.ingest(await c.req.arrayBuffer()) })
})

export default app
