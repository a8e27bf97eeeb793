// Group commit against a real Durable Object's SQLite storage (inside workerd): batching, per-input rollback,
// and no delay for a lone write.
import { runInDurableObject } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import { type CommitStorage, GroupCommit } from "../../src/bot/group-commit"
import { botStub } from "../messaging-helpers"

const scratchObject = () => botStub(`group-commit-${crypto.randomUUID()}`)

/** The object's storage, counting the outermost transactions: one per batch GroupCommit writes. */
function counting(storage: DurableObjectStorage): { storage: CommitStorage; batches: () => number } {
  let depth = 0
  let batches = 0
  return {
    storage: {
      transactionSync: (fn) => {
        if (depth++ === 0) batches++
        try {
          return storage.transactionSync(fn)
        } finally {
          depth--
        }
      },
      sync: () => storage.sync(),
    },
    batches: () => batches,
  }
}

const rows = (sql: SqlStorage) =>
  sql
    .exec<{ n: number }>("SELECT n FROM scratch ORDER BY n")
    .toArray()
    .map((r) => r.n)

describe("GroupCommit", () => {
  it("writes a lone input at once, before submit's promise is awaited", async () => {
    await runInDurableObject(scratchObject(), async (_instance, state) => {
      state.storage.sql.exec("CREATE TABLE scratch (n INTEGER PRIMARY KEY)")
      const commit = new GroupCommit(
        state.storage,
        (n: number) => state.storage.sql.exec("INSERT INTO scratch VALUES (?)", n).rowsWritten,
      )
      const pending = commit.submit(1)
      expect(rows(state.storage.sql)).toEqual([1])
      expect(await pending).toEqual({ ok: true, value: 1 })
    })
  })

  it("writes inputs that arrive during a commit together, each exactly once and in order", async () => {
    await runInDurableObject(scratchObject(), async (_instance, state) => {
      state.storage.sql.exec("CREATE TABLE scratch (n INTEGER PRIMARY KEY)")
      const { storage, batches } = counting(state.storage)
      const order: number[] = []
      const finished: number[] = []
      const commit = new GroupCommit(
        storage,
        (n: number) => {
          order.push(n)
          return state.storage.sql.exec("INSERT INTO scratch VALUES (?) ON CONFLICT DO NOTHING", n).rowsWritten
        },
        (written) => finished.push(written.length),
      )
      const inputs = Array.from({ length: 50 }, (_, i) => i + 1)
      // The first is written at once; the other 49 wait for its commit and go out as one batch.
      const results = await Promise.all([...inputs, 7].map((n) => commit.submit(n)))
      expect(results.slice(0, 50).every((r) => r.ok && r.value === 1)).toBe(true)
      expect(results[50]).toEqual({ ok: true, value: 0 }) // the same key again, in the same batch: not written twice
      expect(rows(state.storage.sql)).toEqual(inputs)
      expect(order).toEqual([...inputs, 7])
      expect(batches()).toBe(2)
      expect(finished).toEqual([1, 50]) // once per batch, with the inputs it wrote
    })
  })

  it("rolls back only the input whose write threw; the rest of its batch is stored", async () => {
    await runInDurableObject(scratchObject(), async (_instance, state) => {
      const sql = state.storage.sql
      sql.exec("CREATE TABLE scratch (n INTEGER PRIMARY KEY)")
      sql.exec("CREATE TABLE total (n INTEGER NOT NULL)")
      sql.exec("INSERT INTO total VALUES (0)")
      const commit = new GroupCommit(
        state.storage,
        (n: number) => {
          sql.exec("INSERT INTO scratch VALUES (?)", n)
          if (n === 3) throw new Error("bad input 3") // after its insert: that insert must not survive
          return n
        },
        (written) =>
          sql.exec(
            "UPDATE total SET n = n + ?",
            written.reduce((sum, w) => sum + w.value, 0),
          ),
      )
      // 1 goes alone; 2, 3 and 4 share a batch, which rolls back and is written again without 3.
      const results = await Promise.all([1, 2, 3, 4].map((n) => commit.submit(n)))
      expect(results.map((r) => r.ok)).toEqual([true, true, false, true])
      const failed = results[2]
      expect(failed && !failed.ok && String(failed.error)).toContain("bad input 3")
      expect(rows(sql)).toEqual([1, 2, 4])
      expect(sql.exec<{ n: number }>("SELECT n FROM total").one().n).toBe(7) // finish saw 1, then 2 and 4, once
    })
  })
})
