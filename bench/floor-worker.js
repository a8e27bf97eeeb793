// `--floor`: the runtime's cost of the router's architecture with none of its logic. A Hono route hands the raw body
// to a Durable Object named by the path (one RPC), which inserts it into SQLite and answers once that is stored,
// committing the way the router does: through the same GroupCommit (src/bot/group-commit.ts).
// Switchboard's webhook can't beat this on the same runtime: the gap between it and the bare route is the price of
// "stored durably before the 200" itself. Plain JS: bench/ is typechecked for Node, and this runs in workerd.
import { DurableObject } from "cloudflare:workers"
import { Hono } from "hono"
import { GroupCommit } from "../src/bot/group-commit.ts"

export class FloorObject extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env)
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS inbox (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
    this.intake = new GroupCommit(ctx.storage, (body) =>
      ctx.storage.sql.exec("INSERT INTO inbox (body) VALUES (?)", body),
    )
  }

  async ingest(body) {
    const written = await this.intake.submit(body)
    if (!written.ok) throw written.error
    return 1
  }
}

const app = new Hono()
app.post("/floor/:id", async (c) => {
  const stub = c.env.FLOOR.get(c.env.FLOOR.idFromName(c.req.param("id")))
  return c.json({ ok: true, accepted: await stub.ingest(await c.req.arrayBuffer()) })
})

export default app
