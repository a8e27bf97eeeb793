// The fake platform servers behave as shared/platforms.md says: shapes, errors, limits, recording, signed delivery.
import { env } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import { whatsappTextEvent } from "../fakes/builders.ts"
import { fakesFromEnv, randomPhoneNumberId, randomTelegramToken } from "../fakes/client.ts"

const fakes = fakesFromEnv(env)
const tgBase = env.TELEGRAM_API_BASE ?? ""
const waBase = env.WHATSAPP_API_BASE ?? ""

interface TgAnswer {
  ok: boolean
  result?: Record<string, unknown> & { message_id?: number; chat?: { id: number; type: string }; from?: { id: number } }
  error_code?: number
  description?: string
  parameters?: { retry_after?: number; migrate_to_chat_id?: number }
}

interface GraphAnswer {
  messaging_product?: string
  contacts?: { input: string; wa_id: string }[]
  messages?: { id: string }[]
  error?: { message: string; type: string; code: number; error_subcode?: number; error_data?: { details: string } }
  fbtrace_id?: string
}

async function tg(token: string, method: string, body: unknown = {}): Promise<{ res: Response; data: TgAnswer }> {
  const res = await fetch(`${tgBase}/bot${token}/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  })
  return { res, data: await res.json<TgAnswer>() }
}

async function wa(
  phoneId: string,
  body: unknown,
  token = "EAAG-test-token",
): Promise<{ res: Response; data: GraphAnswer }> {
  const headers: Record<string, string> = { "content-type": "application/json" }
  if (token) headers.authorization = `Bearer ${token}`
  const res = await fetch(`${waBase}/${phoneId}/messages`, { method: "POST", headers, body: JSON.stringify(body) })
  return { res, data: await res.json<GraphAnswer>() }
}

const text = (to: string, body = "hello") => ({ messaging_product: "whatsapp", to, type: "text", text: { body } })

describe("fake Telegram Bot API", () => {
  it("answers sendMessage with a realistic Message, numbering messages per chat", async () => {
    const token = randomTelegramToken()
    const first = await tg(token, "sendMessage", { chat_id: 42, text: "hi" })
    const second = await tg(token, "sendMessage", { chat_id: 42, text: "again" })
    const other = await tg(token, "sendMessage", { chat_id: 7, text: "hi" })
    expect(first.res.status).toBe(200)
    expect(first.data.ok).toBe(true)
    expect(first.data.result).toMatchObject({
      message_id: 1,
      chat: { id: 42, type: "private" },
      from: { id: Number(token.split(":")[0]), is_bot: true },
      text: "hi",
    })
    expect(typeof first.data.result?.date).toBe("number")
    expect(second.data.result?.message_id).toBe(2)
    expect(other.data.result?.message_id).toBe(1)
  })

  it("rejects empty and too long texts, a missing chat_id and a malformed token like the Bot API", async () => {
    const token = randomTelegramToken()
    const empty = await tg(token, "sendMessage", { chat_id: 1, text: "" })
    expect(empty.res.status).toBe(400)
    expect(empty.data).toEqual({ ok: false, error_code: 400, description: "Bad Request: message text is empty" })
    const long = await tg(token, "sendMessage", { chat_id: 1, text: "x".repeat(4097) })
    expect(long.data.description).toBe("Bad Request: message is too long")
    expect((await tg(token, "sendMessage", { chat_id: 1, text: "x".repeat(4096) })).data.ok).toBe(true)
    expect((await tg(token, "sendMessage", { text: "x" })).data.description).toBe("Bad Request: chat_id is empty")
    const caption = await tg(token, "sendPhoto", {
      chat_id: 1,
      photo: "https://x.test/a.jpg",
      caption: "c".repeat(1025),
    })
    expect(caption.data.description).toBe("Bad Request: message caption is too long")
    const bad = await tg("not-a-token", "getMe")
    expect(bad.res.status).toBe(401)
    expect(bad.data).toEqual({ ok: false, error_code: 401, description: "Unauthorized" })
  })

  it("fails the next calls as told: 429 carries retry_after and a Retry-After header", async () => {
    const token = randomTelegramToken()
    await fakes.telegram.fail({ account: token, method: "sendMessage", mode: "429", times: 1, retryAfter: 3 })
    const limited = await tg(token, "sendMessage", { chat_id: 5, text: "a" })
    expect(limited.res.status).toBe(429)
    expect(limited.res.headers.get("retry-after")).toBe("3")
    expect(limited.data).toEqual({
      ok: false,
      error_code: 429,
      description: "Too Many Requests: retry after 3",
      parameters: { retry_after: 3 },
    })
    expect((await tg(token, "sendMessage", { chat_id: 5, text: "a" })).data.ok).toBe(true)
    const recorded = await fakes.telegram.requests({ account: token })
    expect(recorded.map((r) => r.outcome)).toEqual([429, "ok"])
    expect(recorded[0]?.body).toEqual({ chat_id: 5, text: "a" })
  })

  it("answers blocked users with 403 and upgraded groups with migrate_to_chat_id", async () => {
    const token = randomTelegramToken()
    await fakes.telegram.fail({ account: token, mode: "403" })
    await fakes.telegram.fail({ account: token, mode: "migrate", migrateTo: -1001234 })
    const blocked = await tg(token, "sendMessage", { chat_id: 9, text: "a" })
    expect(blocked.res.status).toBe(403)
    expect(blocked.data.description).toBe("Forbidden: bot was blocked by the user")
    const moved = await tg(token, "sendMessage", { chat_id: -55, text: "a" })
    expect(moved.res.status).toBe(400)
    expect(moved.data).toEqual({
      ok: false,
      error_code: 400,
      description: "Bad Request: group chat was upgraded to a supergroup chat",
      parameters: { migrate_to_chat_id: -1001234 },
    })
  })

  it("enforces the per-chat interval and counts the violations", async () => {
    const token = randomTelegramToken()
    await fakes.telegram.limits({ account: token, perChatIntervalMs: 1_000, retryAfterSeconds: 2 })
    expect((await tg(token, "sendMessage", { chat_id: 1, text: "a" })).res.status).toBe(200)
    const again = await tg(token, "sendMessage", { chat_id: 1, text: "b" })
    expect(again.res.status).toBe(429)
    expect(again.data.parameters?.retry_after).toBe(2)
    expect(again.res.headers.get("retry-after")).toBe("2")
    expect((await tg(token, "sendMessage", { chat_id: 2, text: "a" })).res.status).toBe(200)
    expect(await fakes.telegram.stats(token)).toEqual({
      accepted: 2,
      rejected429: 1,
      byChat: { "1": 1, "2": 1 },
      duplicates: 0,
      injected: 0,
    })
  })

  it("enforces the per-bot limit per second across chats", async () => {
    const token = randomTelegramToken()
    await fakes.telegram.limits({ account: token, perSecond: 3 })
    const statuses: number[] = []
    for (let chat = 1; chat <= 5; chat++)
      statuses.push((await tg(token, "sendMessage", { chat_id: chat, text: "x" })).res.status)
    expect(statuses).toEqual([200, 200, 200, 429, 429])
  })

  it("keeps the webhook, checks secret_token, and refuses getUpdates while it is set", async () => {
    const token = randomTelegramToken()
    const badSecret = await tg(token, "setWebhook", { url: "https://switchboard.test/hook", secret_token: "no spaces" })
    expect(badSecret.data.description).toBe("Bad Request: secret token contains unallowed characters")
    const set = await tg(token, "setWebhook", {
      url: "https://switchboard.test/hook",
      secret_token: "s_1-A",
      max_connections: 10,
    })
    expect(set.data).toMatchObject({ ok: true, result: true })
    const info = await tg(token, "getWebhookInfo")
    expect(info.data.result).toMatchObject({
      url: "https://switchboard.test/hook",
      max_connections: 10,
      pending_update_count: 0,
    })
    const conflict = await tg(token, "getUpdates")
    expect(conflict.res.status).toBe(409)
    await tg(token, "deleteWebhook")
    expect((await tg(token, "getUpdates")).data).toEqual({ ok: true, result: [] })
  })

  it("delivers an Update to the webhook with the secret header, filling update_id", async () => {
    const token = randomTelegramToken()
    const echo = `${fakes.whatsapp.origin}/__fake/echo`
    await tg(token, "setWebhook", { url: echo, secret_token: "hook-secret" })
    const result = await fakes.telegram.deliver({ account: token, body: { message: { chat: { id: 3 }, text: "hi" } } })
    expect(result.status).toBe(200)
    const seen = JSON.parse(result.body) as { headers: Record<string, string>; body: string }
    expect(seen.headers["x-telegram-bot-api-secret-token"]).toBe("hook-secret")
    expect(JSON.parse(seen.body)).toMatchObject({
      update_id: 1,
      message: { message_id: 1, chat: { id: 3 }, text: "hi" },
    })
    const next = await fakes.telegram.deliver({ account: token, body: { message: { chat: { id: 3 }, text: "2" } } })
    expect(JSON.parse(next.sent)).toMatchObject({ update_id: 2, message: { message_id: 2 } })
  })

  it("queues updates for getUpdates when no webhook is set and drops them once confirmed", async () => {
    const token = randomTelegramToken()
    const queued = await fakes.telegram.deliver({ account: token, body: { message: { chat: { id: 4 }, text: "q" } } })
    expect(queued.queued).toBe(true)
    const polled = await tg(token, "getUpdates", { offset: 0 })
    expect(polled.data.result).toMatchObject([{ update_id: 1, message: { text: "q" } }])
    expect((await tg(token, "getUpdates", { offset: 2 })).data.result).toEqual([])
  })

  it("holds a call forever in timeout mode and records it as a timeout", async () => {
    const token = randomTelegramToken()
    await fakes.telegram.fail({ account: token, mode: "timeout", holdMs: 5_000 })
    const call = fetch(`${tgBase}/bot${token}/getMe`, { signal: AbortSignal.timeout(300) })
    await expect(call).rejects.toThrow()
    const [recorded] = await fakes.telegram.requests({ account: token, method: "getMe" })
    expect(recorded?.outcome).toBe("timeout")
  })

  it("adds the configured latency to an account's answers, and reset forgets its calls", async () => {
    const token = randomTelegramToken()
    await fakes.telegram.latency(150, token)
    const started = Date.now()
    await tg(token, "getMe")
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    expect(await fakes.telegram.requests({ account: token })).toHaveLength(1)
    await fakes.telegram.reset(token)
    expect(await fakes.telegram.requests({ account: token })).toHaveLength(0)
  })
})

describe("fake WhatsApp Cloud API", () => {
  it("accepts a text message with the Cloud API's answer shape", async () => {
    const phone = randomPhoneNumberId()
    const { res, data } = await wa(phone, text("15551234567"))
    expect(res.status).toBe(200)
    expect(data.messaging_product).toBe("whatsapp")
    expect(data.contacts).toEqual([{ input: "15551234567", wa_id: "15551234567" }])
    expect(data.messages?.[0]?.id).toMatch(/^wamid\./)
  })

  it("holds a number to the 24-hour window when asked: free-form only to people who wrote, templates always", async () => {
    const phone = randomPhoneNumberId()
    await fakes.whatsapp.window({ account: phone, enforce: true })
    const refused = await wa(phone, text("15550001111"))
    expect(refused.res.status).toBe(400)
    expect(refused.data.error).toMatchObject({ code: 131047, message: "(#131047) Re-engagement message" })
    const template = {
      messaging_product: "whatsapp",
      to: "15550001111",
      type: "template",
      template: { name: "hello_world", language: { code: "en_US" } },
    }
    expect((await wa(phone, template)).res.status).toBe(200)
    // The person writes (a delivery through the fake opens the window), then free-form goes.
    await fakes.whatsapp.deliver({
      account: phone,
      url: `${fakes.whatsapp.origin}/__fake/echo`,
      body: whatsappTextEvent({ phoneNumberId: phone, from: "15550001111", text: "hi" }),
    })
    expect((await wa(phone, text("15550001111"))).res.status).toBe(200)
    // More than 24 hours ago is outside again.
    await fakes.whatsapp.window({ account: phone, from: "15550002222", at: Date.now() - 25 * 3600_000 })
    expect((await wa(phone, text("15550002222"))).data.error?.code).toBe(131047)
    await fakes.whatsapp.window({ account: phone, enforce: false })
    expect((await wa(phone, text("15550002222"))).res.status).toBe(200)
  })

  it("answers a missing or expired token with 401 OAuthException code 190", async () => {
    const phone = randomPhoneNumberId()
    for (const token of ["", "EAAG-expired-token"]) {
      const { res, data } = await wa(phone, text("1555"), token)
      expect(res.status).toBe(401)
      expect(data.error).toMatchObject({ type: "OAuthException", code: 190 })
      expect(typeof data.error?.message).toBe("string")
      expect(data.error).toHaveProperty("fbtrace_id")
    }
    await fakes.whatsapp.revoke(phone, "EAAG-revoked")
    expect((await wa(phone, text("1555"), "EAAG-revoked")).data.error?.code).toBe(190)
  })

  it("rejects malformed messages with code 100 and HTTP 400", async () => {
    const phone = randomPhoneNumberId()
    const cases: unknown[] = [
      { to: "1555", type: "text", text: { body: "x" } },
      { messaging_product: "whatsapp", type: "text", text: { body: "x" } },
      text("1555", ""),
      text("1555", "x".repeat(4097)),
      { messaging_product: "whatsapp", to: "1555", type: "image", image: { caption: "no media" } },
      { messaging_product: "whatsapp", to: "1555", type: "template", template: { name: "hello" } },
      { messaging_product: "whatsapp", to: "1555", type: "carrier_pigeon", carrier_pigeon: {} },
    ]
    for (const body of cases) {
      const { res, data } = await wa(phone, body)
      expect(res.status).toBe(400)
      expect(data.error).toMatchObject({ type: "OAuthException", code: 100 })
    }
    const ok = {
      messaging_product: "whatsapp",
      to: "1555",
      type: "template",
      template: { name: "hi", language: { code: "en" } },
    }
    expect((await wa(phone, ok)).res.status).toBe(200)
  })

  it("enforces per-number throughput with 130429 and the pair limit with 131056", async () => {
    const phone = randomPhoneNumberId()
    await fakes.whatsapp.limits({ account: phone, perSecond: 2 })
    expect((await wa(phone, text("1001"))).res.status).toBe(200)
    expect((await wa(phone, text("1002"))).res.status).toBe(200)
    const over = await wa(phone, text("1003"))
    expect(over.res.status).toBe(400)
    expect(over.data.error).toMatchObject({ code: 130429, message: "(#130429) Rate limit hit", type: "OAuthException" })

    const pairPhone = randomPhoneNumberId()
    await fakes.whatsapp.limits({ account: pairPhone, pairPerWindow: 1, pairWindowMs: 6_000 })
    expect((await wa(pairPhone, text("2001"))).res.status).toBe(200)
    expect((await wa(pairPhone, text("2001", "again"))).data.error?.code).toBe(131056)
    expect((await wa(pairPhone, text("2002"))).res.status).toBe(200)
    expect(await fakes.whatsapp.stats(pairPhone)).toMatchObject({
      accepted: 2,
      rejected429: 1,
      byChat: { "2001": 1, "2002": 1 },
    })
  })

  it("injects Graph error codes with the given HTTP status", async () => {
    const phone = randomPhoneNumberId()
    await fakes.whatsapp.fail({ account: phone, method: "messages", mode: "wa_code", code: 131047 })
    await fakes.whatsapp.fail({ account: phone, mode: "wa_code", code: 130429, httpStatus: 429 })
    const window = await wa(phone, text("1"))
    expect(window.res.status).toBe(400)
    expect(window.data.error).toMatchObject({
      code: 131047,
      error_data: { details: expect.stringContaining("24 hours") },
    })
    const throttled = await wa(phone, text("1"))
    expect(throttled.res.status).toBe(429)
    expect(throttled.data.error?.code).toBe(130429)
  })

  it("records every call with its body and outcome, never the access token", async () => {
    const phone = randomPhoneNumberId()
    await wa(phone, text("1555"), "EAAG-very-secret")
    await wa(phone, text("1555"), "")
    const recorded = await fakes.whatsapp.requests({ account: phone, method: "messages" })
    expect(recorded.map((r) => r.outcome)).toEqual(["ok", 401])
    expect(recorded[0]?.headers.authorization).toBe("[redacted]")
    expect(JSON.stringify(recorded)).not.toContain("very-secret")
    expect(recorded[0]?.body).toEqual(text("1555"))
  })

  it("delivers webhooks signed with X-Hub-Signature-256 over the exact raw bytes", async () => {
    const phone = randomPhoneNumberId()
    const raw = JSON.stringify(
      whatsappTextEvent({ phoneNumberId: phone, from: "15551234567", text: "¡Olá, señor! 👋" }),
    )
    const result = await fakes.whatsapp.deliver({
      account: phone,
      url: `${fakes.whatsapp.origin}/__fake/echo`,
      appSecret: "app-secret",
      body: raw,
    })
    expect(result.status).toBe(200)
    const seen = JSON.parse(result.body) as { headers: Record<string, string>; body: string }
    expect(seen.body).toBe(raw)
    const key = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode("app-secret"),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    )
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(raw)))
    const hex = Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("")
    expect(seen.headers["x-hub-signature-256"]).toBe(`sha256=${hex}`)
  })
})
