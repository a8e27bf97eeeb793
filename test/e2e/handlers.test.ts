// The reply handlers against fake endpoints of their own: forward (signed, retried) and AI (history kept, trimmed).
import { SELF } from "cloudflare:test"
import { Webhook } from "standardwebhooks"
import { describe, expect, it } from "vitest"
import { hmacSha256Hex, telegramTextUpdate } from "../fakes/builders"
import { randomTelegramToken } from "../fakes/client"
import { api, tokenFor, uniqueBusiness } from "../helpers"
import { createTelegramBot, eventually, fakes, postTelegramUpdate } from "../messaging-helpers"

interface Recorded {
  headers: Record<string, string>
  body: { message?: { text?: string; chatId?: string }; messages?: { role: string; content: string }[] }
  raw: string
}

async function endpointCalls(name: string): Promise<Recorded[]> {
  const res = await fetch(`${fakes.endpoints}/__fake/requests?name=${name}`)
  const data: { requests: Recorded[] } = await res.json()
  return data.requests
}

async function behave(name: string, behaviour: Record<string, unknown>) {
  await fetch(`${fakes.endpoints}/__fake/behave`, { method: "POST", body: JSON.stringify({ name, ...behaviour }) })
}

const sent = async (token: string) =>
  (await fakes.telegram.requests({ account: token, method: "sendMessage" }))
    .filter((r) => r.outcome === "ok")
    .map((r) => (r.body as { text: string }).text)

const uniqueName = () => `n${crypto.randomUUID().slice(0, 8)}`

describe("forward handler", () => {
  it("posts the unified message, signed, and sends the endpoint's reply", async () => {
    const name = uniqueName()
    const bot = await createTelegramBot({ handler: { type: "forward", url: `${fakes.endpoints}/forward/${name}` } })
    const created = await api<{ bot: { handler: { type: string } } }>("GET", `/api/bots/${bot.id}`, {
      token: bot.admin,
    })
    expect(created.body.bot.handler.type).toBe("forward")
    await postTelegramUpdate(bot, telegramTextUpdate({ chatId: 500, text: "ping" }))
    await eventually(async () => ((await sent(bot.token)).includes("fwd: ping") ? true : undefined))
    const [call] = await endpointCalls(name)
    expect(call?.body.message).toMatchObject({ text: "ping", chatId: "500", platform: "telegram", kind: "text" })
    expect(call?.headers["x-switchboard-signature"]).toMatch(/^sha256=[0-9a-f]{64}$/)
  })

  it("carries the webhook's X-Request-Id into the forward call and the bot's log", async () => {
    const name = uniqueName()
    const bot = await createTelegramBot({ handler: { type: "forward", url: `${fakes.endpoints}/forward/${name}` } })
    const delivered = await SELF.fetch(bot.webhookUrl, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "X-Telegram-Bot-Api-Secret-Token": bot.secret,
        "X-Request-Id": "req-7f3a2c",
      },
      body: JSON.stringify({
        update_id: 90_001,
        message: { message_id: 1, date: 1, chat: { id: 501, type: "private" }, from: { id: 501 }, text: "traced" },
      }),
    })
    expect(delivered.headers.get("x-request-id")).toBe("req-7f3a2c")
    await eventually(async () => ((await sent(bot.token)).includes("fwd: traced") ? true : undefined))
    const [call] = await endpointCalls(name)
    expect(call?.headers["x-request-id"]).toBe("req-7f3a2c")
    const logs = await api<{ logs: { event: string; detail: Record<string, unknown> | null }[] }>(
      "GET",
      `/api/bots/${bot.id}/logs`,
      { token: bot.admin },
    )
    expect(logs.body.logs.find((l) => l.event === "message.in")?.detail).toMatchObject({ requestId: "req-7f3a2c" })
    // An API call's work in the bot's object names the API request too: the stop and the webhook it removed.
    const stopped = await api("POST", `/api/bots/${bot.id}/control`, {
      token: bot.admin,
      body: { action: "stop" },
      headers: { "X-Request-Id": "req-stop-91" },
    })
    expect(stopped.status).toBe(200)
    const after = await api<{ logs: { event: string; detail: Record<string, unknown> | null }[] }>(
      "GET",
      `/api/bots/${bot.id}/logs`,
      { token: bot.admin },
    )
    for (const event of ["bot.stopped", "webhook.teardown"])
      expect(after.body.logs.find((l) => l.event === event)?.detail, event).toMatchObject({ requestId: "req-stop-91" })
  })

  it("signs with the secret the create call returned once, over timestamp and raw body", async () => {
    const name = uniqueName()
    const business = uniqueBusiness("fwd")
    const admin = await tokenFor(business)
    const botToken = randomTelegramToken()
    const res = await api<{ bot: { id: string; webhookUrl: string }; signingSecret: string }>("POST", "/api/bots", {
      token: admin,
      body: {
        platform: "telegram",
        name: "signed",
        credentials: { botToken },
        handler: { type: "forward", url: `${fakes.endpoints}/forward/${name}` },
      },
    })
    expect(res.status).toBe(201)
    const [hook] = await fakes.telegram.waitForRequests({ account: botToken, method: "setWebhook" }, 1)
    const hookBody = hook?.body
    const secret =
      typeof hookBody === "object" && hookBody && "secret_token" in hookBody ? String(hookBody.secret_token) : ""
    await postTelegramUpdate(
      { secret, webhookUrl: res.body.bot.webhookUrl },
      telegramTextUpdate({ chatId: 503, text: "sign me" }),
    )
    const [call] = await eventually(async () => {
      const calls = await endpointCalls(name)
      return calls.length > 0 ? calls : undefined
    })
    const timestamp = call?.headers["x-switchboard-timestamp"] ?? ""
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(30)
    expect(call?.headers["x-switchboard-signature"]).toBe(
      `sha256=${await hmacSha256Hex(res.body.signingSecret, `${timestamp}.${call?.raw}`)}`,
    )
    // The test console is tenant-scoped: another business can't run this bot's handler; and writers only: a viewer
    // can't make it call the business's endpoint.
    const other = await tokenFor(uniqueBusiness("other"))
    expect(
      (await api("POST", "/test/message", { token: other, body: { botId: res.body.bot.id, message: "x" } })).status,
    ).toBe(404)
    const viewer = await tokenFor(business, "viewer")
    const before = (await endpointCalls(name)).length
    const refused = await api("POST", "/test/message", {
      token: viewer,
      body: { botId: res.body.bot.id, message: "x" },
    })
    expect(refused.status).toBe(403)
    expect((await endpointCalls(name)).length).toBe(before)
  })

  it("follows Standard Webhooks: the whsec_ secret answered once verifies each call, a retry keeps its webhook-id", async () => {
    const name = uniqueName()
    await behave(name, { fail: 500, times: 1 })
    const admin = await tokenFor(uniqueBusiness("sw"))
    const botToken = randomTelegramToken()
    const res = await api<{ bot: { webhookUrl: string }; signingSecret: string }>("POST", "/api/bots", {
      token: admin,
      body: {
        platform: "telegram",
        name: "standard",
        credentials: { botToken },
        handler: { type: "forward", url: `${fakes.endpoints}/forward/${name}` },
      },
    })
    expect(res.status).toBe(201)
    const secret = res.body.signingSecret
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    const [hook] = await fakes.telegram.waitForRequests({ account: botToken, method: "setWebhook" }, 1)
    const hookBody = hook?.body
    const hookSecret =
      typeof hookBody === "object" && hookBody && "secret_token" in hookBody ? hookBody.secret_token : ""
    const bot = { webhookUrl: res.body.bot.webhookUrl, secret: String(hookSecret) }
    await postTelegramUpdate(bot, telegramTextUpdate({ chatId: 504, text: "standard?" }))
    // The first call answered 500, the retry 200: the same message, the same id, each attempt signed afresh.
    const [first, retry] = await eventually(async () => {
      const calls = await endpointCalls(name)
      return calls.length >= 2 ? calls : undefined
    }, 15_000)
    const receiver = new Webhook(secret)
    for (const call of [first, retry]) expect(receiver.verify(call?.raw ?? "", call?.headers ?? {})).toEqual(call?.body)
    expect(first?.headers["webhook-id"]).toMatch(/^msg_[0-9a-f]{32}$/)
    expect(retry?.headers["webhook-id"]).toBe(first?.headers["webhook-id"])
    expect(retry?.raw).toBe(first?.raw)
    expect(retry?.headers["webhook-timestamp"]).toBe(retry?.headers["x-switchboard-timestamp"])
    // A body changed on the way, or another secret, fails.
    const tampered = first?.raw.replace("standard?", "standard!") ?? ""
    expect(tampered).not.toBe(first?.raw)
    expect(() => receiver.verify(tampered, first?.headers ?? {})).toThrow(/signature/)
    expect(() =>
      new Webhook(`whsec_${btoa("another secret of 32 bytes......")}`).verify(first?.raw ?? "", first?.headers ?? {}),
    ).toThrow(/signature/)
    // Another message, another id.
    await postTelegramUpdate(bot, telegramTextUpdate({ chatId: 504, text: "next" }))
    const calls = await eventually(async () => {
      const all = await endpointCalls(name)
      return all.length >= 3 ? all : undefined
    })
    expect(calls[2]?.headers["webhook-id"]).not.toBe(first?.headers["webhook-id"])
  }, 20_000)

  it("signs with a secret the business chose: whsec_ and its base64 verify; a whsec_ one must be base64", async () => {
    const name = uniqueName()
    const chosen = "our-own-secret-0123456789"
    const url = `${fakes.endpoints}/forward/${name}`
    const bot = await createTelegramBot({ handler: { type: "forward", url, signingSecret: chosen } })
    await postTelegramUpdate(bot, telegramTextUpdate({ chatId: 505, text: "chosen" }))
    const [call] = await eventually(async () => {
      const calls = await endpointCalls(name)
      return calls.length > 0 ? calls : undefined
    })
    expect(new Webhook(`whsec_${btoa(chosen)}`).verify(call?.raw ?? "", call?.headers ?? {})).toEqual(call?.body)
    const refused = await api("PATCH", `/api/bots/${bot.id}`, {
      token: bot.admin,
      body: { handler: { type: "forward", url, signingSecret: "whsec_not-base64-at-all!" } },
    })
    expect(refused.status).toBe(422)
    expect(refused.text).toContain("handler.signingSecret")
  })

  it("retries a failing endpoint and answers once it recovers", async () => {
    const name = uniqueName()
    await behave(name, { fail: 503, times: 2 })
    const bot = await createTelegramBot({ handler: { type: "forward", url: `${fakes.endpoints}/forward/${name}` } })
    await postTelegramUpdate(bot, telegramTextUpdate({ chatId: 501, text: "later" }))
    await eventually(
      async () => ((await sent(bot.token)).includes("fwd: later") ? true : undefined),
      15_000,
      "reply after retries",
    )
    expect(await endpointCalls(name)).toHaveLength(3)
    expect(await sent(bot.token)).toEqual(["fwd: later"])
  }, 20_000)

  it("gives up on a 4xx at once, logs it, and keeps later messages flowing", async () => {
    const name = uniqueName()
    await behave(name, { fail: 404, times: 1 })
    const bot = await createTelegramBot({ handler: { type: "forward", url: `${fakes.endpoints}/forward/${name}` } })
    await postTelegramUpdate(bot, telegramTextUpdate({ chatId: 502, text: "lost cause" }))
    await postTelegramUpdate(bot, telegramTextUpdate({ chatId: 502, text: "next" }))
    await eventually(async () => ((await sent(bot.token)).includes("fwd: next") ? true : undefined))
    expect(await sent(bot.token)).toEqual(["fwd: next"])
    // A retry would hold the chat's later messages back, so once "next" is answered any retry of the first has run:
    // the endpoint saw each message exactly once.
    expect((await endpointCalls(name)).map((c) => c.body.message?.text)).toEqual(["lost cause", "next"])
    const logs = await api<{ logs: { event: string }[] }>("GET", `/api/bots/${bot.id}/logs?limit=50`, {
      token: bot.admin,
    })
    expect(logs.body.logs.map((l) => l.event)).toContain("handler.failed")
  })
})

describe("ai handler", () => {
  it("sends the system prompt and the chat's history, trimmed to maxHistory", async () => {
    const name = uniqueName()
    const bot = await createTelegramBot({
      handler: {
        type: "ai",
        baseUrl: `${fakes.endpoints}/ai/${name}/v1`,
        model: "tiny",
        apiKey: "sk-test-key",
        systemPrompt: "Be brief.",
        maxHistory: 2,
      },
    })
    await postTelegramUpdate(bot, telegramTextUpdate({ chatId: 600, text: "one" }))
    await eventually(async () => ((await sent(bot.token)).length === 1 ? true : undefined))
    await postTelegramUpdate(bot, telegramTextUpdate({ chatId: 600, text: "two" }))
    await eventually(async () => ((await sent(bot.token)).length === 2 ? true : undefined))
    await postTelegramUpdate(bot, telegramTextUpdate({ chatId: 600, text: "three" }))
    await eventually(async () => ((await sent(bot.token)).length === 3 ? true : undefined))
    // system + user = 2; then system + 2 kept turns + user = 4, and stays 4 once trimmed.
    expect(await sent(bot.token)).toEqual(["AI(2): one", "AI(4): two", "AI(4): three"])
    const calls = await endpointCalls(name)
    expect(calls[0]?.headers.authorization).toBe("Bearer sk-test-key")
    expect(calls[2]?.body.messages?.map((m) => m.content)).toEqual(["Be brief.", "two", "AI(4): two", "three"])
    // Another chat has its own history.
    await postTelegramUpdate(bot, telegramTextUpdate({ chatId: 601, text: "fresh" }))
    await eventually(async () => ((await sent(bot.token)).includes("AI(2): fresh") ? true : undefined))
  })

  it("runs the test console through the handler without sending anything", async () => {
    const name = uniqueName()
    const bot = await createTelegramBot({
      handler: { type: "ai", baseUrl: `${fakes.endpoints}/ai/${name}/v1`, model: "tiny" },
    })
    const res = await api<{ replies: { chatId: string; text: string }[]; handler: string }>("POST", "/test/message", {
      token: bot.admin,
      body: { botId: bot.id, message: "what's up", chatId: "console" },
    })
    expect(res.status).toBe(200)
    expect(res.body.handler).toBe("ai")
    expect(res.body.replies).toEqual([{ chatId: "console", text: "AI(1): what's up" }])
    // Barrier: a real update's reply goes through the send queue; one queued by the console would have gone first.
    await postTelegramUpdate(bot, telegramTextUpdate({ chatId: 700, text: "real" }))
    await fakes.telegram.waitForRequests({ account: bot.token, method: "sendMessage" }, 1)
    expect(await sent(bot.token)).toEqual(["AI(1): real"])
  })

  it("takes the guide's body without a bot id for the single-bot mode, but a business's bot needs a writer", async () => {
    const bot = await createTelegramBot()
    const single = await api<{ platform: string; replies: { text: string }[] }>("POST", "/test/message", {
      token: bot.admin,
      body: { message: "hi", platform: "telegram" },
    })
    expect(single.status).toBe(200)
    expect(single.body).toMatchObject({ platform: "telegram", replies: [{ text: "hi" }] })
    expect((await api("POST", "/test/message", { body: { botId: bot.id, message: "hi" } })).status).toBe(401)
    const viewer = await tokenFor(uniqueBusiness("v"), "viewer")
    expect((await api("POST", "/test/message", { token: viewer, body: { message: "hi" } })).status).toBe(403)
  })
})
