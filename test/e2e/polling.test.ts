// Telegram long polling: a bot that cannot receive webhooks gets its updates through getUpdates from its object.
import { evictDurableObject } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import { telegramTextUpdate } from "../fakes/builders"
import { randomTelegramToken } from "../fakes/client"
import { api, tokenFor, uniqueBusiness } from "../helpers"
import { botStub, eventually, fakes } from "../messaging-helpers"

type Bot = { id: string; status: string; statusReason: string | null; updates: { mode: string } }

async function createPollingBot(intervalMs = 0, token = randomTelegramToken()) {
  const admin = await tokenFor(uniqueBusiness("poll"))
  const res = await api<{ bot: Bot }>("POST", "/api/bots", {
    token: admin,
    body: {
      platform: "telegram",
      name: "Polling bot",
      credentials: { botToken: token },
      updates: { mode: "polling", intervalMs },
    },
  })
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`)
  return { id: res.body.bot.id, token, admin, bot: res.body.bot }
}

/** Queues an update at the fake Telegram as if a person wrote: without a webhook it waits for getUpdates. */
async function write(token: string, chatId: number, text: string) {
  const result = await fakes.telegram.deliver({ account: token, body: telegramTextUpdate({ chatId, text }) })
  expect(result.queued).toBe(true)
}

async function replies(token: string): Promise<string[]> {
  const sent = await fakes.telegram.requests({ account: token, method: "sendMessage" })
  return sent.filter((r) => r.outcome === "ok").map((r) => String((r.body as { text: string }).text))
}

const waitForReplies = (token: string, n: number) =>
  eventually(
    async () => {
      const texts = await replies(token)
      return texts.length >= n ? texts : undefined
    },
    12_000,
    `${n} replies`,
  )

describe("telegram long polling", () => {
  it("removes any webhook, then answers what getUpdates brings, through the same inbox and handler", async () => {
    const { token, bot, id, admin } = await createPollingBot()
    expect(bot.updates).toEqual({ mode: "polling", intervalMs: 0 })
    expect(await fakes.telegram.requests({ account: token, method: "deleteWebhook" })).toHaveLength(1)
    expect(await fakes.telegram.requests({ account: token, method: "setWebhook" })).toHaveLength(0)
    await write(token, 501, "hello by polling")
    expect(await waitForReplies(token, 1)).toEqual(["hello by polling"])
    const polls = await fakes.telegram.requests({ account: token, method: "getUpdates" })
    expect(polls[0]?.body).toMatchObject({ timeout: 25, allowed_updates: expect.arrayContaining(["message"]) })
    const stats = await api<{ polling: { lastPollAt: string | null }; last24h: { inbound: number } }>(
      "GET",
      `/api/bots/${id}/stats`,
      { token: admin },
    )
    expect(stats.body.polling.lastPollAt).not.toBeNull()
    expect(stats.body.last24h.inbound).toBe(1)
  })

  it("confirms updates with the stored offset: an eviction neither loses nor repeats one", async () => {
    const { token, id } = await createPollingBot(3_000)
    await write(token, 502, "one")
    await waitForReplies(token, 1)
    // Evicted between two polls (the test runtime waits for a running alarm, so not in the middle of a long poll;
    // a poll cut short there leaves its updates unconfirmed on the platform, which the stored offset also covers).
    await evictDurableObject(botStub(id))
    await write(token, 502, "two")
    await write(token, 502, "three")
    expect(await waitForReplies(token, 3)).toEqual(["one", "two", "three"])
    // After the restart the object asked from the offset it had stored, not from the start.
    const polls = await fakes.telegram.requests({ account: token, method: "getUpdates" })
    const offsets = polls.map((p) => (p.body as { offset?: number }).offset).filter((o) => o !== undefined)
    expect(offsets.length).toBeGreaterThan(0)
    expect(offsets).toEqual([...offsets].sort((a, b) => (a ?? 0) - (b ?? 0)))
    expect((await fakes.telegram.stats(token)).duplicates).toBe(0)
  })

  it("puts the bot in error with the reason when Telegram refuses the poll (a webhook set elsewhere: 409)", async () => {
    const { token, id, admin } = await createPollingBot()
    await fakes.telegram.fail({
      account: token,
      method: "getUpdates",
      mode: "400",
      description: "Conflict: can't use getUpdates method while webhook is active",
      times: 1,
    })
    // The poll in flight when the rule was added is answered normally: deliver to end it, then the next one fails.
    await write(token, 503, "end the first poll")
    const bot = await eventually(async () => {
      const got = await api<{ bot: Bot }>("GET", `/api/bots/${id}`, { token: admin })
      return got.body.bot.status === "error" ? got.body.bot : undefined
    })
    expect(bot.statusReason).toContain("Conflict")
  })

  it("stops polling when the bot is stopped, and picks up where it left off when started again", async () => {
    const { token, id, admin } = await createPollingBot()
    await write(token, 504, "before stop")
    await waitForReplies(token, 1)
    const stopped = await api<{ bot: Bot }>("PATCH", `/api/bots/${id}`, { token: admin, body: { status: "stopped" } })
    expect(stopped.body.bot.status).toBe("stopped")
    const stoppedAt = Date.now()
    await write(token, 504, "while stopped")
    const startingAt = Date.now()
    // Barrier: starting again must fetch exactly the update written while stopped, once.
    const started = await api<{ bot: Bot }>("PATCH", `/api/bots/${id}`, { token: admin, body: { status: "active" } })
    expect(started.body.bot.status).toBe("active")
    expect(await waitForReplies(token, 2)).toEqual(["before stop", "while stopped"])
    // While stopped no poll went out (the one in flight at the stop was abandoned, its update left unconfirmed).
    const polls = await fakes.telegram.requests({ account: token, method: "getUpdates" })
    expect(polls.filter((p) => p.at > stoppedAt && p.at < startingAt)).toEqual([])
  })

  it("switches a webhook bot to polling and back with PATCH", async () => {
    const admin = await tokenFor(uniqueBusiness("switch"))
    const token = randomTelegramToken()
    const created = await api<{ bot: Bot }>("POST", "/api/bots", {
      token: admin,
      body: { platform: "telegram", name: "x", credentials: { botToken: token } },
    })
    expect(created.body.bot.updates).toEqual({ mode: "webhook" })
    const id = created.body.bot.id
    const toPolling = await api<{ bot: Bot }>("PATCH", `/api/bots/${id}`, {
      token: admin,
      body: { updates: { mode: "polling", intervalMs: 0 } },
    })
    expect(toPolling.status).toBe(200)
    await write(token, 505, "polled")
    expect(await waitForReplies(token, 1)).toEqual(["polled"])
    const back = await api<{ bot: Bot }>("PATCH", `/api/bots/${id}`, {
      token: admin,
      body: { updates: { mode: "webhook" } },
    })
    expect(back.body.bot.updates).toEqual({ mode: "webhook" })
    const hooks = await fakes.telegram.requests({ account: token, method: "setWebhook" })
    expect(hooks).toHaveLength(2) // at create, and when switched back
  })

  it("refuses polling for a platform without it", async () => {
    const admin = await tokenFor(uniqueBusiness("nopoll"))
    const res = await api<{ error: { details: { fields: { path: string }[] } } }>("POST", "/api/bots", {
      token: admin,
      body: {
        platform: "whatsapp",
        name: "x",
        credentials: { accessToken: "EAAGx", phoneNumberId: "123456789012345", verifyToken: "v" },
        updates: { mode: "polling" },
      },
    })
    expect(res.status).toBe(422)
    expect(res.body.error.details.fields.map((f) => f.path)).toEqual(["updates.mode"])
  })
})
