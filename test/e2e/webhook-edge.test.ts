// The per-bot webhook's direct path (src/routes/webhook-edge.ts) answers exactly as the app's route does: the same
// statuses, bodies and headers, whichever of the two serves a request. A query string sends a POST to the app's
// route, a body without Content-Length too; everything else plain goes the direct way.
import { SELF } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import { SECURITY_HEADERS } from "../../src/lib/security-headers"
import { telegramTextUpdate } from "../fakes/builders"
import { createTelegramBot, fakes, nextUpdateId } from "../messaging-helpers"

/** A Telegram Update as delivered: a fresh update_id, the message's id and date filled in. */
function update(chatId: number, text: string): string {
  const updateId = nextUpdateId()
  const built = telegramTextUpdate({ chatId, text })
  const message = { message_id: updateId, date: Math.floor(Date.now() / 1000), ...(built.message as object) }
  return JSON.stringify({ ...built, update_id: updateId, message })
}

interface Answer {
  status: number
  body: unknown
  headers: Record<string, string | null>
}

const compared = ["content-type", "x-request-id", ...SECURITY_HEADERS.map(([name]) => name.toLowerCase())]

async function post(url: string, body: BodyInit, headers: Record<string, string>): Promise<Answer> {
  const res = await SELF.fetch(url, { method: "POST", headers, body })
  return {
    status: res.status,
    body: await res.json(),
    headers: Object.fromEntries(compared.map((name) => [name, res.headers.get(name)])),
  }
}

/** The same webhook both ways: the direct path, then the app's route (the URL with a query string). */
async function bothWays(url: string, body: () => string, headers: Record<string, string>) {
  const direct = await post(url, body(), { ...headers, "x-request-id": "edge-1" })
  const routed = await post(`${url}?via=app`, body(), { ...headers, "x-request-id": "edge-1" })
  return { direct, routed }
}

describe("per-bot webhooks served before the app", () => {
  it("store an update with the app's answer and headers", async () => {
    const bot = await createTelegramBot()
    const headers = { "content-type": "application/json", "x-telegram-bot-api-secret-token": bot.secret }
    let chat = 40 // one chat each: a chat's second reply would wait for Telegram's per-chat second
    const { direct, routed } = await bothWays(bot.webhookUrl, () => update(++chat, "hi"), headers)
    expect(direct).toEqual(routed)
    expect(direct.status).toBe(200)
    expect(direct.body).toEqual({ ok: true, accepted: 1 })
    expect(direct.headers["x-request-id"]).toBe("edge-1")
    for (const [name, value] of SECURITY_HEADERS) expect(direct.headers[name.toLowerCase()], name).toBe(value)
    // Both were stored and handled: the echo bot answered each.
    const replies = await fakes.telegram.waitForRequests({ account: bot.token, method: "sendMessage" }, 2)
    expect(replies.map((r) => (r.body as { chat_id?: unknown }).chat_id).sort()).toEqual([41, 42])
  })

  it("refuse what the app refuses, in the same words", async () => {
    const bot = await createTelegramBot()
    const valid = () => update(52, "x")
    const json = { "content-type": "application/json" }
    const cases = [
      // wrong secret
      { url: bot.webhookUrl, body: valid, headers: { ...json, "x-telegram-bot-api-secret-token": "wrong" } },
      // malformed update
      {
        url: bot.webhookUrl,
        body: () => "{not json",
        headers: { ...json, "x-telegram-bot-api-secret-token": bot.secret },
      },
      // well-formed id, no such bot
      { url: bot.webhookUrl.replace(bot.id, `bot_${"0".repeat(28)}`), body: valid, headers: json },
      // no such platform
      { url: bot.webhookUrl.replace("/telegram/", "/fax/"), body: valid, headers: json },
    ]
    const statuses: number[] = []
    for (const c of cases) {
      const { direct, routed } = await bothWays(c.url, c.body, c.headers)
      expect(direct).toEqual(routed)
      expect(direct.body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } })
      statuses.push(direct.status)
    }
    expect(statuses).toEqual([401, 400, 404, 404])
  })

  it("replace a request id that is not plain, as the app does", async () => {
    const bot = await createTelegramBot()
    const res = await SELF.fetch(bot.webhookUrl, {
      method: "POST",
      headers: { "x-telegram-bot-api-secret-token": bot.secret, "x-request-id": "not plain!" },
      body: update(43, "x"),
    })
    expect(res.status).toBe(200)
    const id = res.headers.get("x-request-id")
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
  })

  it("leave a body without Content-Length to the app, which stores it too", async () => {
    const bot = await createTelegramBot()
    const text = update(44, "streamed")
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(text))
        controller.close()
      },
    })
    const res = await SELF.fetch(bot.webhookUrl, {
      method: "POST",
      headers: { "x-telegram-bot-api-secret-token": bot.secret },
      body: stream,
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true, accepted: 1 })
  })
})
