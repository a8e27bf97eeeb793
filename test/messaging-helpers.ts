// Helpers for end-to-end messaging tests: create bots against the fakes and post webhooks as the platforms do.
import { env, SELF } from "cloudflare:test"
import { whatsappSignature, whatsappTextEvent } from "./fakes/builders"
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
/** A fresh update_id, for a test that redelivers the same update. */
export function nextUpdateId(): number {
  updateId += 1
  return updateId
}

/**
 * Fills what test/fakes/builders.ts leaves to the platform (update_id, message_id, date), as the fake's deliver does:
 * each builder Update without an explicit `updateId` is a new update. Anything else is posted as is.
 */
function asDelivered(update: unknown): unknown {
  if (typeof update !== "object" || update === null || Array.isArray(update)) return update
  if (!("message" in update) && !("callback_query" in update)) return update
  const filled: Record<string, unknown> = { ...update }
  if (filled.update_id === undefined) filled.update_id = nextUpdateId()
  const message = filled.message
  if (typeof message === "object" && message !== null && !Array.isArray(message)) {
    filled.message = { message_id: filled.update_id, date: Math.floor(Date.now() / 1000), ...message }
  }
  return filled
}

/** Posts one Telegram update to a webhook with the secret header Telegram would send. */
export async function postTelegramUpdate(
  bot: { webhookUrl: string; secret: string },
  update: unknown,
  secret = bot.secret,
) {
  const delivered = asDelivered(update)
  return SELF.fetch(bot.webhookUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret },
    body: typeof delivered === "string" ? delivered : JSON.stringify(delivered),
  })
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

export async function postWhatsApp(url: string, payload: unknown, secret: string, signature?: string) {
  const body = JSON.stringify(payload)
  return SELF.fetch(url, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "X-Hub-Signature-256": signature ?? (await whatsappSignature(secret, body)),
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

/**
 * The person `from` writes to a WhatsApp bot (opening WhatsApp's 24-hour window for free-form messages to them), and
 * the bot has handled it: its echo reached the fake.
 */
export async function whatsappPersonWrote(bot: WhatsAppBot, from: string, text = "hi"): Promise<void> {
  const echoes = async () =>
    (await fakes.whatsapp.requests({ account: bot.phoneNumberId, method: "messages" })).filter(
      (r) => (r.body as { to?: unknown }).to === from,
    ).length
  const before = await echoes()
  const res = await postWhatsApp(
    bot.webhookUrl,
    whatsappTextEvent({ phoneNumberId: bot.phoneNumberId, from, text }),
    bot.appSecret,
  )
  if (res.status !== 200) throw new Error(`inbound from ${from} refused: ${res.status}`)
  await eventually(async () => ((await echoes()) > before ? true : undefined), 8_000, `the echo to ${from}`)
}
