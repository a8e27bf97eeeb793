// Smart routing as a pure function: which channels a contact send tries, in what order, and why others are skipped.
import { describe, expect, it } from "vitest"
import { type PlanBot, plan } from "../../src/contacts/plan"
import { getProvider, platformSchema } from "../../src/providers"
import type { Contact, Identity, RoutingRule } from "../../src/registry/contact-schemas"

const NOW = Date.UTC(2026, 10, 30, 12)
const HOUR = 3600_000

function identity(botId: string, platform: string, chatId: string, lastInboundAt: number | null): Identity {
  return { botId, platform, chatId, displayName: null, optedOut: false, lastInboundAt, createdAt: NOW - 100 * HOUR }
}

function contact(identities: Identity[], extra: Partial<Contact> = {}): Contact {
  return {
    id: "ct_1",
    businessId: "b",
    name: "Ada",
    attributes: {},
    tags: [],
    preferredPlatforms: [],
    createdAt: NOW,
    updatedAt: NOW,
    identities,
    ...extra,
  }
}

const bots = new Map<string, PlanBot>([
  ["tg", { id: "tg", platform: "telegram", status: "active" }],
  ["wa", { id: "wa", platform: "whatsapp", status: "active" }],
  ["sl", { id: "sl", platform: "slack", status: "active" }],
  ["off", { id: "off", platform: "telegram", status: "stopped" }],
])

const platforms = (p: string) => {
  const parsed = platformSchema.safeParse(p)
  return parsed.success ? getProvider(parsed.data) : null
}

const tg = identity("tg", "telegram", "111", NOW - 3 * HOUR)
const wa = identity("wa", "whatsapp", "15550001", NOW - 1 * HOUR)
const sl = identity("sl", "slack", "C1", NOW - 2 * HOUR)

const run = (
  c: Contact,
  opts: { channels?: string[]; rules?: RoutingRule[]; text?: string; template?: boolean } = {},
) =>
  plan({
    contact: c,
    bots,
    content: opts.template ? { template: { name: "order_update", language: "en_US" } } : { text: opts.text ?? "hi" },
    route: opts.channels ? { channels: opts.channels } : undefined,
    rules: opts.rules ?? [],
    platforms,
    now: NOW,
  })

const order = (p: ReturnType<typeof plan>) => p.candidates.map((c) => c.botId)

describe("contact routing plan", () => {
  it("without any preference, tries the channel the person wrote from most recently first", () => {
    const p = run(contact([tg, wa, sl]))
    expect(p.source).toBe("recency")
    expect(order(p)).toEqual(["wa", "sl", "tg"])
  })

  it("follows route.channels (platforms or bot ids) and leaves every other channel out, saying so", () => {
    const p = run(contact([tg, wa, sl]), { channels: ["telegram", "sl"] })
    expect(p.source).toBe("route")
    expect(order(p)).toEqual(["tg", "sl"])
    expect(p.considered.find((c) => c.botId === "wa")).toMatchObject({
      kept: false,
      reason: "not named by route.channels",
    })
  })

  it("puts the contact's preferred platforms first, then the rest by recency", () => {
    const p = run(contact([tg, wa, sl], { preferredPlatforms: ["telegram"] }))
    expect(p.source).toBe("preferredPlatforms")
    expect(order(p)).toEqual(["tg", "wa", "sl"])
  })

  it("applies the first business rule that matches the message kind, tags and attributes", () => {
    const rules: RoutingRule[] = [
      { name: "vip", match: { tagsAny: ["vip"] }, platforms: ["slack"] },
      { name: "templates", match: { kinds: ["template"] }, platforms: ["whatsapp"] },
      { name: "german text", match: { kinds: ["text"], attributes: { lang: "de" } }, platforms: ["telegram"] },
    ]
    const german = contact([tg, wa, sl], { attributes: { lang: "de" } })
    expect(run(german, { rules })).toMatchObject({ source: "rule", rule: "german text" })
    expect(order(run(german, { rules }))).toEqual(["tg", "wa", "sl"])
    expect(run(german, { rules, template: true }).rule).toBe("templates")
    expect(run(contact([tg, wa, sl], { tags: ["vip"] }), { rules }).rule).toBe("vip")
    expect(run(contact([tg, wa, sl]), { rules }).source).toBe("recency")
  })

  it("skips a WhatsApp chat outside its 24-hour window for free-form messages, but not for templates", () => {
    const stale = identity("wa", "whatsapp", "15550001", NOW - 25 * HOUR)
    const text = run(contact([tg, stale]))
    expect(order(text)).toEqual(["tg"])
    expect(text.considered.find((c) => c.botId === "wa")?.reason).toMatch(/^window_closed/)
    expect(order(run(contact([tg, stale]), { template: true }))).toEqual(["wa"])
    const never = identity("wa", "whatsapp", "15550002", null)
    expect(order(run(contact([never, tg])))).toEqual(["tg"])
  })

  it("skips stopped and deleted bots, opted-out identities and messages a platform cannot carry", () => {
    const stopped = identity("off", "telegram", "222", NOW)
    const gone = identity("deleted", "telegram", "333", NOW)
    const optedOut = { ...identity("sl", "slack", "C9", NOW), optedOut: true }
    const p = run(contact([stopped, gone, optedOut, tg]))
    expect(order(p)).toEqual(["tg"])
    const reasons = Object.fromEntries(p.considered.map((c) => [c.chatId, c.reason]))
    expect(reasons["222"]).toMatch(/^bot_stopped/)
    expect(reasons["333"]).toMatch(/^bot_deleted/)
    expect(reasons.C9).toMatch(/^opted_out/)
    // A template only WhatsApp can carry: Telegram is skipped with the platform's own reason.
    expect(run(contact([tg]), { template: true }).considered[0]).toMatchObject({ kept: false })
    expect(run(contact([tg]), { text: "x".repeat(5000) }).considered[0]?.reason).toMatch(/^unsupported/)
  })
})
