// A broadcast to an audience: the business's contacts with a tag, each routed to its best channel, one broadcast
// per bot, a template filled in from each contact; people no channel can take are reported, never sent to.
import { describe, expect, it } from "vitest"
import { randomChat, randomWaId, sentTo, wroteOnTelegram, wroteOnWhatsApp } from "../contacts-helpers"
import { telegramTextUpdate } from "../fakes/builders"
import { api } from "../helpers"
import { createTelegramBot, createWhatsAppBot, eventually, postTelegramUpdate } from "../messaging-helpers"

interface Result {
  contacts: number
  reached: number
  unreachable: { contactId: string; reason: string }[]
  broadcasts: { botId: string; broadcast: { id: string; total: number; status: string } }[]
}

describe("audience broadcasts", () => {
  it("reaches each tagged contact on its best channel with its own values, and reports who cannot be reached", async () => {
    const tg = await createTelegramBot()
    const wa = await createWhatsAppBot({ admin: tg.admin })
    const admin = tg.admin
    const contact = async (body: Record<string, unknown>) => {
      const res = await api<{ contact: { id: string } }>("POST", "/api/contacts", { token: admin, body })
      expect(res.status, res.text).toBe(201)
      return res.body.contact.id
    }
    // Ada wrote on both and prefers WhatsApp; Bob is on Telegram only; Cy is on WhatsApp but never wrote (the
    // window is closed for text); Dee opted out on Telegram; Eve has another tag.
    const [adaTg, adaWa, bobTg, cyWa, deeTg, eveTg] = [
      randomChat(),
      randomWaId(),
      randomChat(),
      randomWaId(),
      randomChat(),
      randomChat(),
    ]
    // The contacts exist before the people write, so what the bots learn joins them (no contact of their own).
    const ada = await contact({
      name: "Ada",
      tags: ["vip"],
      preferredPlatforms: ["whatsapp"],
      identities: [
        { botId: tg.id, chatId: adaTg },
        { botId: wa.id, chatId: adaWa },
      ],
    })
    await contact({ name: "Bob", tags: ["vip"], identities: [{ botId: tg.id, chatId: bobTg }] })
    const cy = await contact({ name: "Cy", tags: ["vip"], identities: [{ botId: wa.id, chatId: cyWa }] })
    const dee = await contact({ name: "Dee", tags: ["vip"], identities: [{ botId: tg.id, chatId: deeTg }] })
    await contact({ name: "Eve", tags: ["other"], identities: [{ botId: tg.id, chatId: eveTg }] })
    await wroteOnTelegram(tg, adaTg, "hi")
    await wroteOnWhatsApp(wa, adaWa, "hi")
    await wroteOnTelegram(tg, bobTg, "hi")
    await wroteOnTelegram(tg, deeTg, "hi")
    await wroteOnTelegram(tg, eveTg, "hi")
    // Dee says STOP (the bot acknowledges it once).
    await postTelegramUpdate(tg, telegramTextUpdate({ chatId: Number(deeTg), text: "STOP" }))
    await eventually(async () =>
      (await sentTo("telegram", tg.token, deeTg, "unsubscribed")).length === 1 ? true : undefined,
    )
    const template = await api<{ template: { id: string } }>("POST", "/api/templates", {
      token: admin,
      body: {
        name: `vip-${crypto.randomUUID()}`,
        variables: [{ name: "name" }],
        body: "Hello {{name}}, early access is open",
      },
    })
    expect(template.status, template.text).toBe(201)
    const res = await api<Result>("POST", "/api/broadcasts", {
      token: admin,
      body: { name: "vip early access", audience: { tag: "vip" }, templateId: template.body.template.id },
    })
    expect(res.status, res.text).toBe(202)
    expect(res.body).toMatchObject({ contacts: 4, reached: 2 })
    expect(res.body.unreachable.map((u) => u.contactId).sort()).toEqual([cy, dee].sort())
    const byBot = Object.fromEntries(res.body.broadcasts.map((b) => [b.botId, b.broadcast.total]))
    expect(byBot).toEqual({ [wa.id]: 1, [tg.id]: 1 })
    await eventually(async () =>
      (await sentTo("whatsapp", wa.phoneNumberId, adaWa, "Hello Ada, early access is open")).length === 1
        ? true
        : undefined,
    )
    await eventually(async () =>
      (await sentTo("telegram", tg.token, bobTg, "Hello Bob, early access is open")).length === 1 ? true : undefined,
    )
    // Ada's Telegram chat, Cy, Dee and Eve got nothing: both broadcasts are done and sent one message each.
    for (const b of res.body.broadcasts)
      await eventually(async () => {
        const r = await api<{ broadcast: { status: string; sent: number } }>(
          "GET",
          `/api/bots/${b.botId}/broadcasts/${b.broadcast.id}`,
          { token: admin },
        )
        return r.body.broadcast.status === "done" ? r.body.broadcast : undefined
      })
    expect(await sentTo("telegram", tg.token, adaTg, "early access")).toHaveLength(0)
    expect(await sentTo("telegram", tg.token, deeTg, "early access")).toHaveLength(0)
    expect(await sentTo("telegram", tg.token, eveTg, "early access")).toHaveLength(0)
    expect(await sentTo("whatsapp", wa.phoneNumberId, cyWa, "early access")).toHaveLength(0)
    expect(ada).toMatch(/^ct_/)
  }, 60_000)
})
