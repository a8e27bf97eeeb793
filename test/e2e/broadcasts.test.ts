// Broadcasts through one bot against the fakes: every recipient once, paced behind live replies, pause / resume /
// cancel, recipients in chunks or NDJSON, results as CSV, tenancy.
import { evictDurableObject } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import { telegramTextUpdate } from "../fakes/builders"
import { api, tokenFor, uniqueBusiness } from "../helpers"
import {
  botStub,
  createTelegramBot,
  createWhatsAppBot,
  eventually,
  fakes,
  postTelegramUpdate,
  type TelegramBot,
} from "../messaging-helpers"

interface Broadcast {
  id: string
  status: string
  total: number
  queued: number
  sent: number
  failed: number
  skipped: number
  cancelled: number
}

const chats = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ chatId: String(700_000 + from + i) }))

async function start(bot: TelegramBot, body: Record<string, unknown>) {
  const res = await api<{ broadcast: Broadcast }>("POST", `/api/bots/${bot.id}/broadcasts`, { token: bot.admin, body })
  expect(res.status, res.text).toBe(202)
  return res.body.broadcast
}

async function read(bot: TelegramBot, id: string) {
  const res = await api<{ broadcast: Broadcast }>("GET", `/api/bots/${bot.id}/broadcasts/${id}`, { token: bot.admin })
  expect(res.status, res.text).toBe(200)
  return res.body.broadcast
}

const until = (bot: TelegramBot, id: string, done: (b: Broadcast) => boolean, ms = 20_000) =>
  eventually(
    async () => {
      const b = await read(bot, id)
      return done(b) ? b : undefined
    },
    ms,
    `broadcast ${id}`,
  )

/** Texts the fake accepted for this bot, per chat. */
async function delivered(bot: TelegramBot, text: string) {
  const calls = await fakes.telegram.requests({ account: bot.token, method: "sendMessage" })
  const perChat = new Map<string, number>()
  for (const c of calls) {
    const body = c.body as { chat_id?: unknown; text?: unknown }
    if (c.outcome === "ok" && body.text === text)
      perChat.set(String(body.chat_id), (perChat.get(String(body.chat_id)) ?? 0) + 1)
  }
  return perChat
}

describe("broadcasts", () => {
  it("sends every recipient the message exactly once, skipping a chat listed twice, and says done", async () => {
    const bot = await createTelegramBot()
    const recipients = [...chats(40), { chatId: "700003" }]
    const b = await start(bot, { name: "spring sale", text: "Spring sale!", recipients })
    expect(b.total).toBe(41)
    const done = await until(bot, b.id, (x) => x.status === "done")
    expect(done).toMatchObject({ sent: 40, skipped: 1, failed: 0, queued: 0 })
    const perChat = await delivered(bot, "Spring sale!")
    expect(perChat.size).toBe(40)
    expect([...perChat.values()].every((n) => n === 1)).toBe(true)
    const csv = await api("GET", `/api/bots/${bot.id}/broadcasts/${b.id}/results`, { token: bot.admin })
    expect(csv.headers.get("content-type")).toMatch(/text\/csv/)
    const lines = csv.text.trim().split("\n")
    expect(lines[0]).toBe("chatId,status,error,messageId,at")
    expect(lines.filter((l) => l.includes(",sent,"))).toHaveLength(40)
    expect(lines.filter((l) => l.startsWith("700003,skipped,duplicate"))).toHaveLength(1)
  }, 40_000)

  it("lets a reply to a person overtake a running broadcast", async () => {
    const bot = await createTelegramBot()
    // The fake answers each call after 100 ms: the broadcast takes several seconds at the bot's pace.
    await fakes.telegram.latency(100, bot.token)
    const b = await start(bot, { name: "long", text: "News!", recipients: chats(120, 1000) })
    await eventually(
      async () => ((await read(bot, b.id)).sent > 5 ? true : undefined),
      10_000,
      "the broadcast under way",
    )
    const posted = Date.now()
    const res = await postTelegramUpdate(bot, telegramTextUpdate({ chatId: 99_000_001, text: "hello?" }))
    expect(res.status).toBe(200)
    const replied = await eventually(
      async () => {
        const calls = await fakes.telegram.requests({ account: bot.token, method: "sendMessage" })
        return calls.find((c) => (c.body as { chat_id?: unknown }).chat_id === 99_000_001)
      },
      10_000,
      "the echo",
    )
    const state = await read(bot, b.id)
    // The reply went out while most of the broadcast still waited, and only a couple of broadcast sends (those
    // already paced or in flight) went before it once it was known.
    expect(state.queued).toBeGreaterThan(20)
    const calls = await fakes.telegram.requests({ account: bot.token, method: "sendMessage" })
    const ahead = calls.filter(
      (c) => (c.body as { text?: unknown }).text === "News!" && c.at > posted && c.at < replied.at,
    )
    expect(ahead.length).toBeLessThanOrEqual(6)
    await api("POST", `/api/bots/${bot.id}/broadcasts/${b.id}/control`, {
      token: bot.admin,
      body: { action: "cancel" },
    })
  }, 40_000)

  it("holds on pause within one slot, goes on after resume, and cancel counts what was never sent", async () => {
    const bot = await createTelegramBot()
    const b = await start(bot, { name: "paced", text: "Paced!", recipients: chats(300, 5000) })
    await eventually(async () => ((await read(bot, b.id)).sent > 3 ? true : undefined), 10_000, "some sent")
    const paused = await api<{ broadcast: Broadcast }>("POST", `/api/bots/${bot.id}/broadcasts/${b.id}/control`, {
      token: bot.admin,
      body: { action: "pause" },
    })
    expect(paused.body.broadcast.status).toBe("paused")
    // Whatever was in flight at the pause may still land; after that, nothing more until resume. The barrier: a
    // reply to a person, which is sent after anything the paused broadcast could still send.
    const atPause = (await delivered(bot, "Paced!")).size
    await postTelegramUpdate(bot, telegramTextUpdate({ chatId: 99_000_002, text: "barrier" }))
    await eventually(
      async () =>
        (await fakes.telegram.requests({ account: bot.token, method: "sendMessage" })).some(
          (c) => (c.body as { chat_id?: unknown }).chat_id === 99_000_002,
        )
          ? true
          : undefined,
      8_000,
      "the barrier reply",
    )
    const afterBarrier = (await delivered(bot, "Paced!")).size
    expect(afterBarrier - atPause).toBeLessThanOrEqual(1)
    const resumed = await api<{ broadcast: Broadcast }>("POST", `/api/bots/${bot.id}/broadcasts/${b.id}/control`, {
      token: bot.admin,
      body: { action: "resume" },
    })
    expect(resumed.body.broadcast.status).toBe("running")
    await eventually(
      async () => ((await delivered(bot, "Paced!")).size > afterBarrier ? true : undefined),
      8_000,
      "more",
    )
    const cancelled = await api<{ broadcast: Broadcast }>("POST", `/api/bots/${bot.id}/broadcasts/${b.id}/control`, {
      token: bot.admin,
      body: { action: "cancel" },
    })
    expect(cancelled.body.broadcast.status).toBe("cancelled")
    const final = await read(bot, b.id)
    const sentNow = (await delivered(bot, "Paced!")).size
    expect(final.cancelled).toBeGreaterThan(0)
    expect(final.sent + final.cancelled + final.queued + final.failed).toBeGreaterThanOrEqual(300 - 1)
    expect(sentNow).toBeLessThan(300)
  }, 60_000)

  it("survives evictions mid-broadcast: every recipient still gets it exactly once", async () => {
    const bot = await createTelegramBot()
    await fakes.telegram.latency(50, bot.token)
    const b = await start(bot, { name: "evicted", text: "Still here!", recipients: chats(150, 20_000) })
    for (const threshold of [20, 70]) {
      await eventually(async () => ((await read(bot, b.id)).sent > threshold ? true : undefined), 15_000, "progress")
      await evictDurableObject(botStub(bot.id))
    }
    const done = await until(bot, b.id, (x) => x.status === "done", 30_000)
    expect(done).toMatchObject({ total: 150, sent: 150, failed: 0, skipped: 0 })
    const perChat = await delivered(bot, "Still here!")
    expect(perChat.size).toBe(150)
    expect([...perChat.values()].filter((n) => n !== 1)).toEqual([])
    expect((await fakes.telegram.stats(bot.token)).duplicates).toBe(0)
  }, 60_000)

  it("fills a template with each recipient's values, records its version, and refuses a missing value", async () => {
    const bot = await createTelegramBot()
    const tpl = await api<{ template: { id: string; version: number } }>("POST", "/api/templates", {
      token: bot.admin,
      body: {
        name: `greet-${crypto.randomUUID()}`,
        variables: [{ name: "name" }, { name: "shop" }],
        body: "Hi {{name}}, {{shop}} is open",
      },
    })
    expect(tpl.status, tpl.text).toBe(201)
    const missing = await api("POST", `/api/bots/${bot.id}/broadcasts`, {
      token: bot.admin,
      body: {
        name: "t",
        templateId: tpl.body.template.id,
        variables: { shop: "Corner" },
        recipients: [{ chatId: "1", variables: { name: "Ada" } }, { chatId: "2" }],
      },
    })
    expect(missing.status).toBe(422)
    expect(missing.text).toContain("recipients.1.variables.name")
    const b = await start(bot, {
      name: "greetings",
      templateId: tpl.body.template.id,
      variables: { shop: "Corner" },
      recipients: [
        { chatId: "810001", variables: { name: "Ada" } },
        { chatId: "810002", variables: { name: "Grace", shop: "Main St" } },
      ],
    })
    await until(bot, b.id, (x) => x.status === "done")
    expect((await delivered(bot, "Hi Ada, Corner is open")).get("810001")).toBe(1)
    expect((await delivered(bot, "Hi Grace, Main St is open")).get("810002")).toBe(1)
  })

  it("sends a template to 3,000 WhatsApp chats at the number's limit: each once, never above the limit", async () => {
    const wa = await createWhatsAppBot()
    // The number is allowed 400 msg/s (the fake enforces it with 130429); the bot is configured to the same.
    await fakes.whatsapp.limits({ account: wa.phoneNumberId, perSecond: 400 })
    const patched = await api("PATCH", `/api/bots/${wa.id}`, {
      token: wa.admin,
      body: { limits: { perBotPerSecond: 400, perChatIntervalMs: 0 } },
    })
    expect(patched.status, patched.text).toBe(200)
    const recipients = Array.from({ length: 3_000 }, (_, i) => ({ chatId: String(1_555_000_0000 + i) }))
    const res = await api<{ broadcast: Broadcast }>("POST", `/api/bots/${wa.id}/broadcasts`, {
      token: wa.admin,
      body: {
        name: "big",
        template: { name: "promo", language: "en_US", parameters: ["spring"] },
        recipients: recipients.slice(0, 2_000),
        more: true,
      },
    })
    expect(res.status, res.text).toBe(202)
    const id = res.body.broadcast.id
    const last = await api<{ broadcast: Broadcast }>("POST", `/api/bots/${wa.id}/broadcasts/${id}/recipients`, {
      token: wa.admin,
      body: { recipients: recipients.slice(2_000) },
    })
    expect(last.body.broadcast).toMatchObject({ total: 3_000, status: "running" })
    const done = await eventually(
      async () => {
        const r = await api<{ broadcast: Broadcast }>("GET", `/api/bots/${wa.id}/broadcasts/${id}`, { token: wa.admin })
        return r.body.broadcast.status === "done" ? r.body.broadcast : undefined
      },
      40_000,
      "the 3,000-recipient broadcast",
    )
    expect(done).toMatchObject({ sent: 3_000, failed: 0, skipped: 0 })
    const stats = await fakes.whatsapp.stats(wa.phoneNumberId)
    expect(stats.accepted).toBe(3_000)
    expect(Object.keys(stats.byChat)).toHaveLength(3_000)
    expect(stats.duplicates).toBe(0)
    expect(stats.rejected429).toBe(0)
  }, 60_000)

  it("takes recipients in chunks and as NDJSON, starting only after the last chunk", async () => {
    const bot = await createTelegramBot()
    const b = await start(bot, { name: "chunked", text: "Chunked!", recipients: chats(5, 9000), more: true })
    expect(b.status).toBe("draft")
    const ndjson = chats(7, 9100)
      .map((r) => JSON.stringify(r))
      .join("\n")
    const added = await api<{ broadcast: Broadcast }>("POST", `/api/bots/${bot.id}/broadcasts/${b.id}/recipients`, {
      token: bot.admin,
      raw: ndjson,
      headers: { "Content-Type": "application/x-ndjson" },
    })
    expect(added.status, added.text).toBe(202)
    expect(added.body.broadcast).toMatchObject({ total: 12 })
    const done = await until(bot, b.id, (x) => x.status === "done")
    expect(done.sent).toBe(12)
    const bad = await api("POST", `/api/bots/${bot.id}/broadcasts/${b.id}/recipients`, {
      token: bot.admin,
      raw: '{"chatId":"1"}\nnot json',
      headers: { "Content-Type": "application/x-ndjson" },
    })
    expect(bad.status).toBe(422)
    // A retried chunk (same offset) is a no-op; a chunk that would leave a gap is refused.
    const draft = await start(bot, { name: "retried", text: "Retried!", recipients: chats(2, 9500), more: true })
    const chunk = { recipients: chats(3, 9600), offset: 2, more: true }
    const once = await api<{ broadcast: Broadcast }>("POST", `/api/bots/${bot.id}/broadcasts/${draft.id}/recipients`, {
      token: bot.admin,
      body: chunk,
    })
    const twice = await api<{ broadcast: Broadcast }>("POST", `/api/bots/${bot.id}/broadcasts/${draft.id}/recipients`, {
      token: bot.admin,
      body: chunk,
    })
    expect([once.body.broadcast.total, twice.body.broadcast.total]).toEqual([5, 5])
    const gap = await api("POST", `/api/bots/${bot.id}/broadcasts/${draft.id}/recipients`, {
      token: bot.admin,
      body: { recipients: chats(1, 9700), offset: 9 },
    })
    expect(gap.status).toBe(422)
    const late = await api("POST", `/api/bots/${bot.id}/broadcasts/${b.id}/recipients`, {
      token: bot.admin,
      body: { recipients: chats(1, 9200) },
    })
    expect(late.status).toBe(422)
  }, 40_000)

  it("keeps broadcasts to their business: another one gets 404s, a viewer cannot start one", async () => {
    const bot = await createTelegramBot()
    const b = await start(bot, { name: "mine", text: "Mine", recipients: chats(2, 9300) })
    const other = await tokenFor(uniqueBusiness("other"))
    for (const [method, path] of [
      ["GET", `/api/bots/${bot.id}/broadcasts`],
      ["GET", `/api/bots/${bot.id}/broadcasts/${b.id}`],
      ["GET", `/api/bots/${bot.id}/broadcasts/${b.id}/results`],
      ["POST", `/api/bots/${bot.id}/broadcasts/${b.id}/control`],
    ] as const) {
      const res = await api(method, path, { token: other, body: method === "POST" ? { action: "cancel" } : undefined })
      expect(res.status, `${method} ${path}`).toBe(404)
    }
    const business = JSON.parse(atob((bot.admin.split(".")[1] ?? "").replace(/-/g, "+").replace(/_/g, "/"))) as {
      business_id: string
    }
    const viewer = await tokenFor(business.business_id, "viewer")
    const refused = await api("POST", `/api/bots/${bot.id}/broadcasts`, {
      token: viewer,
      body: { name: "nope", text: "x", recipients: chats(1) },
    })
    expect(refused.status).toBe(403)
    const listed = await api<{ broadcasts: { id: string }[] }>("GET", `/api/bots/${bot.id}/broadcasts`, {
      token: bot.admin,
    })
    expect(listed.body.broadcasts.map((x) => x.id)).toContain(b.id)
  })
})
