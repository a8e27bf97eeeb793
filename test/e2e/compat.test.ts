// The original guide's single-bot mode: bots configured from env, served at /api/{platform}/webhook.
import { env, SELF } from "cloudflare:test"
import { describe, expect, it, vi } from "vitest"
import { defaultPlatform } from "../../src/routes/health"
import { telegramTextUpdate, whatsappTextEvent } from "../fakes/builders"
import { api } from "../helpers"
import { fakes, postTelegramUpdate, postWhatsApp } from "../messaging-helpers"

const compatTelegram = (update: unknown, secret: string) =>
  postTelegramUpdate({ webhookUrl: "https://switchboard.test/api/telegram/webhook", secret }, update)

describe("single-bot compatibility routes", () => {
  it("answers a Telegram update for the env-configured bot and checks its secret", async () => {
    const token = env.TELEGRAM_BOT_TOKEN ?? ""
    // TELEGRAM_BOT_TOKEN alone: the worker registered the webhook itself, with a secret derived from its keys.
    await api("GET", "/health")
    const [registered] = await fakes.telegram.waitForRequests({ account: token, method: "setWebhook" }, 1)
    const body = (registered?.body ?? {}) as { url?: string; secret_token?: string }
    expect(body.url).toBe("https://switchboard.test/api/telegram/webhook")
    const secret = body.secret_token ?? ""
    expect(secret).toMatch(/^[0-9a-f]{64}$/)
    expect((await compatTelegram(telegramTextUpdate({ chatId: 1212, text: "forged" }), "wrong")).status).toBe(401)
    expect((await compatTelegram(telegramTextUpdate({ chatId: 1212, text: "compat hi" }), secret)).status).toBe(200)
    // The genuine update, to the same chat, is answered; the forged one, had it been kept, would have been first.
    const replies = await fakes.telegram.waitForRequests({ account: token, method: "sendMessage" }, 1)
    expect(replies.map((r) => r.body)).toEqual([expect.objectContaining({ chat_id: 1212, text: "compat hi" })])
  })

  it("verifies and answers WhatsApp for the env-configured number", async () => {
    const challenge = await SELF.fetch(
      `https://switchboard.test/api/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=${env.WHATSAPP_VERIFY_TOKEN}&hub.challenge=42`,
    )
    expect(await challenge.text()).toBe("42")
    const phoneNumberId = env.WHATSAPP_PHONE_NUMBER_ID ?? ""
    const forged = whatsappTextEvent({ phoneNumberId, from: "15551230000", text: "forged" })
    const payload = whatsappTextEvent({ phoneNumberId, from: "15551230000", text: "compat wa" })
    const url = "https://switchboard.test/api/whatsapp/webhook"
    expect((await postWhatsApp(url, forged, "bad")).status).toBe(401)
    expect((await postWhatsApp(url, payload, env.WHATSAPP_APP_SECRET ?? "")).status).toBe(200)
    // The genuine message, from the same user, is answered; the forged one, had it been kept, would have been first.
    const replies = await fakes.whatsapp.waitForRequests({ account: phoneNumberId, method: "messages" }, 1)
    expect(replies.map((r) => [r.outcome, r.body])).toEqual([
      ["ok", expect.objectContaining({ to: "15551230000", text: expect.objectContaining({ body: "compat wa" }) })],
    ])
  })

  it("reports the env-configured platforms in /health", async () => {
    const res = await api<{ platforms: { configured: string[] } }>("GET", "/health")
    expect(res.body.platforms.configured).toEqual(["telegram", "whatsapp"])
  })

  it("falls back to whatsapp, with a warning, for an unknown MESSAGING_PLATFORM", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined)
    expect(defaultPlatform({ ...env, MESSAGING_PLATFORM: "fax" })).toBe("whatsapp")
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("config.messaging_platform_unknown"))
    warn.mockClear()
    expect(defaultPlatform({ ...env, MESSAGING_PLATFORM: "Telegram" })).toBe("telegram")
    expect(warn).not.toHaveBeenCalled()
    warn.mockRestore()
  })
})
