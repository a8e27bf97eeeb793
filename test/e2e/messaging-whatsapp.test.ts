// End to end on WhatsApp: verification challenge, signed webhooks (per bot and app-level), replies, receipts, pair limits.
import { env, SELF } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import { whatsappStatusEvent, whatsappTextEvent } from "../fakes/builders"
import { api } from "../helpers"
import { createWhatsAppBot, eventually, fakes, postWhatsApp, type WhatsAppBot } from "../messaging-helpers"

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
    await new Promise((r) => setTimeout(r, 300))
    expect(await sent(bot)).toEqual([])
  })
})

describe("whatsapp round trip", () => {
  it("echoes a text once, even when Meta redelivers it", async () => {
    const bot = await createWhatsAppBot()
    const payload = whatsappTextEvent({ phoneNumberId: bot.phoneNumberId, from: "15550002222", text: "Olá, café ☕" })
    expect((await postWhatsApp(bot.webhookUrl, payload, bot.appSecret)).status).toBe(200)
    expect((await postWhatsApp(bot.webhookUrl, payload, bot.appSecret)).status).toBe(200)
    await eventually(async () => ((await sent(bot)).length > 0 ? true : undefined))
    await new Promise((r) => setTimeout(r, 500))
    expect(await sent(bot)).toEqual([
      expect.objectContaining({
        to: "15550002222",
        type: "text",
        text: expect.objectContaining({ body: "Olá, café ☕" }),
      }),
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
    expect((await api("DELETE", `/api/bots/${bot.id}`, { token: bot.admin })).status).toBe(204)
    const payload = whatsappTextEvent({ phoneNumberId: bot.phoneNumberId, from: "15550005555", text: "anyone?" })
    const res = await postWhatsApp("https://switchboard.test/webhooks/whatsapp", payload, appSecret)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ accepted: 0 })
  })

  it("tracks delivery receipts: sent -> delivered -> read, never backwards", async () => {
    const bot = await createWhatsAppBot()
    const queued = await api<{ id: string }>("POST", `/api/bots/${bot.id}/messages`, {
      token: bot.admin,
      body: { chatId: "15550006666", text: "receipt me" },
    })
    const status = async () =>
      (
        await api<{ status: string; platformMessageId: string }>(
          "GET",
          `/api/bots/${bot.id}/messages/${queued.body.id}`,
          { token: bot.admin },
        )
      ).body
    const afterSend = await eventually(async () => ((await status()).status === "sent" ? status() : undefined))
    const receipt = (s: "delivered" | "read") =>
      whatsappStatusEvent({
        phoneNumberId: bot.phoneNumberId,
        messageId: afterSend.platformMessageId,
        recipient: "15550006666",
        status: s,
      })
    await postWhatsApp(bot.webhookUrl, receipt("delivered"), bot.appSecret)
    await eventually(async () => ((await status()).status === "delivered" ? true : undefined))
    await postWhatsApp(bot.webhookUrl, receipt("read"), bot.appSecret)
    await eventually(async () => ((await status()).status === "read" ? true : undefined))
    // A late "delivered" (Meta does not promise order) must not move it back.
    await postWhatsApp(bot.webhookUrl, { ...receipt("delivered"), entry: receipt("delivered").entry }, bot.appSecret)
    await new Promise((r) => setTimeout(r, 400))
    expect((await status()).status).toBe("read")
  })

  it("backs off only the recipient hit by the pair rate limit (131056)", async () => {
    const bot = await createWhatsAppBot()
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
    await eventually(async () => ((await sent(bot)).some((m) => m.to === "15550008888") ? true : undefined))
    const firstStatus = await api<{ status: string }>("GET", `/api/bots/${bot.id}/messages/${first.body.id}`, {
      token: bot.admin,
    })
    expect(firstStatus.body.status).toBe("queued")
    await eventually(
      async () => ((await sent(bot)).some((m) => m.to === "15550007777") ? true : undefined),
      10_000,
      "limited recipient retried",
    )
  }, 15_000)

  it("fails a free-form message outside the 24 h window with the platform's reason", async () => {
    const bot = await createWhatsAppBot()
    await fakes.whatsapp.fail({
      account: bot.phoneNumberId,
      method: "messages",
      mode: "wa_code",
      code: 131047,
      times: 1,
    })
    const res = await api<{ id: string }>("POST", `/api/bots/${bot.id}/messages`, {
      token: bot.admin,
      body: { chatId: "15550009999", text: "late" },
    })
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
    const template = await api<{ id: string }>("POST", `/api/bots/${bot.id}/messages`, {
      token: bot.admin,
      body: { chatId: "15550009999", template: { name: "order_update", language: "en_US", parameters: ["42"] } },
    })
    expect(template.status).toBe(202)
    await eventually(async () => ((await sent(bot)).some((m) => m.type === "template") ? true : undefined))
  })
})
