// Contact sends against the fakes, part 2: opt-out by keyword, sends no channel can take, tenancy and roles, and
// idempotency. Deadlines, evictions and routing order: contacts-routing.test.ts.
import { describe, expect, it } from "vitest"
import {
  barrier,
  type ContactMessage,
  finalState,
  type Person,
  person,
  randomWaId,
  received,
  routePreview,
  sendToContact,
  sentTo,
  wroteOnTelegram,
  wroteOnWhatsApp,
} from "../contacts-helpers"
import { api, tokenFor, uniqueBusiness } from "../helpers"
import { createWhatsAppBot, fakes } from "../messaging-helpers"

type ErrorShape = { error: { code: string; message: string; details?: { fields: { path: string }[] } } }

const STOP_REPLY = "You are unsubscribed"
const START_REPLY = "You are subscribed again"
const story = (m: ContactMessage) => m.attempts.map((a) => [a.platform, a.status])
const both = { channels: ["telegram", "whatsapp"] }

/** Whether Telegram is skipped as opted out, by the route preview. */
async function telegramOptedOut(p: Person): Promise<boolean> {
  const preview = await routePreview(p, { text: "hi", route: both })
  const telegram = preview.candidates.find((c) => c.platform === "telegram")
  expect(preview.candidates.find((c) => c.platform === "whatsapp")?.kept).toBe(true)
  if (telegram?.kept) return false
  expect(telegram?.reason).toMatch(/^opted_out/)
  return true
}

describe("opt-out", () => {
  it("honours STOP (any case) once, skips the channel for contact sends but still answers the person, and START undoes it", async () => {
    const p = await person()
    await wroteOnTelegram(p.tg, p.tgChat, "sToP")
    expect(await received(p, "telegram", STOP_REPLY)).toHaveLength(1)
    // Again: already opted out, so no second acknowledgement. The person's next message is answered after it.
    await wroteOnTelegram(p.tg, p.tgChat, "STOP", { awaitReply: false })
    await wroteOnTelegram(p.tg, p.tgChat, "is anyone there?")
    expect(await received(p, "telegram", "is anyone there?")).toHaveLength(1)
    expect(await received(p, "telegram", STOP_REPLY)).toHaveLength(1)

    expect(await telegramOptedOut(p)).toBe(true)
    const sent = await sendToContact(p.admin, p.contactId, { text: "weekly offers", route: both })
    const done = await finalState(p.admin, p.contactId, sent.id, (m) => m.status === "sent")
    expect(story(done)).toEqual([["whatsapp", "sent"]])
    expect(done.route.candidates[0]).toMatchObject({ platform: "telegram", kept: false })

    await wroteOnTelegram(p.tg, p.tgChat, "start")
    expect(await received(p, "telegram", START_REPLY)).toHaveLength(1)
    expect(await telegramOptedOut(p)).toBe(false)
    const back = await sendToContact(p.admin, p.contactId, { text: "welcome back", route: both })
    expect(story(await finalState(p.admin, p.contactId, back.id, (m) => m.status === "sent"))).toEqual([
      ["telegram", "sent"],
    ])
    expect(await sentTo("telegram", p.tg.token, p.tgChat, "weekly offers")).toHaveLength(0)
    expect(await received(p, "telegram", STOP_REPLY)).toHaveLength(1)
  }, 30_000)

  it("uses the business's own keywords and answers from PUT /api/settings/opt-out", async () => {
    const businessId = uniqueBusiness("optout")
    const settings = { stopKeywords: ["HALT"], startKeywords: ["RESUME"], stopReply: "Halted.", startReply: "Resumed." }
    const put = await api("PUT", "/api/settings/opt-out", { token: await tokenFor(businessId), body: settings })
    expect(put.status, put.text).toBe(200)
    const p = await person({ businessId })

    await wroteOnTelegram(p.tg, p.tgChat, "halt")
    expect(await received(p, "telegram", "Halted.")).toHaveLength(1)
    expect(await telegramOptedOut(p)).toBe(true)
    // STOP is no keyword of this business: an ordinary message, echoed, and nothing changes.
    await wroteOnTelegram(p.tg, p.tgChat, "stop")
    expect(await received(p, "telegram", STOP_REPLY)).toHaveLength(0)
    expect(await telegramOptedOut(p)).toBe(true)
    await wroteOnTelegram(p.tg, p.tgChat, "Resume")
    expect(await received(p, "telegram", "Resumed.")).toHaveLength(1)
    expect(await telegramOptedOut(p)).toBe(false)
  }, 30_000)
})

describe("sends no channel can take", () => {
  it("fails with every channel's reason when each one refuses", async () => {
    const p = await person()
    await fakes.telegram.fail({ account: p.tg.token, method: "sendMessage", mode: "403", times: 1 })
    await fakes.whatsapp.fail({ account: p.wa.phoneNumberId, method: "messages", mode: "wa_code", code: 131026 })
    const sent = await sendToContact(p.admin, p.contactId, { text: "nobody home", route: both })
    const done = await finalState(p.admin, p.contactId, sent.id, (m) => m.status === "failed")
    expect(story(done)).toEqual([
      ["telegram", "failed"],
      ["whatsapp", "failed"],
    ])
    expect(done.error).toMatch(/^every channel failed: /)
    expect(done.error).toContain(`telegram (${p.tg.id}): `)
    expect(done.error).toContain(`whatsapp (${p.wa.id}): `)
    expect(done.error).toMatch(/blocked/)
    expect(done.error).toMatch(/131026/)
    expect(await received(p, "telegram", "nobody home")).toHaveLength(0)
    expect(await received(p, "whatsapp", "nobody home")).toHaveLength(0)
  })

  it("fails at once with the skip reason, sending nothing, when the contact's only channel is skipped", async () => {
    const wa = await createWhatsAppBot()
    const chat = randomWaId()
    const created = await api<{ contact: { id: string } }>("POST", "/api/contacts", {
      token: wa.admin,
      body: { name: "Never wrote", identities: [{ botId: wa.id, chatId: chat }] },
    })
    expect(created.status).toBe(201)
    const contactId = created.body.contact.id
    const sent = await sendToContact(wa.admin, contactId, { text: "out of the blue" })
    expect(sent.status).toBe("failed")
    expect(sent.attempts).toEqual([])
    expect(sent.error).toMatch(/^no channel can take it: whatsapp \(.+\) skipped: window_closed/)
    // Barrier: the person writes now; the echo is sent after anything queued for that chat before it.
    await wroteOnWhatsApp(wa, chat, "hello?")
    expect(await sentTo("whatsapp", wa.phoneNumberId, chat, "hello?")).toHaveLength(1)
    expect(await sentTo("whatsapp", wa.phoneNumberId, chat, "out of the blue")).toHaveLength(0)
    expect((await finalState(wa.admin, contactId, sent.id, () => true)).status).toBe("failed")
  })
})

describe("tenancy and roles", () => {
  it("hides a contact's sends from other businesses (404), refuses viewers (403) and unknown channels (422)", async () => {
    const p = await person({ writeOnWhatsApp: false })
    const sent = await sendToContact(p.admin, p.contactId, { text: "ours", route: { channels: ["telegram"] } })
    const base = `/api/contacts/${p.contactId}`
    const other = await tokenFor(uniqueBusiness("other"))
    for (const [method, path, body] of [
      ["POST", `${base}/messages`, { text: "theirs" }],
      ["GET", `${base}/messages/${sent.id}`, undefined],
      ["POST", `${base}/route-preview`, { text: "theirs" }],
    ] as const) {
      const res = await api<ErrorShape>(method, path, { token: other, body })
      expect(res.status, `${method} ${path}`).toBe(404)
      expect(res.body.error.code).toBe("not_found")
    }

    const viewer = await tokenFor(p.businessId, "viewer")
    expect((await api("POST", `${base}/messages`, { token: viewer, body: { text: "viewer" } })).status).toBe(403)
    expect((await api("GET", `${base}/messages/${sent.id}`, { token: viewer })).status).toBe(200)
    expect((await api("POST", `${base}/route-preview`, { token: viewer, body: { text: "hi" } })).status).toBe(200)

    const bad = await api<ErrorShape>("POST", `${base}/messages`, {
      token: p.admin,
      body: { text: "by pigeon", route: { channels: ["carrier-pigeon", "telegram"] } },
    })
    expect(bad.status).toBe(422)
    expect(bad.body.error.code).toBe("validation_failed")
    expect(bad.body.error.details?.fields.map((f) => f.path)).toEqual(["route.channels.0"])

    await finalState(p.admin, p.contactId, sent.id, (m) => m.status === "sent")
    await barrier(p, "telegram")
    for (const text of ["theirs", "viewer", "by pigeon"])
      expect(await sentTo("telegram", p.tg.token, p.tgChat, text)).toHaveLength(0)
  })
})

describe("idempotency", () => {
  it("answers a repeated idempotencyKey with the same send (duplicate: true) and refuses it with another body (409)", async () => {
    const p = await person()
    const body = { text: "order 42 shipped", idempotencyKey: "order-42-shipped", route: { channels: ["telegram"] } }
    const first = await sendToContact(p.admin, p.contactId, body)
    expect(first.duplicate).toBe(false)
    const again = await sendToContact(p.admin, p.contactId, body)
    expect(again).toMatchObject({ id: first.id, duplicate: true })
    await finalState(p.admin, p.contactId, first.id, (m) => m.status === "sent")

    const conflict = await api<ErrorShape>("POST", `/api/contacts/${p.contactId}/messages`, {
      token: p.admin,
      body: { ...body, text: "order 43 shipped" },
    })
    expect(conflict.status).toBe(409)
    expect(conflict.body.error.code).toBe("idempotency_conflict")
    await barrier(p, "telegram")
    expect(await sentTo("telegram", p.tg.token, p.tgChat, "order 42 shipped")).toHaveLength(1)
    expect(await sentTo("telegram", p.tg.token, p.tgChat, "order 43 shipped")).toHaveLength(0)
  })
})
