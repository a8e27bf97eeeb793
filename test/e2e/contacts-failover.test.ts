// Contact sends against the fakes: smart routing picks the channel order, a terminal failure on one channel moves the
// send to the next by itself, exactly once per channel, and the attempts list tells the story.
import { describe, expect, it } from "vitest"
import { telegramTextUpdate, whatsappTextEvent } from "../fakes/builders"
import { api } from "../helpers"
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
} from "../messaging-helpers"

interface Attempt {
  hop: number
  botId: string
  platform: string
  status: string
  error: string | null
}
interface ContactMessage {
  id: string
  status: string
  error: string | null
  attempts: Attempt[]
  route: { source: string; candidates: { botId: string; platform: string; kept: boolean; reason: string }[] }
}

const randomChat = () => String(100_000_000 + Math.floor(Math.random() * 899_999_999))
const randomWaId = () => `1555${Math.floor(Math.random() * 1e7)}`

/** A business with one Telegram and one WhatsApp bot, and a person who wrote to both (so WhatsApp's window is open). */
async function person(opts: { writeOnWhatsApp?: boolean; writeOnTelegram?: boolean } = {}) {
  const tg = await createTelegramBot()
  const wa = await createWhatsAppBot({ admin: tg.admin })
  const tgChat = randomChat()
  const waChat = randomWaId()
  if (opts.writeOnTelegram ?? true) await wroteOnTelegram(tg, tgChat, "hello")
  if (opts.writeOnWhatsApp ?? true) await wroteOnWhatsApp(wa, waChat, "hello")
  const created = await api<{ contact: { id: string } }>("POST", "/api/contacts", {
    token: tg.admin,
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
  return { tg, wa, tgChat, waChat, contactId: created.body.contact.id, admin: tg.admin }
}

/** Posts an inbound message and waits until the bot has handled it (its echo reached the fake). */
async function wroteOnTelegram(bot: TelegramBot, chatId: string, text: string) {
  const before = (await fakes.telegram.requests({ account: bot.token, method: "sendMessage" })).length
  const res = await postTelegramUpdate(bot, telegramTextUpdate({ chatId: Number(chatId), text }))
  expect(res.status).toBe(200)
  await eventually(
    async () =>
      (await fakes.telegram.requests({ account: bot.token, method: "sendMessage" })).length > before ? true : undefined,
    8_000,
    "the Telegram echo",
  )
}

async function wroteOnWhatsApp(bot: WhatsAppBot, from: string, text: string) {
  const before = (await fakes.whatsapp.requests({ account: bot.phoneNumberId, method: "messages" })).length
  const res = await postWhatsApp(
    bot.webhookUrl,
    whatsappTextEvent({ phoneNumberId: bot.phoneNumberId, from, text }),
    bot.appSecret,
  )
  expect(res.status).toBe(200)
  await eventually(
    async () =>
      (await fakes.whatsapp.requests({ account: bot.phoneNumberId, method: "messages" })).length > before
        ? true
        : undefined,
    8_000,
    "the WhatsApp echo",
  )
}

async function sendToContact(admin: string, contactId: string, body: Record<string, unknown>) {
  const res = await api<ContactMessage>("POST", `/api/contacts/${contactId}/messages`, { token: admin, body })
  expect(res.status, res.text).toBe(202)
  return res.body
}

async function finalState(admin: string, contactId: string, id: string, done: (m: ContactMessage) => boolean) {
  return eventually(
    async () => {
      const res = await api<ContactMessage>("GET", `/api/contacts/${contactId}/messages/${id}`, { token: admin })
      return res.status === 200 && done(res.body) ? res.body : undefined
    },
    12_000,
    "the contact send's final state",
  )
}

const sentTo = async (platform: "telegram" | "whatsapp", account: string, chatId: string, text: string) =>
  (await fakes.of(platform).requests({ account, method: platform === "telegram" ? "sendMessage" : "messages" })).filter(
    (r) => {
      const body = r.body as Record<string, unknown>
      const to = String(body.chat_id ?? body.to ?? "")
      const said = JSON.stringify(body)
      return to === chatId && said.includes(text)
    },
  )

describe("contact sends", () => {
  it("moves on from Telegram blocked (403) to WhatsApp, which receives the message exactly once", async () => {
    const p = await person()
    await fakes.telegram.fail({ account: p.tg.token, method: "sendMessage", mode: "403", times: 1 })
    const sent = await sendToContact(p.admin, p.contactId, {
      text: "your order shipped",
      route: { channels: ["telegram", "whatsapp"] },
    })
    expect(sent.route.source).toBe("route")
    const done = await finalState(p.admin, p.contactId, sent.id, (m) => m.status === "sent" || m.status === "failed")
    expect(done.status).toBe("sent")
    expect(done.attempts.map((a) => [a.platform, a.status])).toEqual([
      ["telegram", "failed"],
      ["whatsapp", "sent"],
    ])
    expect(done.attempts[0]?.error).toMatch(/blocked/)
    // Barrier for "exactly once": a later message to the same chat arrives after anything this send could still do.
    const later = await sendToContact(p.admin, p.contactId, { text: "barrier", route: { channels: ["whatsapp"] } })
    await finalState(p.admin, p.contactId, later.id, (m) => m.status === "sent")
    expect(await sentTo("whatsapp", p.wa.phoneNumberId, p.waChat, "your order shipped")).toHaveLength(1)
    expect(await sentTo("telegram", p.tg.token, p.tgChat, "your order shipped")).toHaveLength(1)
  })

  it("skips WhatsApp when its 24-hour window is closed and says why, without calling WhatsApp", async () => {
    const p = await person({ writeOnWhatsApp: false })
    const preview = await api<
      ContactMessage["route"] & { candidates: { platform: string; kept: boolean; reason: string }[] }
    >("POST", `/api/contacts/${p.contactId}/route-preview`, {
      token: p.admin,
      body: { text: "hi", route: { channels: ["whatsapp", "telegram"] } },
    })
    expect(preview.status).toBe(200)
    expect(preview.body.candidates.map((c) => [c.platform, c.kept])).toEqual([
      ["whatsapp", false],
      ["telegram", true],
    ])
    expect(preview.body.candidates[0]?.reason).toMatch(/^window_closed/)
    const sent = await sendToContact(p.admin, p.contactId, {
      text: "hi there",
      route: { channels: ["whatsapp", "telegram"] },
    })
    const done = await finalState(p.admin, p.contactId, sent.id, (m) => m.status === "sent")
    expect(done.attempts.map((a) => a.platform)).toEqual(["telegram"])
    expect(await sentTo("whatsapp", p.wa.phoneNumberId, p.waChat, "hi there")).toHaveLength(0)
  })

  it("learns who wrote: an inbound message creates a contact, flushed with the rollups in one batch", async () => {
    const tg = await createTelegramBot()
    const chats = [randomChat(), randomChat(), randomChat()]
    for (const chat of chats) await wroteOnTelegram(tg, chat, "hi")
    await wroteOnTelegram(tg, chats[0] ?? "", "again")
    const found = await eventually(
      async () => {
        const res = await api<{ contacts: { identities: { chatId: string; lastInboundAt: string | null }[] }[] }>(
          "GET",
          `/api/contacts?botId=${tg.id}`,
          { token: tg.admin },
        )
        return res.body.contacts.length === chats.length ? res.body.contacts : undefined
      },
      40_000,
      "the contacts of the people who wrote",
    )
    expect(found.flatMap((c) => c.identities.map((i) => i.chatId)).sort()).toEqual([...chats].sort())
    expect(found.every((c) => c.identities[0]?.lastInboundAt !== null)).toBe(true)
    // The counts reached the registry too, though nothing happened after the last reply (nothing left stale).
    const listed = await api<{ bots: { id: string; last24h?: { inbound: number; outbound: number } }[] }>(
      "GET",
      "/api/bots",
      { token: tg.admin },
    )
    expect(listed.body.bots.find((b) => b.id === tg.id)?.last24h).toMatchObject({ inbound: 4, outbound: 4 })
    // Four messages and three people, but the bot's object wrote D1 in batches: far fewer than one write each.
    const stats = await botStub(tg.id).stats()
    expect(stats.registryWrites).toBeGreaterThan(0)
    expect(stats.registryWrites).toBeLessThan(4)
  }, 60_000)
})
