// End to end on Telegram: webhook -> DO inbox -> handler -> send queue -> fake Telegram, with failures injected.
import { evictDurableObject, runInDurableObject } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import { telegramTextUpdate } from "../fakes/builders"
import { randomTelegramToken } from "../fakes/client"
import { api, tokenFor, uniqueBusiness } from "../helpers"
import { botStub, createTelegramBot, eventually, fakes, nextUpdateId, postTelegramUpdate } from "../messaging-helpers"

type Sent = { chat_id: number | string; text: string }
const sentTexts = async (token: string) =>
  (await fakes.telegram.requests({ account: token, method: "sendMessage" }))
    .filter((r) => r.outcome === "ok")
    .map((r) => r.body as Sent)

describe("telegram round trip", () => {
  it("registers the webhook with a per-bot secret_token and the bot's webhook URL", async () => {
    const bot = await createTelegramBot()
    const [call] = await fakes.telegram.requests({ account: bot.token, method: "setWebhook" })
    expect(call?.body).toMatchObject({ url: bot.webhookUrl, secret_token: bot.secret })
    expect(bot.secret).toMatch(/^[A-Za-z0-9_-]{20,256}$/)
    expect(bot.webhookUrl).not.toContain(bot.token)
  })

  it("acks the update at once and the echo reply reaches the platform", async () => {
    const bot = await createTelegramBot()
    const res = await postTelegramUpdate(bot, telegramTextUpdate({ chatId: 4242, text: "hello there" }))
    expect(res.status).toBe(200)
    const [reply] = await fakes.telegram.waitForRequests({ account: bot.token, method: "sendMessage" }, 1)
    expect(reply?.body).toMatchObject({ chat_id: 4242, text: "hello there" })
  })

  it("answers a redelivered update once", async () => {
    const bot = await createTelegramBot()
    const update = telegramTextUpdate({ chatId: 77, text: "only once", updateId: nextUpdateId() })
    const answers = await Promise.all([
      postTelegramUpdate(bot, update),
      postTelegramUpdate(bot, update),
      postTelegramUpdate(bot, update),
    ])
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200])
    await fakes.telegram.waitForRequests({ account: bot.token, method: "sendMessage" }, 1)
    expect((await postTelegramUpdate(bot, update)).status).toBe(200)
    // Barrier: a new update to the same chat is handled after the redelivery, so once its reply is out, a reply to
    // the redelivery would be too.
    await postTelegramUpdate(bot, telegramTextUpdate({ chatId: 77, text: "barrier" }))
    await fakes.telegram.waitForRequests({ account: bot.token, method: "sendMessage" }, 2)
    expect(await sentTexts(bot.token)).toEqual([
      { chat_id: 77, text: "only once" },
      { chat_id: 77, text: "barrier" },
    ])
  })

  it("rejects a wrong or missing secret with 401 and stores nothing", async () => {
    const bot = await createTelegramBot()
    expect(
      (await postTelegramUpdate(bot, telegramTextUpdate({ chatId: 5, text: "forged" }), "not-the-secret")).status,
    ).toBe(401)
    expect((await postTelegramUpdate(bot, telegramTextUpdate({ chatId: 5, text: "forged" }), "")).status).toBe(401)
    // Barrier: a genuine update to the same chat, answered; a stored forgery would have been answered before it.
    expect((await postTelegramUpdate(bot, telegramTextUpdate({ chatId: 5, text: "genuine" }))).status).toBe(200)
    await fakes.telegram.waitForRequests({ account: bot.token, method: "sendMessage" }, 1)
    expect(await sentTexts(bot.token)).toEqual([{ chat_id: 5, text: "genuine" }])
    const stats = await botStub(bot.id).stats()
    expect(stats.inboxPending).toBe(0)
    expect(stats.hours.reduce((n, h) => n + h.inbound, 0)).toBe(1)
  })

  it("leaves nothing stored for a webhook to a well-formed id that no bot has", async () => {
    const bot = await createTelegramBot()
    const id = `bot_${crypto.randomUUID().replaceAll("-", "").slice(0, 28)}`
    const unknown = { ...bot, webhookUrl: bot.webhookUrl.replace(bot.id, id) }
    expect((await postTelegramUpdate(unknown, telegramTextUpdate({ chatId: 1, text: "x" }))).status).toBe(404)
    expect(
      (await api("POST", `/api/bots/${id}/messages`, { token: bot.admin, body: { chatId: "1", text: "x" } })).status,
    ).toBe(404)
    const tables = await runInDurableObject(botStub(id), async (_instance, state) =>
      state.storage.sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
        .toArray()
        .map((r) => r.name)
        .filter((name) => !name.startsWith("_cf_")),
    )
    expect(tables).toEqual([])
  })

  it("404s an unknown bot, 400s a malformed body, 413s an oversized one", async () => {
    const bot = await createTelegramBot()
    const unknown = { ...bot, webhookUrl: bot.webhookUrl.replace(bot.id, `bot_${"0".repeat(28)}`) }
    expect((await postTelegramUpdate(unknown, telegramTextUpdate({ chatId: 1, text: "x" }))).status).toBe(404)
    expect(
      (
        await postTelegramUpdate(
          { ...bot, webhookUrl: bot.webhookUrl.replace(bot.id, "nonsense") },
          telegramTextUpdate({ chatId: 1, text: "x" }),
        )
      ).status,
    ).toBe(404)
    expect((await postTelegramUpdate(bot, "{not json")).status).toBe(400)
    expect((await postTelegramUpdate(bot, { hello: "world" })).status).toBe(400)
    expect(
      (await postTelegramUpdate(bot, telegramTextUpdate({ chatId: 1, text: "x".repeat(4 * 1024 * 1024) }))).status,
    ).toBe(413)
  })

  it("drops updates for a stopped bot with a 200 and a log line", async () => {
    const bot = await createTelegramBot()
    await api("POST", `/api/bots/${bot.id}/control`, { token: bot.admin, body: { action: "stop" } })
    const [teardown] = await fakes.telegram.requests({ account: bot.token, method: "deleteWebhook" })
    expect(teardown).toBeDefined()
    expect((await postTelegramUpdate(bot, telegramTextUpdate({ chatId: 9, text: "anyone?" }))).status).toBe(200)
    const logs = await api<{ logs: { event: string }[] }>("GET", `/api/bots/${bot.id}/logs`, { token: bot.admin })
    expect(logs.body.logs[0]?.event).toBe("webhook.dropped")
    // Barrier: started again, the bot answers a new update to the same chat; a kept "anyone?" would come first.
    expect(
      (await api("POST", `/api/bots/${bot.id}/control`, { token: bot.admin, body: { action: "start" } })).status,
    ).toBe(200)
    expect((await postTelegramUpdate(bot, telegramTextUpdate({ chatId: 9, text: "after start" }))).status).toBe(200)
    await fakes.telegram.waitForRequests({ account: bot.token, method: "sendMessage" }, 1)
    expect(await sentTexts(bot.token)).toEqual([{ chat_id: 9, text: "after start" }])
  })
})

describe("send API and queue", () => {
  it("queues with 202, reports status, and de-duplicates by idempotencyKey", async () => {
    const bot = await createTelegramBot()
    const body = { chatId: "31", text: "invoice ready", idempotencyKey: "inv-1" }
    const first = await api<{ id: string; status: string }>("POST", `/api/bots/${bot.id}/messages`, {
      token: bot.admin,
      body,
    })
    expect(first.status).toBe(202)
    expect(first.body.status).toBe("queued")
    const again = await api<{ id: string; duplicate: boolean }>("POST", `/api/bots/${bot.id}/messages`, {
      token: bot.admin,
      body,
    })
    expect(again.body).toMatchObject({ id: first.body.id, duplicate: true })
    const status = await eventually(async () => {
      const r = await api<{ status: string; attempts: number; platformMessageId: string }>(
        "GET",
        `/api/bots/${bot.id}/messages/${first.body.id}`,
        { token: bot.admin },
      )
      return r.body.status === "sent" ? r.body : undefined
    })
    expect(status.attempts).toBe(1)
    expect(status.platformMessageId).toMatch(/^\d+$/)
    expect(await sentTexts(bot.token)).toEqual([{ chat_id: 31, text: "invoice ready" }])
  })

  it("refuses a send through another business's bot with 404", async () => {
    const bot = await createTelegramBot()
    const other = await tokenFor(uniqueBusiness("other"))
    const res = await api("POST", `/api/bots/${bot.id}/messages`, { token: other, body: { chatId: "1", text: "hi" } })
    expect(res.status).toBe(404)
    // Barrier: the owner's send to the same chat goes out; one queued by the other business would have gone first.
    await api("POST", `/api/bots/${bot.id}/messages`, { token: bot.admin, body: { chatId: "1", text: "owner's" } })
    await fakes.telegram.waitForRequests({ account: bot.token, method: "sendMessage" }, 1)
    expect(await sentTexts(bot.token)).toEqual([{ chat_id: 1, text: "owner's" }])
  })

  it("404s a send through a deleted bot or an id that names no bot", async () => {
    const bot = await createTelegramBot()
    expect((await api("DELETE", `/api/bots/${bot.id}`, { token: bot.admin })).status).toBe(200)
    const body = { chatId: "1", text: "hi" }
    expect((await api("POST", `/api/bots/${bot.id}/messages`, { token: bot.admin, body })).status).toBe(404)
    expect((await api("POST", "/api/bots/bot_nope/messages", { token: bot.admin, body })).status).toBe(404)
    const unknown = `bot_${"0".repeat(28)}`
    expect((await api("POST", `/api/bots/${unknown}/messages`, { token: bot.admin, body })).status).toBe(404)
  })

  it("rejects an invalid message with 422 and a stopped bot's send with 409", async () => {
    const bot = await createTelegramBot()
    expect(
      (await api("POST", `/api/bots/${bot.id}/messages`, { token: bot.admin, body: { chatId: "1" } })).status,
    ).toBe(422)
    expect(
      (
        await api("POST", `/api/bots/${bot.id}/messages`, {
          token: bot.admin,
          body: { chatId: "1", text: "x".repeat(5000) },
        })
      ).status,
    ).toBe(422)
    await api("POST", `/api/bots/${bot.id}/control`, { token: bot.admin, body: { action: "stop" } })
    expect(
      (await api("POST", `/api/bots/${bot.id}/messages`, { token: bot.admin, body: { chatId: "1", text: "hi" } }))
        .status,
    ).toBe(409)
  })

  it("survives a 429 storm: every message exactly once, in per-chat order, none before retry_after", async () => {
    const bot = await createTelegramBot()
    await fakes.telegram.fail({ account: bot.token, method: "sendMessage", mode: "429", times: 3, retryAfter: 1 })
    const chats = ["101", "102", "103"]
    for (let i = 0; i < 4; i++)
      for (const chatId of chats)
        await api("POST", `/api/bots/${bot.id}/messages`, {
          token: bot.admin,
          body: { chatId, text: `${chatId}#${i}` },
        })
    await fakes.telegram.waitForRequests({ account: bot.token, method: "sendMessage" }, 15, 15_000)
    const calls = await fakes.telegram.requests({ account: bot.token, method: "sendMessage" })
    const accepted = await eventually(
      async () => {
        const ok = (await sentTexts(bot.token)).map((b) => b.text)
        return ok.length >= 12 ? ok : undefined
      },
      15_000,
      "12 accepted sends",
    )
    expect(accepted).toHaveLength(12)
    expect(new Set(accepted).size).toBe(12)
    for (const chatId of chats)
      expect(accepted.filter((t) => t.startsWith(chatId))).toEqual([0, 1, 2, 3].map((i) => `${chatId}#${i}`))
    // After each 429 (retry_after 1 s) nothing is sent until that second has passed.
    const limited = calls.filter((c) => c.outcome === 429)
    expect(limited).toHaveLength(3)
    const firstLimit = limited[0]?.at ?? Number.POSITIVE_INFINITY
    const sentAfterFirstLimit = calls.filter((c) => c.at > firstLimit && c.outcome === "ok")
    // The fake fails the first three calls, so every accepted send came after a 429: the gap check below covers all 12.
    expect(sentAfterFirstLimit).toHaveLength(12)
    for (const c of sentAfterFirstLimit) {
      const previousLimit = limited.filter((l) => l.at < c.at).at(-1)?.at ?? Number.NEGATIVE_INFINITY
      expect(c.at - previousLimit, `send at ${c.at} after the 429 at ${previousLimit}`).toBeGreaterThanOrEqual(990)
    }
  }, 30_000)

  it("retries 5xx with backoff and recovers", async () => {
    const bot = await createTelegramBot()
    await fakes.telegram.fail({ account: bot.token, method: "sendMessage", mode: "502", times: 2 })
    const sent = await api<{ id: string }>("POST", `/api/bots/${bot.id}/messages`, {
      token: bot.admin,
      body: { chatId: "8", text: "eventually" },
    })
    const status = await eventually(
      async () => {
        const r = await api<{ status: string; attempts: number }>(
          "GET",
          `/api/bots/${bot.id}/messages/${sent.body.id}`,
          { token: bot.admin },
        )
        return r.body.status === "sent" ? r.body : undefined
      },
      15_000,
      "sent after two 502s",
    )
    expect(status.attempts).toBe(3)
    expect(await sentTexts(bot.token)).toEqual([{ chat_id: 8, text: "eventually" }])
  }, 20_000)

  it("dead-letters a message the platform refuses, without blocking the rest", async () => {
    const bot = await createTelegramBot()
    await fakes.telegram.fail({ account: bot.token, method: "sendMessage", mode: "403", times: 1 })
    const blocked = await api<{ id: string }>("POST", `/api/bots/${bot.id}/messages`, {
      token: bot.admin,
      body: { chatId: "66", text: "to a blocker" },
    })
    await api("POST", `/api/bots/${bot.id}/messages`, { token: bot.admin, body: { chatId: "66", text: "next one" } })
    const failed = await eventually(async () => {
      const r = await api<{ status: string; error: string }>("GET", `/api/bots/${bot.id}/messages/${blocked.body.id}`, {
        token: bot.admin,
      })
      return r.body.status === "failed" ? r.body : undefined
    })
    expect(failed.error).toMatch(/forbidden/)
    await eventually(async () => ((await sentTexts(bot.token)).some((s) => s.text === "next one") ? true : undefined))
  })

  it("stops sending and marks the bot in error when the platform says the token is invalid", async () => {
    const bot = await createTelegramBot()
    await fakes.telegram.fail({ account: bot.token, method: "sendMessage", mode: "401", times: 1 })
    const sent = await api<{ id: string }>("POST", `/api/bots/${bot.id}/messages`, {
      token: bot.admin,
      body: { chatId: "3", text: "hi" },
    })
    await eventually(async () => {
      const r = await api<{ bot: { status: string } }>("GET", `/api/bots/${bot.id}`, { token: bot.admin })
      return r.body.bot.status === "error" ? true : undefined
    })
    const msg = await api<{ status: string }>("GET", `/api/bots/${bot.id}/messages/${sent.body.id}`, {
      token: bot.admin,
    })
    expect(msg.body.status).toBe("queued")
    // Fixing the credentials (here: restarting with the same, now accepted token) sends what was kept.
    await api("POST", `/api/bots/${bot.id}/control`, { token: bot.admin, body: { action: "restart" } })
    await eventually(async () => ((await sentTexts(bot.token)).length === 1 ? true : undefined))
  })

  it("loses nothing when the Durable Object is evicted mid-queue", async () => {
    const bot = await createTelegramBot()
    // A 429 with retry_after 3 s parks the queue: the alarm ends and the object sits idle with 5 messages waiting.
    await fakes.telegram.fail({ account: bot.token, method: "sendMessage", mode: "429", times: 1, retryAfter: 3 })
    for (let i = 0; i < 5; i++)
      await api("POST", `/api/bots/${bot.id}/messages`, { token: bot.admin, body: { chatId: "900", text: `m${i}` } })
    await fakes.telegram.waitForRequests({ account: bot.token, method: "sendMessage" }, 1)
    await eventually(async () => ((await botStub(bot.id).stats()).queue.queued === 5 ? true : undefined))
    await evictDurableObject(botStub(bot.id))
    const texts = await eventually(
      async () => {
        const t = (await sentTexts(bot.token)).map((s) => s.text)
        return t.length >= 5 ? t : undefined
      },
      15_000,
      "all five after eviction",
    )
    expect(texts).toEqual(["m0", "m1", "m2", "m3", "m4"])
    expect((await fakes.telegram.stats(bot.token)).duplicates).toBe(0)
    // The retry_after outlived the eviction: the first send after the 429 waited the full 3 s.
    const calls = await fakes.telegram.requests({ account: bot.token, method: "sendMessage" })
    const limited = calls.filter((c) => c.outcome === 429)
    expect(limited).toHaveLength(1)
    const firstOk = calls.find((c) => c.outcome === "ok")
    expect((firstOk?.at ?? Number.NEGATIVE_INFINITY) - (limited[0]?.at ?? 0)).toBeGreaterThanOrEqual(2990)
  }, 20_000)
})

describe("pacing", () => {
  it("keeps under the platform's limits on its own: no 429 from a fake enforcing 1/s per chat", async () => {
    const bot = await createTelegramBot()
    await fakes.telegram.limits({ account: bot.token, perChatIntervalMs: 1000, perSecond: 30 })
    for (let i = 0; i < 3; i++)
      for (const chatId of ["201", "202"])
        await api("POST", `/api/bots/${bot.id}/messages`, {
          token: bot.admin,
          body: { chatId, text: `${chatId}-${i}` },
        })
    await eventually(async () => ((await sentTexts(bot.token)).length === 6 ? true : undefined), 10_000, "six sends")
    const stats = await fakes.telegram.stats(bot.token)
    expect(stats.rejected429).toBe(0)
    expect(stats.accepted).toBe(6)
    const calls = (await fakes.telegram.requests({ account: bot.token, method: "sendMessage" })).filter(
      (c) => (c.body as Sent).chat_id === 201,
    )
    expect(calls).toHaveLength(3)
    for (let i = 1; i < calls.length; i++)
      expect((calls[i]?.at ?? 0) - (calls[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(990)
  }, 15_000)
})

describe("per-bot pacing limits", () => {
  it("paces by a bot's own limits when set, and refuses absurd ones", async () => {
    const bot = await createTelegramBot()
    const patched = await api<{ bot: { limits: Record<string, number> } }>("PATCH", `/api/bots/${bot.id}`, {
      token: bot.admin,
      body: { limits: { perChatIntervalMs: 100 } },
    })
    expect(patched.body.bot.limits).toEqual({ perChatIntervalMs: 100 })
    for (let i = 0; i < 5; i++)
      await api("POST", `/api/bots/${bot.id}/messages`, { token: bot.admin, body: { chatId: "77", text: `fast ${i}` } })
    await eventually(
      async () => ((await sentTexts(bot.token)).length === 5 ? true : undefined),
      5_000,
      "five quick sends",
    )
    const calls = await fakes.telegram.requests({ account: bot.token, method: "sendMessage" })
    const span = (calls.at(-1)?.at ?? 0) - (calls[0]?.at ?? 0)
    expect(span).toBeGreaterThanOrEqual(390)
    expect(span).toBeLessThan(3_000) // the default 1 s per chat would take 4 s
    const absurd = await api("PATCH", `/api/bots/${bot.id}`, {
      token: bot.admin,
      body: { limits: { perBotPerSecond: 1e6 } },
    })
    expect(absurd.status).toBe(422)
  })
})

describe("changing a bot's token", () => {
  it("removes the old token's webhook and registers the new one; a handler change leaves both alone", async () => {
    const bot = await createTelegramBot()
    const handler = await api("PATCH", `/api/bots/${bot.id}`, {
      token: bot.admin,
      body: { handler: { type: "forward", url: "https://example.com/hook" } },
    })
    expect(handler.status).toBe(200)
    expect(await fakes.telegram.requests({ account: bot.token, method: "deleteWebhook" })).toEqual([])

    const next = randomTelegramToken()
    const patched = await api("PATCH", `/api/bots/${bot.id}`, {
      token: bot.admin,
      body: { credentials: { botToken: next } },
    })
    expect(patched.status).toBe(200)
    expect(await fakes.telegram.requests({ account: bot.token, method: "deleteWebhook" })).toHaveLength(1)
    const [registered] = await fakes.telegram.requests({ account: next, method: "setWebhook" })
    expect(registered?.body).toMatchObject({ url: bot.webhookUrl, secret_token: bot.secret })
    const log = await api<{ logs: { event: string }[] }>("GET", `/api/bots/${bot.id}/logs`, { token: bot.admin })
    expect(log.body.logs.map((l) => l.event)).toContain("webhook.retired")
  })
})
