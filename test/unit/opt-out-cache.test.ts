// The business's opt-out keywords as a bot's object caches them: one D1 read for a whole run's events, a failed read
// not kept. Against the test runtime's real D1, counted through a thin wrapper.
import { env } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import { OptOutSettingsCache } from "../../src/bot/opt-out"

function counted(db: D1Database): { db: D1Database; reads: () => number } {
  let reads = 0
  const wrapper = {
    prepare(query: string) {
      reads++
      return db.prepare(query)
    },
  }
  return { db: wrapper as unknown as D1Database, reads: () => reads }
}

describe("the opt-out keywords cache", () => {
  it("answers many events at once with one D1 read, and reads again once a minute has passed", async () => {
    const business = `optout-cache-${crypto.randomUUID()}`
    await env.DB.prepare("INSERT INTO business_settings (business_id, opt_out, updated_at) VALUES (?1, ?2, 0)")
      .bind(business, JSON.stringify({ stopKeywords: ["HALT"], startKeywords: ["GO"] }))
      .run()
    const { db, reads } = counted(env.DB)
    const cache = new OptOutSettingsCache(db)
    const all = await Promise.all(Array.from({ length: 16 }, () => cache.get(business, 1_000)))
    expect(reads()).toBe(1)
    expect(all.every((s) => s.stopKeywords.includes("HALT"))).toBe(true)
    await cache.get(business, 60_999)
    expect(reads()).toBe(1)
    await cache.get(business, 61_000)
    expect(reads()).toBe(2)
  })

  it("does not keep a failed read: the next event asks D1 again", async () => {
    let calls = 0
    const failing = {
      prepare() {
        calls++
        throw new Error("D1 unavailable")
      },
    } as unknown as D1Database
    const cache = new OptOutSettingsCache(failing)
    await expect(cache.get("b", 1_000)).rejects.toThrow("D1 unavailable")
    await expect(cache.get("b", 1_001)).rejects.toThrow("D1 unavailable")
    expect(calls).toBe(2)
  })
})
