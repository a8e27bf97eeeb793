// End to end on WhatsApp: verification challenge, signed webhooks (per bot and app-level), replies, receipts, pair limits.
import { env, runInDurableObject, SELF } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import { whatsappStatusEvent, whatsappTextEvent } from "../fakes/builders"
import { api } from "../helpers"
import {
  botStub,
  createWhatsAppBot,
  eventually,
  fakes,
  postWhatsApp,
  type WhatsAppBot,
  whatsappPersonWrote,
} from "../messaging-helpers"

type WaBody = { to: string; type: string; text?: { body: string } }
const sent = async (bot: WhatsAppBot) =>
  (await fakes.whatsapp.requests({ account: bot.phoneNumberId, method: "messages" }))
    .filter((r) => r.outcome === "ok")
    .map((r) => r.body as WaBody)

describe("whatsapp webhook verification", () => {
  it("answers hub.challenge with the verify token and 403s a wrong one", async () => {
    const bot = await createWhatsAppBot()
    const ok = await SELF.fetch(
      `${bot.webhookUrl}?hub.mode=subscribe&hub.verify_token=${bot.verifyToken}&hub.challenge=1158201444`,
    )
    expect(ok.status).toBe(200)
    expect(await ok.text()).toBe("1158201444")
    const wrong = await SELF.fetch(`${bot.webhookUrl}?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1`)
    expect(wrong.status).toBe(403)
  })

  it("rejects a forged signature with 401 and sends nothing", async () => {
    const bot = await createWhatsAppBot()
    const payload = whatsappTextEvent({ phoneNumberId: bot.phoneNumberId, from: "15550001111", text: "forged" })
    expect((await postWhatsApp(bot.webhookUrl, payload, "wrong-secret")).status).toBe(401)
    expect((await postWhatsApp(bot.webhookUrl, payload, bot.appSecret, "sha256=deadbeef")).status).toBe(401)
    // Barrier: a genuine message from the same user is answered; a stored forgery would have been answered first.
    const genuine = whatsappTextEvent({ phoneNumberId: bot.phoneNumberId, from: "15550001111", text: "genuine" })
    expect((await postWhatsApp(bot.webhookUrl, genuine, bot.appSecret)).status).toBe(200)
    await fakes.whatsapp.waitForRequests({ account: bot.phoneNumberId, method: "messages" }, 1)
    expect((await sent(bot)).map((b) => [b.to, b.text?.body])).toEqual([["15550001111", "genuine"]])
  })
})

describe("whatsapp round trip", () => {
  it("echoes a text once, even when Meta redelivers it", async () => {
    const bot = await createWhatsAppBot()
    const payload = whatsappTextEvent({ phoneNumberId: bot.phoneNumberId, from: "15550002222", text: "Olá, café ☕" })
    expect((await postWhatsApp(bot.webhookUrl, payload, bot.appSecret)).status).toBe(200)
    expect((await postWhatsApp(bot.webhookUrl, payload, bot.appSecret)).status).toBe(200)
    await eventually(async () => ((await sent(bot)).length > 0 ? true : undefined))
    expect((await postWhatsApp(bot.webhookUrl, payload, bot.appSecret)).status).toBe(200)
    // Barrier: a new message from the same user is handled after the redeliveries; once it is answered, a second
    // answer to the first would be out too.
    const barrier = whatsappTextEvent({ phoneNumberId: bot.phoneNumberId, from: "15550002222", text: "barrier" })
    expect((await postWhatsApp(bot.webhookUrl, barrier, bot.appSecret)).status).toBe(200)
    await fakes.whatsapp.waitForRequests({ account: bot.phoneNumberId, method: "messages" }, 2)
    expect(await sent(bot)).toEqual([
      expect.objectContaining({
        to: "15550002222",
        type: "text",
        text: expect.objectContaining({ body: "Olá, café ☕" }),
      }),
      expect.objectContaining({ to: "15550002222", type: "text", text: expect.objectContaining({ body: "barrier" }) }),
    ])
  })

  it("fans one app-level POST out to each number's bot, without D1", async () => {
    const appSecret = env.WHATSAPP_APP_SECRET ?? ""
    const a = await createWhatsAppBot({ appSecret })
    const b = await createWhatsAppBot({ appSecret })
    const one = whatsappTextEvent({ phoneNumberId: a.phoneNumberId, from: "15550003333", text: "for a" })
    const two = whatsappTextEvent({ phoneNumberId: b.phoneNumberId, from: "15550004444", text: "for b" })
    const batch = { object: "whatsapp_business_account", entry: [...one.entry, ...two.entry] }
    const res = await postWhatsApp("https://switchboard.test/webhooks/whatsapp", batch, appSecret)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ accepted: 2 })
    await eventually(async () => ((await sent(a)).length === 1 && (await sent(b)).length === 1 ? true : undefined))
    expect((await sent(a))[0]).toMatchObject({ to: "15550003333", text: { body: "for a" } })
    expect((await sent(b))[0]).toMatchObject({ to: "15550004444", text: { body: "for b" } })
    expect((await postWhatsApp("https://switchboard.test/webhooks/whatsapp", batch, "not-the-app-secret")).status).toBe(
      401,
    )
  })

  it("stops routing a number to a deleted bot", async () => {
    const appSecret = env.WHATSAPP_APP_SECRET ?? ""
    const bot = await createWhatsAppBot({ appSecret })
    expect((await api("DELETE", `/api/bots/${bot.id}`, { token: bot.admin })).status).toBe(200)
    const payload = whatsappTextEvent({ phoneNumberId: bot.phoneNumberId, from: "15550005555", text: "anyone?" })
    const res = await postWhatsApp("https://switchboard.test/webhooks/whatsapp", payload, appSecret)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ accepted: 0 })
  })

  it("tracks delivery receipts: sent -> delivered -> read, never backwards", async () => {
    const bot = await createWhatsAppBot()
    const chatId = "15550006666"
    await whatsappPersonWrote(bot, chatId)
    const send = async (text: string) =>
      (await api<{ id: string }>("POST", `/api/bots/${bot.id}/messages`, { token: bot.admin, body: { chatId, text } }))
        .body.id
    const status = async (id: string) =>
      (
        await api<{ status: string; platformMessageId: string }>("GET", `/api/bots/${bot.id}/messages/${id}`, {
          token: bot.admin,
        })
      ).body
    const sentMessage = (id: string) =>
      eventually(async () => ((await status(id)).status === "sent" ? status(id) : undefined))
    const receipt = (platformMessageId: string, s: "delivered" | "read") =>
      whatsappStatusEvent({
        phoneNumberId: bot.phoneNumberId,
        messageId: platformMessageId,
        recipient: chatId,
        status: s,
      })
    const reaches = (id: string, s: string) =>
      eventually(async () => ((await status(id)).status === s ? true : undefined))

    const inOrder = await send("receipt me")
    const inOrderRef = (await sentMessage(inOrder)).platformMessageId
    await postWhatsApp(bot.webhookUrl, receipt(inOrderRef, "delivered"), bot.appSecret)
    await reaches(inOrder, "delivered")
    await postWhatsApp(bot.webhookUrl, receipt(inOrderRef, "read"), bot.appSecret)
    await reaches(inOrder, "read")

    // Meta does not promise order: a "delivered" arriving after "read" (the first "delivered" for this message, so
    // not a redelivery the intake drops) must not move it back.
    const late = await send("read before delivered")
    const lateRef = (await sentMessage(late)).platformMessageId
    await postWhatsApp(bot.webhookUrl, receipt(lateRef, "read"), bot.appSecret)
    await reaches(late, "read")
    await postWhatsApp(bot.webhookUrl, receipt(lateRef, "delivered"), bot.appSecret)
    // Barrier: a text from the same chat is handled after that receipt; once it is echoed, the receipt was applied.
    const barrier = whatsappTextEvent({ phoneNumberId: bot.phoneNumberId, from: chatId, text: "barrier" })
    await postWhatsApp(bot.webhookUrl, barrier, bot.appSecret)
    await eventually(async () => ((await sent(bot)).some((b) => b.text?.body === "barrier") ? true : undefined))
    expect((await status(late)).status).toBe("read")
    expect((await status(inOrder)).status).toBe("read")
  })

  it("backs off only the recipient hit by the pair rate limit (131056)", async () => {
    const bot = await createWhatsAppBot()
    // Both people wrote first (WhatsApp's window); the 131056 rule applies to the next send, the first below.
    await whatsappPersonWrote(bot, "15550007777")
    await whatsappPersonWrote(bot, "15550008888")
    await fakes.whatsapp.fail({
      account: bot.phoneNumberId,
      method: "messages",
      mode: "wa_code",
      code: 131056,
      times: 1,
    })
    const first = await api<{ id: string }>("POST", `/api/bots/${bot.id}/messages`, {
      token: bot.admin,
      body: { chatId: "15550007777", text: "pair" },
    })
    await fakes.whatsapp.waitForRequests({ account: bot.phoneNumberId, method: "messages" }, 1)
    await api("POST", `/api/bots/${bot.id}/messages`, {
      token: bot.admin,
      body: { chatId: "15550008888", text: "other" },
    })
    // The other recipient goes out while the limited one waits for its backoff.
    await eventually(async () =>
      (await sent(bot)).some((m) => m.to === "15550008888" && m.text?.body === "other") ? true : undefined,
    )
    const firstStatus = await api<{ status: string }>("GET", `/api/bots/${bot.id}/messages/${first.body.id}`, {
      token: bot.admin,
    })
    expect(firstStatus.body.status).toBe("queued")
    await eventually(
      async () => ((await sent(bot)).some((m) => m.to === "15550007777" && m.text?.body === "pair") ? true : undefined),
      10_000,
      "limited recipient retried",
    )
  }, 15_000)

  it("refuses a free-form message outside the 24 h window without calling WhatsApp; a template goes", async () => {
    const bot = await createWhatsAppBot()
    // The fake holds this number to the window as Meta does: a free-form send that got through would fail there.
    await fakes.whatsapp.window({ account: bot.phoneNumberId, enforce: true })
    const res = await api<{ error: { code: string } }>("POST", `/api/bots/${bot.id}/messages`, {
      token: bot.admin,
      body: { chatId: "15550009999", text: "late" },
    })
    expect([res.status, res.body.error.code]).toEqual([422, "window_closed"])
    const template = await api<{ id: string }>("POST", `/api/bots/${bot.id}/messages`, {
      token: bot.admin,
      body: { chatId: "15550009999", template: { name: "order_update", language: "en_US", parameters: ["42"] } },
    })
    expect(template.status).toBe(202)
    await eventually(async () => ((await sent(bot)).some((m) => m.type === "template") ? true : undefined))
    // The template is the first and only call the fake saw: the refused text never reached it.
    expect((await sent(bot)).map((m) => m.type)).toEqual(["template"])
    // Once the person writes (the fake hears of it as Meta would), free-form text goes, at both ends.
    await fakes.whatsapp.window({ account: bot.phoneNumberId, from: "15550009999" })
    await whatsappPersonWrote(bot, "15550009999", "hello")
    const now = await api("POST", `/api/bots/${bot.id}/messages`, {
      token: bot.admin,
      body: { chatId: "15550009999", text: "now it goes" },
    })
    expect(now.status).toBe(202)
    await eventually(async () => ((await sent(bot)).some((m) => m.text?.body === "now it goes") ? true : undefined))
  })

  it("fails a message WhatsApp itself refuses for the window (131047) with that reason, once", async () => {
    const bot = await createWhatsAppBot()
    await whatsappPersonWrote(bot, "15550009998")
    await fakes.whatsapp.fail({ account: bot.phoneNumberId, method: "messages", mode: "wa_code", code: 131047 })
    const res = await api<{ id: string }>("POST", `/api/bots/${bot.id}/messages`, {
      token: bot.admin,
      body: { chatId: "15550009998", text: "late" },
    })
    expect(res.status).toBe(202)
    const failed = await eventually(async () => {
      const r = await api<{ status: string; error: string; attempts: number }>(
        "GET",
        `/api/bots/${bot.id}/messages/${res.body.id}`,
        { token: bot.admin },
      )
      return r.body.status === "failed" ? r.body : undefined
    })
    expect(failed.error).toMatch(/window_closed/)
    expect(failed.attempts).toBe(1)
  })
})

describe("a reply the queue cannot send", () => {
  it("is refused at the queue and logged; the bot's other chats are answered (found by the fuzz suite: one such reply stopped the whole queue)", async () => {
    const bot = await createWhatsAppBot()
    // WhatsApp never sends such an id, but the webhook is signed and takes it: the echo would go to a 200-character
    // chat, which no send accepts (chat ids are at most 128 characters).
    const odd = whatsappTextEvent({ phoneNumberId: bot.phoneNumberId, from: "1".repeat(200), text: "odd" })
    expect((await postWhatsApp(bot.webhookUrl, odd, bot.appSecret)).status).toBe(200)
    const normal = whatsappTextEvent({ phoneNumberId: bot.phoneNumberId, from: "15550007777", text: "after" })
    expect((await postWhatsApp(bot.webhookUrl, normal, bot.appSecret)).status).toBe(200)
    await fakes.whatsapp.waitForRequests({ account: bot.phoneNumberId, method: "messages" }, 1)
    expect((await sent(bot)).map((b) => [b.to, b.text?.body])).toEqual([["15550007777", "after"]])
    const logs = await api<{ logs: { event: string; message: string; level: string }[] }>(
      "GET",
      `/api/bots/${bot.id}/logs`,
      { token: bot.admin },
    )
    const refused = logs.body.logs.find((l) => l.event === "handler.reply_refused")
    expect(refused).toMatchObject({ level: "error" })
    expect(refused?.message).toMatch(/chatId/)
  })

  it("fails an unreadable stored message alone; the next message of its chat goes", async () => {
    const bot = await createWhatsAppBot()
    await whatsappPersonWrote(bot, "15550007778")
    // A row no current code writes (queued before messages were checked, or damaged): its chat's oldest open one.
    await runInDurableObject(botStub(bot.id), (_, state) => {
      state.storage.sql.exec(
        `INSERT INTO outbox (id, chat_id, message, status, next_at, source, created_at, updated_at, lane)
         VALUES ('msg_unreadable', '15550007778', '{"chatId":"15550007778","text":"   "}', 'queued', 0, 'api', 0, 0, 1)`,
      )
    })
    const res = await api<{ id: string }>("POST", `/api/bots/${bot.id}/messages`, {
      token: bot.admin,
      body: { chatId: "15550007778", text: "behind it" },
    })
    expect(res.status).toBe(202)
    await eventually(async () => ((await sent(bot)).some((m) => m.text?.body === "behind it") ? true : undefined))
    const row = await runInDurableObject(botStub(bot.id), (_, state) =>
      state.storage.sql
        .exec<{ status: string; last_error: string }>(
          "SELECT status, last_error FROM outbox WHERE id = 'msg_unreadable'",
        )
        .one(),
    )
    expect(row.status).toBe("failed")
    expect(row.last_error).toMatch(/unreadable stored message/)
  })
})

describe("an event id that does not survive the round trip through SQLite", () => {
  it("is handled once: a message id holding a lone surrogate gets one echo, and the queue does not grow (found by the fuzz suite: such an event was handled again and again)", async () => {
    const bot = await createWhatsAppBot()
    // JSON escapes let a signed body carry a lone UTF-16 surrogate, which is not valid UTF-8: SQLite stores
    // something that reads back as a different string.
    const odd = whatsappTextEvent({
      phoneNumberId: bot.phoneNumberId,
      from: "15550007779",
      text: "odd id",
      id: "wamid.\ud800x",
    })
    expect((await postWhatsApp(bot.webhookUrl, odd, bot.appSecret)).status).toBe(200)
    const barrier = whatsappTextEvent({ phoneNumberId: bot.phoneNumberId, from: "15550007779", text: "barrier" })
    expect((await postWhatsApp(bot.webhookUrl, barrier, bot.appSecret)).status).toBe(200)
    // Per-chat order: the barrier's echo comes after every echo of the odd message.
    await eventually(async () => ((await sent(bot)).some((m) => m.text?.body === "barrier") ? true : undefined))
    expect((await sent(bot)).map((m) => m.text?.body)).toEqual(["odd id", "barrier"])
    const rows = await runInDurableObject(botStub(bot.id), (_, state) => ({
      outbox: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n,
      pending: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM inbox WHERE state = 'pending'").one().n,
    }))
    expect(rows).toEqual({ outbox: 2, pending: 0 })
  })
})
