// Helpers for end-to-end contact-send tests: a person reachable on Telegram and WhatsApp, their inbound messages,
// sends to them and what the fakes received, and barriers that prove nothing else was sent.
import { env, runInDurableObject } from "cloudflare:test"
import { expect } from "vitest"
import { telegramTextUpdate, whatsappStatusEvent, whatsappTextEvent } from "./fakes/builders"
import { api, tokenFor, uniqueBusiness } from "./helpers"
import {
  botStub,
  createTelegramBot,
  createWhatsAppBot,
  eventually,
  fakes,
  postTelegramUpdate,
  postWhatsApp,
  type TelegramBot,
  type WhatsAppBot,
} from "./messaging-helpers"

export interface Attempt {
  hop: number
  botId: string
  platform: string
  chatId: string
  status: string
  error: string | null
  botMessageId: string | null
  at: string
  updatedAt: string
}
export interface Considered {
  botId: string
  platform: string
  chatId: string
  kept: boolean
  reason: string
}
export interface RoutePreview {
  kind?: string
  source: string
  rule: string | null
  candidates: Considered[]
}
export interface ContactMessage {
  id: string
  status: string
  error: string | null
  attempts: Attempt[]
  route: RoutePreview
  createdAt: string
  updatedAt: string
  duplicate?: boolean
}
export type Person = Awaited<ReturnType<typeof person>>

export const randomChat = () => String(100_000_000 + Math.floor(Math.random() * 899_999_999))
export const randomWaId = () => `1555${Math.floor(Math.random() * 1e7)}`

/**
 * A business with one Telegram and one WhatsApp bot, and a person who wrote to both (so WhatsApp's window is open).
 * `businessId`: in a business set up beforehand (its settings saved before the bots first read them).
 */
export async function person(opts: { writeOnWhatsApp?: boolean; writeOnTelegram?: boolean; businessId?: string } = {}) {
  const businessId = opts.businessId ?? uniqueBusiness("contacts")
  const admin = await tokenFor(businessId)
  const tg = await createTelegramBot({ admin })
  const wa = await createWhatsAppBot({ admin })
  const tgChat = randomChat()
  const waChat = randomWaId()
  if (opts.writeOnTelegram ?? true) await wroteOnTelegram(tg, tgChat, "hello")
  if (opts.writeOnWhatsApp ?? true) await wroteOnWhatsApp(wa, waChat, "hello")
  const created = await api<{ contact: { id: string } }>("POST", "/api/contacts", {
    token: admin,
    body: {
      name: "Ada",
      identities: [
        { botId: tg.id, chatId: tgChat },
        { botId: wa.id, chatId: waChat },
      ],
    },
  })
  // The inbound messages may already have created a contact per identity: take those over by merging.
  if (created.status === 409) throw new Error(`identity already held: ${created.text}`)
  expect(created.status).toBe(201)
  return { tg, wa, tgChat, waChat, contactId: created.body.contact.id, admin, businessId }
}

/** Options of an inbound message: when the person wrote it (epoch ms), and whether to wait for the bot's answer. */
export interface Wrote {
  at?: number
  awaitReply?: boolean
}

/** Posts an inbound message and (by default) waits until the bot has handled it: its answer reached the fake. */
export async function wroteOnTelegram(bot: TelegramBot, chatId: string, text: string, opts: Wrote = {}) {
  const before = (await fakes.telegram.requests({ account: bot.token, method: "sendMessage" })).length
  const update = telegramTextUpdate({ chatId: Number(chatId), text })
  if (opts.at !== undefined) update.message = { ...(update.message as object), date: Math.floor(opts.at / 1000) }
  const res = await postTelegramUpdate(bot, update)
  expect(res.status).toBe(200)
  if (opts.awaitReply === false) return
  await eventually(
    async () =>
      (await fakes.telegram.requests({ account: bot.token, method: "sendMessage" })).length > before ? true : undefined,
    8_000,
    "the Telegram echo",
  )
}

export async function wroteOnWhatsApp(bot: WhatsAppBot, from: string, text: string, opts: Wrote = {}) {
  const before = (await fakes.whatsapp.requests({ account: bot.phoneNumberId, method: "messages" })).length
  const timestamp = opts.at === undefined ? undefined : Math.floor(opts.at / 1000)
  const res = await postWhatsApp(
    bot.webhookUrl,
    whatsappTextEvent({ phoneNumberId: bot.phoneNumberId, from, text, ...(timestamp ? { timestamp } : {}) }),
    bot.appSecret,
  )
  expect(res.status).toBe(200)
  if (opts.awaitReply === false) return
  await eventually(
    async () =>
      (await fakes.whatsapp.requests({ account: bot.phoneNumberId, method: "messages" })).length > before
        ? true
        : undefined,
    8_000,
    "the WhatsApp echo",
  )
}

export async function sendToContact(admin: string, contactId: string, body: Record<string, unknown>) {
  const res = await api<ContactMessage>("POST", `/api/contacts/${contactId}/messages`, { token: admin, body })
  expect(res.status, res.text).toBe(202)
  return res.body
}

export async function finalState(
  admin: string,
  contactId: string,
  id: string,
  done: (m: ContactMessage) => boolean,
  timeoutMs = 12_000,
) {
  return eventually(
    async () => {
      const res = await api<ContactMessage>("GET", `/api/contacts/${contactId}/messages/${id}`, { token: admin })
      return res.status === 200 && done(res.body) ? res.body : undefined
    },
    timeoutMs,
    "the contact send's final state",
  )
}

export async function routePreview(p: { admin: string; contactId: string }, body: Record<string, unknown>) {
  const res = await api<RoutePreview>("POST", `/api/contacts/${p.contactId}/route-preview`, { token: p.admin, body })
  expect(res.status, res.text).toBe(200)
  return res.body
}

/** Platform calls that sent `text` to `chatId` (failed calls included: see each one's `outcome`). */
export const sentTo = async (platform: "telegram" | "whatsapp", account: string, chatId: string, text: string) =>
  (await fakes.of(platform).requests({ account, method: platform === "telegram" ? "sendMessage" : "messages" })).filter(
    (r) => {
      const body = r.body as Record<string, unknown>
      const to = String(body.chat_id ?? body.to ?? "")
      const said = JSON.stringify(body)
      return to === chatId && said.includes(text)
    },
  )

/** What the person received on `platform` with `text` in it: accepted calls only. */
export const received = async (p: Person, platform: "telegram" | "whatsapp", text: string) =>
  (
    await sentTo(
      platform,
      platform === "telegram" ? p.tg.token : p.wa.phoneNumberId,
      platform === "telegram" ? p.tgChat : p.waChat,
      text,
    )
  ).filter((r) => r.outcome === "ok")

/**
 * Barrier: a contact send on `platform` alone, waited for until the person received it. The bot sends a chat's
 * messages in order, so whatever was queued for that chat before it has been sent (or dropped) by then.
 */
export async function barrier(p: Person, platform: "telegram" | "whatsapp") {
  const text = `barrier ${crypto.randomUUID()}`
  const sent = await sendToContact(p.admin, p.contactId, { text, route: { channels: [platform] } })
  await finalState(p.admin, p.contactId, sent.id, (m) => m.status === "sent")
  await eventually(async () => ((await received(p, platform, text)).length === 1 ? true : undefined))
}

export const contactObject = (contactId: string) => env.CONTACT.get(env.CONTACT.idFromName(contactId))

/** The platform's id of a bot's message (what WhatsApp's receipts name), once the platform took it. */
export async function platformMessageId(bot: { id: string; admin: string }, botMessageId: string) {
  return eventually(async () => {
    const res = await api<{ platformMessageId: string | null }>("GET", `/api/bots/${bot.id}/messages/${botMessageId}`, {
      token: bot.admin,
    })
    return res.body.platformMessageId ?? undefined
  })
}

/**
 * Posts a WhatsApp receipt and waits until its outcome reached the contact's object: the bot applied it to its
 * message (which writes the notice in the same transaction) and then handed every notice over.
 */
export async function receiptReached(p: Person, botMessageId: string, status: "delivered" | "read") {
  const messageId = await platformMessageId(p.wa, botMessageId)
  const receipt = whatsappStatusEvent({ phoneNumberId: p.wa.phoneNumberId, messageId, recipient: p.waChat, status })
  expect((await postWhatsApp(p.wa.webhookUrl, receipt, p.wa.appSecret)).status).toBe(200)
  await eventually(async () => {
    const res = await api<{ status: string }>("GET", `/api/bots/${p.wa.id}/messages/${botMessageId}`, {
      token: p.admin,
    })
    return res.body.status === status ? true : undefined
  })
  await eventually(async () => {
    const owed = await runInDurableObject(
      botStub(p.wa.id),
      (_bot, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM notices").one().n,
    )
    return owed === 0 ? true : undefined
  })
}
