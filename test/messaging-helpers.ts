// Helpers for end-to-end messaging tests: create bots against the fakes and post webhooks as the platforms do.
import { env, SELF } from "cloudflare:test"
import { fakesFromEnv, randomPhoneNumberId, randomTelegramToken } from "./fakes/client"
import { api, tokenFor, uniqueBusiness } from "./helpers"

export const fakes = fakesFromEnv(env)

export interface TelegramBot {
  id: string
  token: string
  admin: string
  secret: string
  webhookUrl: string
}

/** Creates a Telegram bot and reads the secret_token it registered with the fake's setWebhook. */
export async function createTelegramBot(opts: { admin?: string; handler?: unknown } = {}): Promise<TelegramBot> {
  const admin = opts.admin ?? (await tokenFor(uniqueBusiness("tg")))
  const token = randomTelegramToken()
  const res = await api<{ bot: { id: string; webhookUrl: string } }>("POST", "/api/bots", {
    token: admin,
    body: { platform: "telegram", name: "E2E bot", credentials: { botToken: token }, handler: opts.handler },
  })
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`)
  const [setWebhook] = await fakes.telegram.waitForRequests({ account: token, method: "setWebhook" }, 1)
  const body = setWebhook?.body
  const secret = typeof body === "object" && body && "secret_token" in body ? String(body.secret_token) : ""
  return { id: res.body.bot.id, token, admin, secret, webhookUrl: res.body.bot.webhookUrl }
}

let updateId = 1_000
export function nextUpdateId(): number {
  updateId += 1
  return updateId
}

/** Posts one Telegram update to the bot's webhook with the secret header Telegram would send. */
export async function postTelegramUpdate(bot: TelegramBot, update: unknown, secret = bot.secret) {
  return SELF.fetch(bot.webhookUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret },
    body: typeof update === "string" ? update : JSON.stringify(update),
  })
}

export function textUpdate(chatId: number, text: string, id = nextUpdateId()) {
  return {
    update_id: id,
    message: {
      message_id: id,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: "private", first_name: "Ann" },
      from: { id: chatId, is_bot: false, first_name: "Ann" },
      text,
    },
  }
}

export interface WhatsAppBot {
  id: string
  phoneNumberId: string
  accessToken: string
  appSecret: string
  verifyToken: string
  admin: string
  webhookUrl: string
}

export async function createWhatsAppBot(opts: { admin?: string; appSecret?: string } = {}): Promise<WhatsAppBot> {
  const admin = opts.admin ?? (await tokenFor(uniqueBusiness("wa")))
  const phoneNumberId = randomPhoneNumberId()
  const appSecret = opts.appSecret ?? `app-secret-${crypto.randomUUID()}`
  const accessToken = `EAAG${crypto.randomUUID().replace(/-/g, "")}`
  const verifyToken = `verify-${crypto.randomUUID()}`
  const res = await api<{ bot: { id: string; webhookUrl: string } }>("POST", "/api/bots", {
    token: admin,
    body: { platform: "whatsapp", name: "WA bot", credentials: { accessToken, phoneNumberId, verifyToken, appSecret } },
  })
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`)
  return {
    id: res.body.bot.id,
    phoneNumberId,
    accessToken,
    appSecret,
    verifyToken,
    admin,
    webhookUrl: res.body.bot.webhookUrl,
  }
}

/** Hex HMAC-SHA256, as the platforms (and our forward handler) sign webhooks. */
export async function hmacHex(key: string, data: string): Promise<string> {
  const k = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(key),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  )
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", k, new TextEncoder().encode(data)))
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("")
}

export async function signWhatsApp(body: string, secret: string): Promise<string> {
  return `sha256=${await hmacHex(secret, body)}`
}

export async function postWhatsApp(url: string, payload: unknown, secret: string, signature?: string) {
  const body = JSON.stringify(payload)
  return SELF.fetch(url, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "X-Hub-Signature-256": signature ?? (await signWhatsApp(body, secret)),
    },
    body,
  })
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 8_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

export const botStub = (id: string) => env.BOT.get(env.BOT.idFromName(id))
