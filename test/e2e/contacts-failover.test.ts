// Contact sends against the fakes: smart routing picks the channel order, a terminal failure on one channel moves the
// send to the next by itself, exactly once per channel, and the attempts list tells the story.
import { describe, expect, it } from "vitest"
import { finalState, person, type RoutePreview, randomChat, sendToContact, sentTo } from "../contacts-helpers"
import { telegramTextUpdate } from "../fakes/builders"
import { api } from "../helpers"
import { botStub, createTelegramBot, eventually, fakes, postTelegramUpdate } from "../messaging-helpers"

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
    const preview = await api<RoutePreview>("POST", `/api/contacts/${p.contactId}/route-preview`, {
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
    // Twelve messages from three people, in a burst: the webhooks never write D1, the bot's object does, in batches.
    for (let i = 0; i < 12; i++) {
      const res = await postTelegramUpdate(tg, telegramTextUpdate({ chatId: Number(chats[i % 3]), text: `m${i}` }))
      expect(res.status).toBe(200)
    }
    await eventually(
      async () =>
        (await fakes.telegram.requests({ account: tg.token, method: "sendMessage" })).length >= 12 ? true : undefined,
      15_000,
      "the twelve echoes",
    )
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
    expect(listed.body.bots.find((b) => b.id === tg.id)?.last24h).toMatchObject({ inbound: 12, outbound: 12 })
    // Twelve messages and three people, and the bot's object wrote D1 in a few batches (the count survives
    // evictions): the first activity's flush, then one after the 15 s coalescing, perhaps one more.
    const stats = await botStub(tg.id).stats()
    expect(stats.registryWrites).toBeGreaterThan(0)
    expect(stats.registryWrites).toBeLessThanOrEqual(3)
  }, 60_000)
})
