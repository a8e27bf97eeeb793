// The original guide's single-bot settings, each as its users set it: one worker env per case.
import { env } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import { createApp } from "../../src/app"
import { telegramTextUpdate } from "../fakes/builders"
import { randomPhoneNumberId, randomTelegramToken } from "../fakes/client"
import { tokenFor, uniqueBusiness } from "../helpers"
import { fakes } from "../messaging-helpers"

const app = createApp()

/** The worker's env with only the guide's variables given here: no other platform is configured. */
function guideEnv(vars: Record<string, string>) {
  const {
    TELEGRAM_BOT_TOKEN: _t,
    WHATSAPP_ACCESS_TOKEN: _a,
    WHATSAPP_PHONE_NUMBER_ID: _p,
    WHATSAPP_VERIFY_TOKEN: _v,
    MESSAGING_PLATFORM: _m,
    ...rest
  } = env
  return { ...rest, ...vars }
}

async function call(vars: Record<string, string>, path: string, init: RequestInit = {}) {
  const res = await app.request(`https://switchboard.test${path}`, init, guideEnv(vars))
  const text = await res.text()
  let body: unknown = null
  try {
    body = JSON.parse(text)
  } catch {
    body = text
  }
  return { status: res.status, body }
}

const setWebhooks = (token: string) => fakes.telegram.waitForRequests({ account: token, method: "setWebhook" }, 1)

describe("the guide's single-bot settings", () => {
  it("TELEGRAM_BOT_TOKEN alone: the webhook is registered at PUBLIC_BASE_URL + the compat path, secret derived", async () => {
    const token = randomTelegramToken()
    const vars = { TELEGRAM_BOT_TOKEN: token, MESSAGING_PLATFORM: "telegram" }
    expect((await call(vars, "/health")).status).toBe(200)
    const [hook] = await setWebhooks(token)
    const body = hook?.body as { url: string; secret_token: string }
    expect(body.url).toBe("https://switchboard.test/api/telegram/webhook")
    expect(body.secret_token).toMatch(/^[0-9a-f]{64}$/)
    // That secret opens the compat route; the update is answered by the echo handler.
    const update = {
      update_id: 77,
      message: {
        message_id: 1,
        date: Math.floor(Date.now() / 1000),
        chat: { id: 3131, type: "private" },
        from: { id: 3131, is_bot: false, first_name: "Guide" },
        text: "hi from the guide",
      },
    }
    const post = (secret: string) =>
      call(vars, "/api/telegram/webhook", {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": secret },
        body: JSON.stringify(update),
      })
    expect((await post("not-it")).status).toBe(401)
    expect((await post(body.secret_token)).status).toBe(200)
    const [reply] = await fakes.telegram.waitForRequests({ account: token, method: "sendMessage" }, 1)
    expect(reply?.body).toMatchObject({ chat_id: 3131, text: "hi from the guide" })
    // A second isolate's first request does not register it again.
    expect(await fakes.telegram.requests({ account: token, method: "setWebhook" })).toHaveLength(1)
  })

  it("TELEGRAM_WEBHOOK_URL, when set, is the URL registered", async () => {
    const token = randomTelegramToken()
    await call({ TELEGRAM_BOT_TOKEN: token, TELEGRAM_WEBHOOK_URL: "https://bot.example.com/tg" }, "/health")
    const [hook] = await setWebhooks(token)
    expect(hook?.body).toMatchObject({ url: "https://bot.example.com/tg" })
  })

  it("TELEGRAM_POLLING=true polls getUpdates every TELEGRAM_POLLING_INTERVAL ms instead", async () => {
    const token = randomTelegramToken()
    const vars = { TELEGRAM_BOT_TOKEN: token, TELEGRAM_POLLING: "true", TELEGRAM_POLLING_INTERVAL: "0" }
    const health = await call(vars, "/health")
    expect(health.body).toMatchObject({ singleBot: { telegram: { updates: "polling", webhookUrl: null } } })
    await fakes.telegram.waitForRequests({ account: token, method: "deleteWebhook" }, 1)
    await fakes.telegram.waitForRequests({ account: token, method: "getUpdates" }, 1)
    await fakes.telegram.deliver({ account: token, body: telegramTextUpdate({ chatId: 3232, text: "polled" }) })
    const [reply] = await fakes.telegram.waitForRequests({ account: token, method: "sendMessage" }, 1)
    expect(reply?.body).toMatchObject({ chat_id: 3232, text: "polled" })
    expect(await fakes.telegram.requests({ account: token, method: "setWebhook" })).toEqual([])
  })

  it("MESSAGING_PLATFORM picks the served platform; the other's compat route is 404 unless configured too", async () => {
    const vars = { TELEGRAM_BOT_TOKEN: randomTelegramToken(), MESSAGING_PLATFORM: "telegram" }
    const health = await call(vars, "/health")
    expect(health.body).toMatchObject({ defaultPlatform: "telegram", platforms: { configured: ["telegram"] } })
    const whatsapp = await call(vars, "/api/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1")
    expect(whatsapp.status).toBe(404)
    // An unknown value falls back to whatsapp, which is not configured here.
    const unknown = await call({ ...vars, MESSAGING_PLATFORM: "fax" }, "/health")
    expect(unknown.body).toMatchObject({ defaultPlatform: "whatsapp" })
  })

  it("WHATSAPP_WEBHOOK_URL is the callback URL /health shows", async () => {
    const vars = {
      WHATSAPP_ACCESS_TOKEN: "EAAG-guide",
      WHATSAPP_PHONE_NUMBER_ID: randomPhoneNumberId(),
      WHATSAPP_VERIFY_TOKEN: "guide-verify",
      WHATSAPP_WEBHOOK_URL: "https://bot.example.com/wa",
    }
    const health = await call(vars, "/health")
    expect(health.body).toMatchObject({
      platforms: { configured: ["whatsapp"] },
      singleBot: { whatsapp: { webhookUrl: "https://bot.example.com/wa", updates: "webhook" } },
    })
  })

  it("POST /test/message takes the guide's body for MESSAGING_PLATFORM's bot; without a token only in development", async () => {
    const vars = { TELEGRAM_BOT_TOKEN: randomTelegramToken(), MESSAGING_PLATFORM: "telegram" }
    const init = (headers: Record<string, string> = {}) => ({
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ message: "ping" }),
    })
    const admin = await tokenFor(uniqueBusiness("guide"))
    const withToken = await call(vars, "/test/message", init({ authorization: `Bearer ${admin}` }))
    expect(withToken).toMatchObject({ status: 200, body: { platform: "telegram", replies: [{ text: "ping" }] } })
    expect((await call({ ...vars, ENVIRONMENT: "development" }, "/test/message", init())).status).toBe(200)
    expect((await call({ ...vars, ENVIRONMENT: "production" }, "/test/message", init())).status).toBe(401)
  })
})
