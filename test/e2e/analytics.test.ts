// Analytics: numbers measured by the bot (latencies the fake injects, 429s, failures) reach the registry through the
// hubs and come back from GET /api/analytics as series and percentiles; compaction folds old hours into days
// without losing a count or a latency; the hubs write D1 once for many bots.
import { env } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import { RELATIVE_ERROR } from "../../src/analytics/sketch"
import type { Summary } from "../../src/registry/analytics-repository"
import { compactRollups } from "../../src/registry/compaction"
import type { RegistryFact } from "../../src/registry/hub-statements"
import { randomChat } from "../contacts-helpers"
import { telegramTextUpdate } from "../fakes/builders"
import { api, tokenFor, uniqueBusiness } from "../helpers"
import { createTelegramBot, eventually, fakes, postTelegramUpdate } from "../messaging-helpers"

interface Analytics {
  granularity: "hour" | "day"
  points: string[]
  totals: Summary
  platforms: { platform: string; totals: Summary; series: (Summary & { at: string })[] }[]
  bots: { botId: string; name: string; platform: string; totals: Summary; series: (Summary & { at: string })[] }[]
  botsTotal: number
}

const DAY = 86_400_000
const unixDay = (ms: number) => Math.floor(ms / DAY)
const iso = (ms: number) => new Date(ms).toISOString()

async function analytics(token: string, query: string) {
  return api<Analytics>("GET", `/api/analytics?${query}`, { token })
}

/** Within the sketch's relative error of `ms`, plus what the HTTP round trip to the fake adds on top of its sleep. */
const near = (value: number | undefined, ms: number, overheadMs = 40) => {
  expect(value).toBeGreaterThanOrEqual(ms * (1 - RELATIVE_ERROR))
  expect(value).toBeLessThanOrEqual((ms + overheadMs) * (1 + RELATIVE_ERROR))
}

describe("GET /api/analytics", () => {
  it("reports volume, 429s, failures and latency percentiles from the latencies the fake injected", async () => {
    const tg = await createTelegramBot()
    const chat = async (text: string) => {
      const res = await postTelegramUpdate(tg, telegramTextUpdate({ chatId: Number(randomChat()), text }))
      expect(res.status).toBe(200)
    }
    const sends = (n: number) => fakes.telegram.waitForRequests({ account: tg.token, method: "sendMessage" }, n, 30_000)
    // Ten replies at 100 ms, then three at 400 ms (one of them after a 429), then one the platform refuses (400).
    await fakes.telegram.latency(100, tg.token)
    for (let i = 0; i < 10; i++) await chat(`fast ${i}`)
    await sends(10)
    await fakes.telegram.latency(400, tg.token)
    await chat("slow 0")
    await chat("slow 1")
    await sends(12)
    await fakes.telegram.fail({ account: tg.token, method: "sendMessage", mode: "429", retryAfter: 1 })
    await chat("slow after a 429")
    await sends(14) // the 429, then its retry
    await fakes.telegram.fail({ account: tg.token, method: "sendMessage", mode: "400" })
    await chat("refused")
    await sends(15)

    const body = await eventually(
      async () => {
        const res = await analytics(tg.admin, `botId=${tg.id}`)
        expect(res.status).toBe(200)
        return res.body.totals.failed === 1 && res.body.totals.outbound === 13 ? res.body : undefined
      },
      45_000,
      "the registry's rollups to hold all fourteen updates",
    )
    expect(body.granularity).toBe("hour")
    expect(body.points).toHaveLength(24)
    expect(body.totals).toMatchObject({ inbound: 14, outbound: 13, failed: 1, rateLimited: 1, failovers: 0 })
    expect(body.totals.successRate).toBeCloseTo(13 / 14, 4)
    // 13 sends timed: ten near 100 ms, three near 400 ms. The median is a 100 ms one, the 95th percentile a 400 ms one.
    near(body.totals.sendLatencyMs?.p50, 100)
    near(body.totals.sendLatencyMs?.p95, 400)
    // A reply's latency holds its send's and the time before it: never less than the send's.
    expect(body.totals.replyLatencyMs?.p50).toBeGreaterThanOrEqual((body.totals.sendLatencyMs?.p50 ?? 0) * 0.9)
    expect(body.platforms.map((p) => p.platform)).toEqual(["telegram"])
    expect(body.platforms[0]?.totals).toEqual(body.totals)
    expect(body.bots).toHaveLength(1)
    expect(body.bots[0]).toMatchObject({ botId: tg.id, name: "E2E bot", platform: "telegram" })
    expect(body.botsTotal).toBe(1)
    const busy = body.platforms[0]?.series.filter((p) => p.inbound > 0) ?? []
    expect(busy.reduce((n, p) => n + p.inbound, 0)).toBe(14)

    // Tenancy: another business asking for this bot sees nothing of it.
    const other = await tokenFor(uniqueBusiness("other"))
    const theirs = await analytics(other, `botId=${tg.id}`)
    expect(theirs.status).toBe(200)
    expect(theirs.body.bots).toEqual([])
    expect(theirs.body.totals.inbound).toBe(0)
  }, 90_000)

  it("refuses a range it cannot answer with 422 invalid_range", async () => {
    const admin = await tokenFor(uniqueBusiness("range"))
    const now = Date.now()
    const tooOld = await analytics(admin, `granularity=hour&from=${iso(now - 20 * DAY)}&to=${iso(now - 19 * DAY)}`)
    expect(tooOld.status).toBe(422)
    expect(tooOld.body).toMatchObject({ error: { code: "invalid_range" } })
    const backwards = await analytics(admin, `from=${iso(now)}&to=${iso(now - DAY)}`)
    expect(backwards.status).toBe(422)
    const garbage = await analytics(admin, "from=yesterday")
    expect(garbage.status).toBe(422)
    const week = await analytics(admin, `from=${iso(now - 7 * DAY)}&to=${iso(now)}`)
    expect(week.body.granularity).toBe("hour")
    const month = await analytics(admin, `from=${iso(now - 30 * DAY)}&to=${iso(now)}`)
    expect(month.body.granularity).toBe("day")
    expect(month.body.points).toHaveLength(31)
  })

  it("compacts hours older than 14 days into days, keeping every count and latency; drops days past 400", async () => {
    const tg = await createTelegramBot()
    const business = await env.DB.prepare("SELECT business_id FROM bots WHERE id = ?").bind(tg.id).first<{
      business_id: string
    }>()
    const businessId = business?.business_id ?? ""
    const now = Date.now()
    const day = unixDay(now) - 20
    const hourly = env.DB.prepare(
      `INSERT INTO bot_rollups (bot_id, business_id, platform, hour, inbound, outbound, failed, rate_limited,
         failovers, send_ms, reply_ms) VALUES (?1, ?2, 'telegram', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)`,
    )
    await env.DB.batch([
      hourly.bind(tg.id, businessId, day * 24 + 3, 5, 4, 1, 2, 1, '{"48":3,"58":1}', '{"60":4}'),
      hourly.bind(tg.id, businessId, day * 24 + 15, 7, 6, 0, 0, 0, '{"48":2,"73":4}', null),
      hourly.bind(tg.id, businessId, (day + 1) * 24, 1, 1, 0, 0, 0, '{"10":1}', null),
      env.DB.prepare(
        `INSERT INTO bot_rollups_daily (bot_id, business_id, platform, day, inbound) VALUES (?1, ?2, 'telegram', ?3, 9)`,
      ).bind(tg.id, businessId, unixDay(now) - 401),
    ])
    const query = `granularity=day&botId=${tg.id}&from=${iso(day * DAY)}&to=${iso((day + 2) * DAY)}`
    const before = await analytics(tg.admin, query)
    expect(before.status).toBe(200)
    expect(before.body.totals).toMatchObject({ inbound: 13, outbound: 11, failed: 1, rateLimited: 2, failovers: 1 })

    const result = await compactRollups(env.DB, now)
    expect(result.days).toBeGreaterThanOrEqual(2)
    expect(result.expired).toBeGreaterThanOrEqual(1)
    const left = await env.DB.prepare("SELECT COUNT(*) AS n FROM bot_rollups WHERE bot_id = ? AND hour < ?")
      .bind(tg.id, (day + 2) * 24)
      .first<{ n: number }>()
    expect(left?.n).toBe(0)
    const daily = await env.DB.prepare(
      "SELECT day, inbound, outbound, failed, rate_limited, failovers, send_ms, reply_ms FROM bot_rollups_daily WHERE bot_id = ? ORDER BY day",
    )
      .bind(tg.id)
      .all<Record<string, unknown>>()
    expect(daily.results).toHaveLength(2) // the 401-day-old row is gone
    const [first, second] = daily.results
    expect(first).toMatchObject({ day, inbound: 12, outbound: 10, failed: 1, rate_limited: 2, failovers: 1 })
    expect(JSON.parse(String(first?.send_ms))).toEqual({ "48": 5, "58": 1, "73": 4 })
    expect(JSON.parse(String(first?.reply_ms))).toEqual({ "60": 4 })
    expect(second).toMatchObject({ day: day + 1, inbound: 1 })

    const after = await analytics(tg.admin, query)
    expect(after.body.totals).toEqual(before.body.totals)
    expect(after.body.platforms[0]?.series).toEqual(before.body.platforms[0]?.series)
    // Running again finds nothing left to move.
    expect((await compactRollups(env.DB, now)).days).toBe(0)
  })
})

describe("registry hubs", () => {
  it("write many bots' reports as one D1 batch an interval after the first, dropping a deleted bot's facts", async () => {
    const businessId = uniqueBusiness("hub")
    const now = Date.now()
    const hour = Math.floor(now / 3_600_000)
    const ids = Array.from({ length: 40 }, (_, i) => `bot_hubtest_${businessId}_${i}`)
    await env.DB.batch([
      env.DB.prepare("INSERT INTO businesses (id, name, created_at) VALUES (?, ?, ?)").bind(businessId, "Hub", now),
      ...ids
        .slice(0, 39) // the last one was deleted before its report is written
        .map((id) =>
          env.DB.prepare(
            `INSERT INTO bots (id, business_id, platform, name, status, created_at, updated_at, credentials_enc,
               webhook_secret_enc) VALUES (?, ?, 'telegram', ?, 'active', ?, ?, 'x', 'x')`,
          ).bind(id, businessId, id, now, now),
        ),
    ])
    const hub = env.REGISTRY_HUB.get(env.REGISTRY_HUB.idFromName(`test-${businessId}`))
    const facts = (i: number, inbound = i): RegistryFact[] => [
      {
        kind: "rollup",
        botId: ids[i] ?? "",
        businessId,
        platform: "telegram",
        hour,
        inbound,
        outbound: 1,
        failed: 0,
        rateLimited: 0,
        failovers: 0,
        sendMs: { "48": 1 },
        replyMs: {},
      },
      { kind: "bot", botId: ids[i] ?? "", queueDepth: i, lastActive: now },
    ]
    // The first report after a quiet spell is written at once (nothing to wait for)...
    await hub.report(facts(0))
    await eventually(async () => ((await hub.stats()).pending === 0 ? true : undefined), 10_000, "the first flush")
    expect(await hub.stats()).toMatchObject({ reports: 1, batches: 1, facts: 2 })
    // ...and the next ones wait out the interval, then go as one batch, whatever the number of bots.
    for (let i = 1; i < ids.length; i++) await hub.report(facts(i))
    // A later report of the same hour replaces the earlier one: the hub keeps the latest, absolute numbers.
    await hub.report(facts(1, 100))
    expect(await hub.stats()).toMatchObject({ reports: 41, batches: 1, pending: 78 })
    const flushed = await eventually(
      async () => {
        const stats = await hub.stats()
        return stats.pending === 0 ? stats : undefined
      },
      20_000,
      "the next flush, an interval (10 s) after the first",
    )
    expect(flushed).toMatchObject({ reports: 41, batches: 2, facts: 80 })
    const rows = await env.DB.prepare(
      "SELECT bot_id, inbound, send_ms FROM bot_rollups WHERE business_id = ? ORDER BY inbound",
    )
      .bind(businessId)
      .all<{ bot_id: string; inbound: number; send_ms: string }>()
    expect(rows.results).toHaveLength(39)
    expect(rows.results.map((r) => r.inbound)).toEqual([0, ...Array.from({ length: 37 }, (_, i) => i + 2), 100])
    expect(JSON.parse(rows.results[0]?.send_ms ?? "{}")).toEqual({ "48": 1 })
    const depth = await env.DB.prepare("SELECT queue_depth FROM bots WHERE id = ?").bind(ids[7]).first<{
      queue_depth: number
    }>()
    expect(depth?.queue_depth).toBe(7)
  }, 40_000)
})
