// What an outside audit attacked and must now hold: account takeover, SSRF through handlers, write-only secrets,
// the send API's door, clean deletion, bounded bodies, forged-but-expired tokens, and the smaller defects it found.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test"
import { sign } from "hono/jwt"
import { describe, expect, it } from "vitest"
import { whatsappStatusEvent } from "../fakes/builders"
import { randomPhoneNumberId, randomTelegramToken } from "../fakes/client"
import { api, tokenFor, uniqueBusiness } from "../helpers"
import {
  botStub,
  createTelegramBot,
  createWhatsAppBot,
  eventually,
  fakes,
  postTelegramUpdate,
  postWhatsApp,
  whatsappPersonWrote,
} from "../messaging-helpers"

type ErrorShape = { error: { code: string; message: string; details?: { fields: { path: string }[] } } }
type Created = { bot: { id: string; handler: Record<string, unknown> } }

const telegramBody = (botToken: string, handler?: unknown) => ({
  platform: "telegram",
  name: "bot",
  credentials: { botToken },
  ...(handler === undefined ? {} : { handler }),
})

async function setWebhookCalls(token: string) {
  return (await fakes.telegram.requests({ account: token, method: "setWebhook" })).length
}

describe("one platform account, one bot", () => {
  it("refuses a second bot on the same Telegram token, in the same or another business, and leaves the first's webhook alone", async () => {
    const token = randomTelegramToken()
    const first = await api<Created>("POST", "/api/bots", {
      token: await tokenFor(uniqueBusiness("a")),
      body: telegramBody(token),
    })
    expect(first.status).toBe(201)
    expect(await setWebhookCalls(token)).toBe(1)
    for (const business of [uniqueBusiness("a"), uniqueBusiness("b")]) {
      const second = await api<ErrorShape>("POST", "/api/bots", {
        token: await tokenFor(business),
        body: telegramBody(token),
      })
      expect(second.status).toBe(409)
      expect(second.body.error.code).toBe("bot_conflict")
    }
    // The same bot with a regenerated secret (BotFather /revoke gives `<same id>:<new secret>`) is the same account.
    const [botId] = token.split(":")
    const regenerated = `${botId}:AA${crypto.randomUUID().replace(/-/g, "")}`
    const third = await api<ErrorShape>("POST", "/api/bots", {
      token: await tokenFor(uniqueBusiness("c")),
      body: telegramBody(regenerated),
    })
    expect(third.body.error.code).toBe("bot_conflict")
    expect(await setWebhookCalls(token)).toBe(1)
    expect(await setWebhookCalls(regenerated)).toBe(0)
  })

  it("refuses a PATCH to a token another bot holds", async () => {
    const admin = await tokenFor(uniqueBusiness("p"))
    const held = randomTelegramToken()
    expect((await api("POST", "/api/bots", { token: admin, body: telegramBody(held) })).status).toBe(201)
    const other = await api<Created>("POST", "/api/bots", { token: admin, body: telegramBody(randomTelegramToken()) })
    const patch = await api<ErrorShape>("PATCH", `/api/bots/${other.body.bot.id}`, {
      token: admin,
      body: { credentials: { botToken: held } },
    })
    expect(patch.status).toBe(409)
    expect(patch.body.error.code).toBe("bot_conflict")
    expect(await setWebhookCalls(held)).toBe(1)
  })

  it("proves a Telegram token with getMe before creating anything", async () => {
    const admin = await tokenFor(uniqueBusiness("g"))
    const token = randomTelegramToken()
    await fakes.telegram.revoke(token)
    const res = await api<ErrorShape>("POST", "/api/bots", { token: admin, body: telegramBody(token) })
    expect(res.status).toBe(422)
    expect(res.body.error.code).toBe("credentials_rejected")
    expect(res.body.error.message).toContain("Unauthorized")
    expect(await fakes.telegram.requests({ account: token, method: "getMe" })).toHaveLength(1)
    expect(await setWebhookCalls(token)).toBe(0)
    const list = await api<{ bots: unknown[] }>("GET", "/api/bots", { token: admin })
    expect(list.body.bots).toEqual([])
  })

  it("refuses a WhatsApp number claimed with a token that does not own it, with the platform's reason", async () => {
    const admin = await tokenFor(uniqueBusiness("w"))
    const phone = randomPhoneNumberId()
    await fakes.whatsapp.own(phone, "EAAG-the-real-owner")
    const credentials = { accessToken: "EAAG-someone-else", phoneNumberId: phone, verifyToken: "v" }
    const res = await api<ErrorShape>("POST", "/api/bots", {
      token: admin,
      body: { platform: "whatsapp", name: "x", credentials },
    })
    expect(res.status).toBe(422)
    expect(res.body.error.code).toBe("credentials_rejected")
    expect(res.body.error.message).toContain("missing permissions")
    const owner = await api("POST", "/api/bots", {
      token: admin,
      body: { platform: "whatsapp", name: "x", credentials: { ...credentials, accessToken: "EAAG-the-real-owner" } },
    })
    expect(owner.status).toBe(201)
  })
})

describe("handler URLs cannot reach inside", () => {
  it.each([
    ["forward", "url", "https://127.0.0.1/hook"],
    ["forward", "url", "https://localhost/hook"],
    ["forward", "url", "https://169.254.169.254/latest/meta-data/"],
    ["forward", "url", "https://10.1.2.3/hook"],
    ["forward", "url", "https://100.64.0.9/hook"],
    ["forward", "url", "https://[fd00::1]/hook"],
    ["forward", "url", "https://[::ffff:192.168.0.1]/hook"],
    ["forward", "url", "https://3232235521/hook"],
    ["forward", "url", "https://0xa9fea9fe/hook"],
    ["forward", "url", "https://user:pass@example.com/hook"],
    ["forward", "url", "http://example.com/hook"],
    ["ai", "baseUrl", "https://192.168.10.10/v1"],
    ["ai", "baseUrl", "https://[fe80::1]/v1"],
  ])("refuses a %s handler at %s = %s with a 422 naming the field", async (type, field, url) => {
    const handler = type === "forward" ? { type, url } : { type, baseUrl: url, model: "m" }
    const res = await api<ErrorShape>("POST", "/api/bots", {
      token: await tokenFor(uniqueBusiness("ssrf")),
      body: telegramBody(randomTelegramToken(), handler),
    })
    expect(res.status).toBe(422)
    expect(res.body.error.code).toBe("validation_failed")
    expect(res.body.error.details?.fields.map((f) => f.path)).toEqual([`handler.${field}`])
  })

  it("does not follow a redirect from the endpoint", async () => {
    const name = `r${crypto.randomUUID().slice(0, 8)}`
    const bot = await createTelegramBot({ handler: { type: "forward", url: `${fakes.endpoints}/forward/${name}` } })
    await behave(name, { fail: 302, times: 1 })
    const res = await testMessage(bot, "hi")
    expect(res.status).toBe(502)
    expect(res.body.error.message).toContain("redirect")
  })

  it("reads at most 1 MB of the endpoint's answer", async () => {
    const name = `b${crypto.randomUUID().slice(0, 8)}`
    const bot = await createTelegramBot({ handler: { type: "forward", url: `${fakes.endpoints}/forward/${name}` } })
    await behave(name, { reply: { replies: [{ text: "x".repeat(100) }], padding: "p".repeat(1_200_000) } })
    const res = await testMessage(bot, "hi")
    expect(res.status).toBe(502)
    expect(res.body.error.message).toContain("more than 1 MB")
  })

  it("reports a refused connection and a timeout the same way, so the test console cannot scan ports", async () => {
    const refused = await createTelegramBot({ handler: { type: "forward", url: "http://127.0.0.1:9/nothing-listens" } })
    const name = `t${crypto.randomUUID().slice(0, 8)}`
    const slow = await createTelegramBot({
      handler: { type: "forward", url: `${fakes.endpoints}/forward/${name}`, timeoutMs: 500 },
    })
    await behave(name, { fail: "timeout", times: 1 })
    const a = await testMessage(refused, "hi")
    const b = await testMessage(slow, "hi")
    expect(a.status).toBe(502)
    expect(b.status).toBe(502)
    expect(a.body.error.message).toBe(b.body.error.message)
  })
})

describe("secrets stay write-only", () => {
  it("asks for the AI key again when the endpoint's host changes, not when only the path or model does", async () => {
    const bot = await createTelegramBot({
      handler: { type: "ai", baseUrl: "https://llm.example.com/v1", model: "m", apiKey: "sk-secret" },
    })
    const moved = await api<ErrorShape>("PATCH", `/api/bots/${bot.id}`, {
      token: bot.admin,
      body: { handler: { type: "ai", baseUrl: "https://attacker.example.net/v1", model: "m" } },
    })
    expect(moved.status).toBe(422)
    expect(moved.body.error.details?.fields.map((f) => f.path)).toEqual(["handler.apiKey"])
    const samehost = await api("PATCH", `/api/bots/${bot.id}`, {
      token: bot.admin,
      body: { handler: { type: "ai", baseUrl: "https://llm.example.com/v2", model: "m2" } },
    })
    expect(samehost.status).toBe(200)
    const withKey = await api("PATCH", `/api/bots/${bot.id}`, {
      token: bot.admin,
      body: { handler: { type: "ai", baseUrl: "https://attacker.example.net/v1", model: "m", apiKey: "sk-new" } },
    })
    expect(withKey.status).toBe(200)
  })

  it("shows viewers handler URLs without query values", async () => {
    const business = uniqueBusiness("v")
    const admin = await tokenFor(business)
    const created = await api<Created>("POST", "/api/bots", {
      token: admin,
      body: telegramBody(randomTelegramToken(), { type: "forward", url: "https://hooks.example.com/in?key=s3cret" }),
    })
    const asViewer = await api<Created>("GET", `/api/bots/${created.body.bot.id}`, {
      token: await tokenFor(business, "viewer"),
    })
    expect(asViewer.body.bot.handler.url).toBe("https://hooks.example.com/in?key=redacted")
    expect(JSON.stringify(asViewer.body)).not.toContain("s3cret")
    const asAdmin = await api<Created>("GET", `/api/bots/${created.body.bot.id}`, { token: admin })
    expect(asAdmin.body.bot.handler.url).toBe("https://hooks.example.com/in?key=s3cret")
  })
})

describe("the send API refuses at the door what the platform would refuse later", () => {
  const send = (bot: { id: string; admin: string }, body: unknown) =>
    api<ErrorShape & { id: string; duplicate: boolean }>("POST", `/api/bots/${bot.id}/messages`, {
      token: bot.admin,
      body,
    })
  const fieldsOf = (res: { body: ErrorShape }) => res.body.error.details?.fields.map((f) => f.path)

  it("counts Telegram text in UTF-16 units and WhatsApp text in characters, 4096 each", async () => {
    const tg = await createTelegramBot()
    const wa = await createWhatsAppBot()
    await whatsappPersonWrote(wa, "15550001") // WhatsApp's window: free-form only after the person wrote
    const emoji = "😀" // one character, two UTF-16 units
    expect((await send(tg, { chatId: "1", text: "a".repeat(4096) })).status).toBe(202)
    const tooLong = await send(tg, { chatId: "1", text: emoji.repeat(2049) })
    expect(tooLong.status).toBe(422)
    expect(fieldsOf(tooLong)).toEqual(["text"])
    expect((await send(wa, { chatId: "15550001", text: emoji.repeat(4096) })).status).toBe(202)
    const waTooLong = await send(wa, { chatId: "15550001", text: emoji.repeat(4097) })
    expect(waTooLong.status).toBe(422)
    expect(fieldsOf(waTooLong)).toEqual(["text"])
  })

  it("refuses whitespace-only text, a template to a non-WhatsApp bot and media that is not https", async () => {
    const tg = await createTelegramBot()
    const blank = await send(tg, { chatId: "1", text: " \n\t " })
    expect(blank.status).toBe(422)
    expect(fieldsOf(blank)).toEqual(["text"])
    const template = await send(tg, { chatId: "1", template: { name: "hello_world" } })
    expect(template.status).toBe(422)
    expect(fieldsOf(template)).toEqual(["template"])
    const media = await send(tg, { chatId: "1", media: { kind: "image", url: "http://cdn.example.com/a.png" } })
    expect(media.status).toBe(422)
    expect(fieldsOf(media)).toEqual(["media.url"])
    expect(await fakes.telegram.requests({ account: tg.token, method: "sendMessage" })).toEqual([])
  })

  it("answers a reused idempotencyKey with the original message, or 409 when the body differs", async () => {
    const tg = await createTelegramBot()
    const first = await send(tg, { chatId: "5", text: "once", idempotencyKey: "k-1" })
    expect(first.status).toBe(202)
    const again = await send(tg, { chatId: "5", text: "once", idempotencyKey: "k-1" })
    expect(again.status).toBe(202)
    expect(again.body).toMatchObject({ id: first.body.id, duplicate: true })
    const other = await send(tg, { chatId: "5", text: "twice", idempotencyKey: "k-1" })
    expect(other.status).toBe(409)
    expect(other.body.error.code).toBe("idempotency_conflict")
  })
})

describe("deleting a bot is clean", () => {
  it("abandons in-flight sends, counts what was queued, leaves no alarm, and sends nothing after the answer", async () => {
    const bot = await createTelegramBot()
    await fakes.telegram.latency(5_000, bot.token)
    for (const chat of ["11", "12", "13"]) {
      const res = await api("POST", `/api/bots/${bot.id}/messages`, {
        token: bot.admin,
        body: { chatId: chat, text: `to ${chat}` },
      })
      expect(res.status).toBe(202)
    }
    await fakes.telegram.waitForRequests({ account: bot.token, method: "sendMessage" }, 1)
    const deleted = await api<{ deleted: boolean; discarded: number }>("DELETE", `/api/bots/${bot.id}`, {
      token: bot.admin,
    })
    expect(deleted.status).toBe(200)
    expect(deleted.body).toEqual({ deleted: true, discarded: 3 })
    const stub = botStub(bot.id)
    // Nothing scheduled and nothing stored: an alarm run now finds no work and does not throw.
    expect(await runInDurableObject(stub, (_, state) => state.storage.getAlarm())).toBeNull()
    expect(await runDurableObjectAlarm(stub)).toBe(false)
    const tables = await runInDurableObject(stub, (_, state) =>
      state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'outbox'").toArray(),
    )
    expect(tables).toEqual([])
    // Barrier: another bot's send through the same fake is answered; by then nothing new came from the deleted one.
    const before = (await fakes.telegram.requests({ account: bot.token, method: "sendMessage" })).length
    const other = await createTelegramBot()
    await api("POST", `/api/bots/${other.id}/messages`, { token: other.admin, body: { chatId: "1", text: "barrier" } })
    await fakes.telegram.waitForRequests({ account: other.token, method: "sendMessage" }, 1)
    expect((await fakes.telegram.requests({ account: bot.token, method: "sendMessage" })).length).toBe(before)
    const gone = await api("POST", `/api/bots/${bot.id}/messages`, {
      token: bot.admin,
      body: { chatId: "1", text: "x" },
    })
    expect(gone.status).toBe(404)
  })
})

describe("bounded input", () => {
  it("answers a management API body over 256 KB with 413", async () => {
    const admin = await tokenFor(uniqueBusiness("big"))
    const res = await api<ErrorShape>("POST", "/api/bots", {
      token: admin,
      body: {
        platform: "telegram",
        name: "x",
        credentials: { botToken: "1:x" },
        settings: { pad: "p".repeat(300_000) },
      },
    })
    expect(res.status).toBe(413)
    expect(res.body.error.code).toBe("payload_too_large")
    // The guide's single-bot webhook under /api keeps the platforms' larger limit.
    const compat = await api("POST", "/api/whatsapp/webhook", { body: { pad: "p".repeat(300_000) } })
    expect(compat.status).not.toBe(413)
  })

  it("refuses a forged token as forged even when it is expired, and an expired genuine one as expired", async () => {
    const claims = { sub: "x", business_id: "b", role: "admin", exp: Math.floor(Date.now() / 1000) - 60 }
    const forged = await sign(claims, "not-the-secret", "HS256")
    const genuine = await sign(claims, env.JWT_SECRET, "HS256")
    const a = await api<ErrorShape>("GET", "/api/bots", { token: forged })
    const b = await api<ErrorShape>("GET", "/api/bots", { token: genuine })
    expect([a.status, a.body.error.code]).toEqual([401, "unauthorized"])
    expect([b.status, b.body.error.code]).toEqual([401, "token_expired"])
  })
})

describe("smaller defects users would notice", () => {
  it("logs a failed WhatsApp delivery receipt in the bot's activity log", async () => {
    const bot = await createWhatsAppBot()
    await whatsappPersonWrote(bot, "15550002")
    const sent = await api<{ id: string }>("POST", `/api/bots/${bot.id}/messages`, {
      token: bot.admin,
      body: { chatId: "15550002", text: "hello" },
    })
    const platformId = await eventually(async () => {
      const m = await api<{ platformMessageId: string | null }>("GET", `/api/bots/${bot.id}/messages/${sent.body.id}`, {
        token: bot.admin,
      })
      return m.body.platformMessageId ?? undefined
    })
    const receipt = whatsappStatusEvent({
      phoneNumberId: bot.phoneNumberId,
      messageId: platformId,
      recipient: "15550002",
      status: "failed",
      errors: [{ code: 131026, title: "Message undeliverable" }],
    })
    expect((await postWhatsApp(bot.webhookUrl, receipt, bot.appSecret)).status).toBe(200)
    const entry = await eventually(async () => {
      const logs = await api<{ logs: { event: string; message: string; level: string }[] }>(
        "GET",
        `/api/bots/${bot.id}/logs`,
        { token: bot.admin },
      )
      return logs.body.logs.find((l) => l.event === "message.undelivered")
    })
    expect(entry.level).toBe("error")
    expect(entry.message).toContain("131026 Message undeliverable")
  })

  it("echoes a Telegram button press as the label the person tapped", async () => {
    const bot = await createTelegramBot()
    const chatId = 4242
    const update = {
      update_id: Math.floor(Math.random() * 1e9),
      callback_query: {
        id: "cbq-1",
        from: { id: chatId, is_bot: false, first_name: "Ann" },
        chat_instance: "1",
        data: "order:42:confirm",
        message: {
          message_id: 7,
          date: Math.floor(Date.now() / 1000),
          chat: { id: chatId, type: "private" },
          reply_markup: { inline_keyboard: [[{ text: "Confirm order", callback_data: "order:42:confirm" }]] },
        },
      },
    }
    expect((await postTelegramUpdate(bot, update)).status).toBe(200)
    const [reply] = await fakes.telegram.waitForRequests({ account: bot.token, method: "sendMessage" }, 1)
    expect(reply?.body).toMatchObject({ chat_id: chatId, text: "Confirm order" })
  })
})

async function behave(name: string, behaviour: Record<string, unknown>) {
  await fetch(`${fakes.endpoints}/__fake/behave`, { method: "POST", body: JSON.stringify({ name, ...behaviour }) })
}

function testMessage(bot: { id: string; admin: string }, message: string) {
  return api<ErrorShape>("POST", "/test/message", { token: bot.admin, body: { botId: bot.id, message } })
}
