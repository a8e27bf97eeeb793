// Contact sends against the fakes, part 1: the delivery deadline (failoverAfterSeconds) and late receipts, evictions
// in the middle of a hop, and the order smart routing picks (rules by message kind, preferred platforms, recency).
// Opt-out, all-channels-failed, tenancy and idempotency: contacts-policy.test.ts.
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import {
  barrier,
  type ContactMessage,
  contactObject,
  finalState,
  person,
  receiptReached,
  received,
  routePreview,
  sendToContact,
  sentTo,
  wroteOnTelegram,
  wroteOnWhatsApp,
} from "../contacts-helpers"
import { api } from "../helpers"
import { botStub, eventually, fakes } from "../messaging-helpers"

const order = (r: { candidates: { platform: string; kept: boolean }[] }) =>
  r.candidates.map((c) => [c.platform, c.kept])
const story = (m: ContactMessage) => m.attempts.map((a) => [a.platform, a.status])
const FAILOVER_SECONDS = 5

describe("the delivery deadline (failoverAfterSeconds)", () => {
  it("moves a WhatsApp send without a delivery receipt to Telegram after the deadline, and a late receipt changes nothing", async () => {
    const p = await person()
    const text = "deadline passes"
    const sent = await sendToContact(p.admin, p.contactId, {
      text,
      route: { channels: ["whatsapp", "telegram"], failoverAfterSeconds: FAILOVER_SECONDS },
    })
    const done = await finalState(p.admin, p.contactId, sent.id, (m) => m.attempts.length === 2 && m.status === "sent")
    expect(story(done)).toEqual([
      ["whatsapp", "timed_out"],
      ["telegram", "sent"],
    ])
    expect(done.attempts[0]?.error).toMatch(/not delivered in time/)
    // Not before the deadline: the Telegram hop began at least failoverAfterSeconds after the send.
    const movedAfter = Date.parse(done.attempts[1]?.at ?? "") - Date.parse(done.createdAt)
    expect(movedAfter).toBeGreaterThanOrEqual(FAILOVER_SECONDS * 1000)
    expect(await received(p, "whatsapp", text)).toHaveLength(1)
    expect(await received(p, "telegram", text)).toHaveLength(1)

    // WhatsApp's "delivered" arrives after all: the bot applies it and hands the outcome over to the send, which has
    // moved on and must ignore it.
    await receiptReached(p, done.attempts[0]?.botMessageId ?? "", "delivered")
    await barrier(p, "whatsapp")
    await barrier(p, "telegram")
    const after = await api<ContactMessage>("GET", `/api/contacts/${p.contactId}/messages/${sent.id}`, {
      token: p.admin,
    })
    expect(after.body.status).toBe("sent")
    expect(after.body.attempts).toEqual(done.attempts)
    expect(after.body.updatedAt).toBe(done.updatedAt)
    expect(await sentTo("whatsapp", p.wa.phoneNumberId, p.waChat, text)).toHaveLength(1)
    expect(await sentTo("telegram", p.tg.token, p.tgChat, text)).toHaveLength(1)
  }, 30_000)

  it("stays on WhatsApp when its delivery receipt arrives before the deadline: Telegram never gets it", async () => {
    const p = await person()
    const text = "delivered in time"
    const sent = await sendToContact(p.admin, p.contactId, {
      text,
      route: { channels: ["whatsapp", "telegram"], failoverAfterSeconds: FAILOVER_SECONDS },
    })
    const taken = await finalState(p.admin, p.contactId, sent.id, (m) => m.attempts[0]?.status === "sent")
    await receiptReached(p, taken.attempts[0]?.botMessageId ?? "", "delivered")
    const delivered = await finalState(p.admin, p.contactId, sent.id, (m) => m.status === "delivered")
    expect(story(delivered)).toEqual([["whatsapp", "delivered"]])

    // Let the deadline pass (it was set when WhatsApp's bot took the hop, just after the send was created), run the
    // object's alarm now if it has not run yet, then a barrier through Telegram: a failover would have come first.
    const deadline = Date.parse(sent.createdAt) + FAILOVER_SECONDS * 1000 + 1_000
    await eventually(async () => (Date.now() > deadline ? true : undefined), 10_000, "the deadline")
    await runDurableObjectAlarm(contactObject(p.contactId))
    await barrier(p, "telegram")
    expect(await sentTo("telegram", p.tg.token, p.tgChat, text)).toHaveLength(0)
    const after = await finalState(p.admin, p.contactId, sent.id, () => true)
    expect(after.status).toBe("delivered")
    expect(story(after)).toEqual([["whatsapp", "delivered"]])
    expect(await received(p, "whatsapp", text)).toHaveLength(1)
  }, 30_000)
})

describe("evictions in the middle of a hop", () => {
  it("still reaches WhatsApp exactly once when both objects go away while Telegram's refusal is on its way", async () => {
    const p = await person()
    const text = "survives evictions"
    // Telegram refuses every try (403, so a resend after the eviction is refused too), slowly: the call is in flight
    // long enough to pull the objects out from under it.
    await fakes.telegram.fail({ account: p.tg.token, method: "sendMessage", mode: "403", times: 3 })
    await fakes.telegram.latency(1_500, p.tg.token)
    const sent = await sendToContact(p.admin, p.contactId, { text, route: { channels: ["telegram", "whatsapp"] } })
    await eventually(
      async () =>
        (await sentTo("telegram", p.tg.token, p.tgChat, text)).some((r) => r.outcome === "pending") ? true : undefined,
      8_000,
      "the Telegram call in flight",
    )
    // The contact's object waits for the bot's word: evicted (it is running, having just taken the send). The bot's
    // object is in its alarm, awaiting Telegram: aborted, so the alarm fails and runs again on a fresh instance.
    const contact = contactObject(p.contactId)
    await contact.get("cmsg_none")
    await evictDurableObject(contact)
    await runInDurableObject(botStub(p.tg.id), (_bot, state) => state.abort("evicted by the test")).catch(() => null)
    await fakes.telegram.latency(0, p.tg.token)

    const done = await finalState(
      p.admin,
      p.contactId,
      sent.id,
      (m) => m.status === "sent" || m.status === "failed",
      20_000,
    )
    expect(story(done)).toEqual([
      ["telegram", "failed"],
      ["whatsapp", "sent"],
    ])
    expect(done.attempts[0]?.error).toMatch(/blocked/)
    // The call the abort cut short was made again by the fresh instance (and refused again): never lost.
    const calls = await sentTo("telegram", p.tg.token, p.tgChat, text)
    expect(calls.map((c) => c.outcome)).toEqual([403, 403])
    await barrier(p, "whatsapp")
    expect(await sentTo("whatsapp", p.wa.phoneNumberId, p.waChat, text)).toHaveLength(1)
    expect(await received(p, "telegram", text)).toHaveLength(0)
  }, 40_000)
  it("still reaches WhatsApp exactly once when the contact's object is aborted while handing it the next hop", async () => {
    const p = await person()
    const text = "aborted mid hand-over"
    await fakes.telegram.fail({ account: p.tg.token, method: "sendMessage", mode: "403", times: 1 })
    await fakes.telegram.latency(500, p.tg.token)
    const sent = await sendToContact(p.admin, p.contactId, { text, route: { channels: ["telegram", "whatsapp"] } })
    await eventually(async () => ((await sentTo("telegram", p.tg.token, p.tgChat, text)).length > 0 ? true : undefined))
    // WhatsApp's bot is busy for 3 s: after Telegram's refusal, the contact's object records the next hop and waits in
    // its hand-over to that bot. It is aborted right there.
    const busy = runInDurableObject(botStub(p.wa.id), (_bot, state) =>
      state.blockConcurrencyWhile(() => new Promise((resolve) => setTimeout(resolve, 3_000))),
    )
    await finalState(p.admin, p.contactId, sent.id, (m) => m.attempts[1]?.status === "dispatching")
    await runInDurableObject(contactObject(p.contactId), (_c, state) => state.abort("aborted by the test")).catch(
      () => null,
    )
    await busy
    const done = await finalState(p.admin, p.contactId, sent.id, (m) => m.status === "sent" || m.status === "failed")
    expect(story(done)).toEqual([
      ["telegram", "failed"],
      ["whatsapp", "sent"],
    ])
    await barrier(p, "whatsapp")
    expect(await sentTo("whatsapp", p.wa.phoneNumberId, p.waChat, text)).toHaveLength(1)
  }, 30_000)
})

describe("smart routing", () => {
  it("orders by the business's rule for the message kind: text on Telegram first, media on WhatsApp first", async () => {
    const p = await person()
    const rules = [
      { name: "media on WhatsApp", match: { kinds: ["media"] }, platforms: ["whatsapp"] },
      { name: "text on Telegram", match: { kinds: ["text"] }, platforms: ["telegram"] },
    ]
    const put = await api("PUT", "/api/routing", { token: p.admin, body: { rules } })
    expect(put.status, put.text).toBe(200)
    const media = { kind: "image", url: "https://cdn.example.com/catalogue.jpg", caption: "new in" }

    const textRoute = await routePreview(p, { text: "hi" })
    expect(textRoute).toMatchObject({ kind: "text", source: "rule", rule: "text on Telegram" })
    expect(order(textRoute)).toEqual([
      ["telegram", true],
      ["whatsapp", true],
    ])
    const mediaRoute = await routePreview(p, { media })
    expect(mediaRoute).toMatchObject({ kind: "media", source: "rule", rule: "media on WhatsApp" })
    expect(order(mediaRoute)).toEqual([
      ["whatsapp", true],
      ["telegram", true],
    ])

    const textSend = await sendToContact(p.admin, p.contactId, { text: "by the text rule" })
    const mediaSend = await sendToContact(p.admin, p.contactId, { media })
    expect(textSend.route).toMatchObject({ source: "rule", rule: "text on Telegram" })
    expect(mediaSend.route).toMatchObject({ source: "rule", rule: "media on WhatsApp" })
    const isSent = (m: ContactMessage) => m.status === "sent"
    expect(story(await finalState(p.admin, p.contactId, textSend.id, isSent))).toEqual([["telegram", "sent"]])
    expect(story(await finalState(p.admin, p.contactId, mediaSend.id, isSent))).toEqual([["whatsapp", "sent"]])
    expect(await received(p, "telegram", "by the text rule")).toHaveLength(1)
    expect(await received(p, "whatsapp", media.url)).toHaveLength(1)
  }, 30_000)

  it("puts the contact's preferred platform first, over the default of whoever the person wrote from last", async () => {
    const p = await person({ writeOnTelegram: false, writeOnWhatsApp: false })
    const now = Date.now()
    await wroteOnWhatsApp(p.wa, p.waChat, "earlier", { at: now - 120_000 })
    await wroteOnTelegram(p.tg, p.tgChat, "later", { at: now - 60_000 })

    const byRecency = await routePreview(p, { text: "hi" })
    expect(byRecency.source).toBe("recency")
    expect(order(byRecency)).toEqual([
      ["telegram", true],
      ["whatsapp", true],
    ])
    expect(byRecency.candidates[0]?.reason).toMatch(/wrote here/)

    const patched = await api("PATCH", `/api/contacts/${p.contactId}`, {
      token: p.admin,
      body: { preferredPlatforms: ["whatsapp"] },
    })
    expect(patched.status, patched.text).toBe(200)
    const preferred = await routePreview(p, { text: "hi" })
    expect(preferred.source).toBe("preferredPlatforms")
    expect(order(preferred)).toEqual([
      ["whatsapp", true],
      ["telegram", true],
    ])
    const sent = await sendToContact(p.admin, p.contactId, { text: "as you prefer" })
    expect(sent.route.source).toBe("preferredPlatforms")
    const done = await finalState(p.admin, p.contactId, sent.id, (m) => m.status === "sent")
    expect(story(done)).toEqual([["whatsapp", "sent"]])

    // Without a preference, recency again: WhatsApp now, since the person has written there since.
    await api("PATCH", `/api/contacts/${p.contactId}`, { token: p.admin, body: { preferredPlatforms: [] } })
    await wroteOnWhatsApp(p.wa, p.waChat, "latest")
    const again = await routePreview(p, { text: "hi" })
    expect(again.source).toBe("recency")
    expect(order(again)).toEqual([
      ["whatsapp", true],
      ["telegram", true],
    ])
    await barrier(p, "telegram")
    expect(await sentTo("telegram", p.tg.token, p.tgChat, "as you prefer")).toHaveLength(0)
  }, 30_000)
})
