// The management API for contacts: CRUD with identities, search and pages, merge, tenancy, roles, business settings.
import { env } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import { api, tokenFor, uniqueBusiness } from "../helpers"
import { createTelegramBot, createWhatsAppBot } from "../messaging-helpers"

interface IdentityBody {
  botId: string
  platform: string
  chatId: string
  displayName: string | null
  optedOut: boolean
  lastInboundAt: string | null
  createdAt: string
}
interface ContactBody {
  id: string
  name: string
  attributes: Record<string, string>
  tags: string[]
  preferredPlatforms: string[]
  createdAt: string
  updatedAt: string
  lastInboundAt: string | null
  identities: IdentityBody[]
}
type One = { contact: ContactBody }
type Page = { contacts: ContactBody[]; nextCursor: string | null }
type ErrorShape = { error: { code: string; message: string; details?: { fields: { path: string }[] } } }

/** A business with one Telegram bot, created through the API against the fake. */
async function businessWithBot() {
  const admin = await tokenFor(uniqueBusiness("contacts"))
  const bot = await createTelegramBot({ admin })
  return { admin, botId: bot.id }
}

const createContact = (token: string, body: Record<string, unknown>) =>
  api<One>("POST", "/api/contacts", { token, body })

describe("creating and reading contacts", () => {
  it("creates a contact with identities on two platforms and reads it back with each bot's platform", async () => {
    const { admin, botId } = await businessWithBot()
    const wa = await createWhatsAppBot({ admin })
    const created = await createContact(admin, {
      name: "Ada Lovelace",
      attributes: { plan: "pro" },
      tags: ["vip", "beta"],
      preferredPlatforms: ["whatsapp", "telegram"],
      identities: [
        { botId, chatId: "1001" },
        { botId: wa.id, chatId: "4915112345678" },
      ],
    })
    expect(created.status).toBe(201)
    const contact = created.body.contact
    expect(contact.id).toMatch(/^ct_[0-9a-f]{28}$/)
    expect(contact).toMatchObject({
      name: "Ada Lovelace",
      attributes: { plan: "pro" },
      tags: ["vip", "beta"],
      preferredPlatforms: ["whatsapp", "telegram"],
      lastInboundAt: null,
    })
    expect(contact.identities.map((i) => [i.botId, i.platform, i.chatId, i.optedOut, i.lastInboundAt])).toEqual(
      expect.arrayContaining([
        [botId, "telegram", "1001", false, null],
        [wa.id, "whatsapp", "4915112345678", false, null],
      ]),
    )
    expect(new Date(contact.createdAt).toISOString()).toBe(contact.createdAt)

    // The contact's lastInboundAt is the latest of its identities' (which the bots write when people write).
    const at = Date.UTC(2026, 0, 2, 3, 4, 5)
    await env.DB.prepare("UPDATE contact_identities SET last_inbound_at = ?1 WHERE bot_id = ?2").bind(at, wa.id).run()
    const got = await api<One>("GET", `/api/contacts/${contact.id}`, { token: admin })
    expect(got.status).toBe(200)
    expect(got.body.contact.lastInboundAt).toBe(new Date(at).toISOString())
    expect(got.body.contact.identities.find((i) => i.botId === wa.id)?.lastInboundAt).toBe(new Date(at).toISOString())
  })

  it("fills defaults for an empty body and 404s an unknown id", async () => {
    const admin = await tokenFor(uniqueBusiness("contacts"))
    const created = await createContact(admin, {})
    expect(created.status).toBe(201)
    expect(created.body.contact).toMatchObject({ name: "", attributes: {}, tags: [], identities: [] })
    const missing = await api<ErrorShape>("GET", "/api/contacts/ct_doesnotexist", { token: admin })
    expect(missing.status).toBe(404)
    expect(missing.body.error.code).toBe("not_found")
  })

  it.each([
    ["a name over 200 characters", { name: "x".repeat(201) }, "name"],
    ["an unknown preferred platform", { preferredPlatforms: ["fax"] }, "preferredPlatforms.0"],
    ["an empty tag", { tags: [" "] }, "tags.0"],
    ["a non-string attribute", { attributes: { plan: 3 } }, "attributes.plan"],
    ["an identity without a chat id", { identities: [{ botId: "bot_x" }] }, "identities.0.chatId"],
  ])("rejects %s with 422 validation_failed naming the field", async (_label, body, path) => {
    const admin = await tokenFor(uniqueBusiness("contacts"))
    const res = await api<ErrorShape>("POST", "/api/contacts", { token: admin, body })
    expect(res.status).toBe(422)
    expect(res.body.error.code).toBe("validation_failed")
    expect(res.body.error.details?.fields.map((f) => f.path)).toEqual([path])
  })

  it("refuses an identity on another business's bot, or an unknown bot, with 422 naming identities.N.botId", async () => {
    const { admin, botId } = await businessWithBot()
    const other = await businessWithBot()
    const res = await createContact(admin, {
      identities: [
        { botId, chatId: "1" },
        { botId: other.botId, chatId: "2" },
        { botId: "bot_unknown", chatId: "3" },
      ],
    })
    expect(res.status).toBe(422)
    const error = (res.body as unknown as ErrorShape).error
    expect(error.code).toBe("validation_failed")
    expect(error.details?.fields.map((f) => f.path)).toEqual(["identities.1.botId", "identities.2.botId"])
    expect(error.message).toBe("Invalid body: identities.1.botId: no bot of this id in this business")
    const list = await api<Page>("GET", "/api/contacts", { token: admin })
    expect(list.body.contacts).toEqual([])
  })

  it("refuses a chat another contact already holds with 409 identity_conflict, on create and on patch", async () => {
    const { admin, botId } = await businessWithBot()
    const first = await createContact(admin, { name: "First", identities: [{ botId, chatId: "42" }] })
    expect(first.status).toBe(201)
    const second = await api<ErrorShape>("POST", "/api/contacts", {
      token: admin,
      body: { name: "Second", identities: [{ botId, chatId: "42" }] },
    })
    expect(second.status).toBe(409)
    expect(second.body.error.code).toBe("identity_conflict")
    expect(second.body.error.message).toContain(first.body.contact.id)

    const third = await createContact(admin, { name: "Third" })
    const patched = await api<ErrorShape>("PATCH", `/api/contacts/${third.body.contact.id}`, {
      token: admin,
      body: { identities: [{ botId, chatId: "42" }] },
    })
    expect(patched.status).toBe(409)
    expect(patched.body.error.code).toBe("identity_conflict")
    // The holder itself may give its own identity again (the set is unchanged).
    const same = await api<One>("PATCH", `/api/contacts/${first.body.contact.id}`, {
      token: admin,
      body: { identities: [{ botId, chatId: "42" }] },
    })
    expect(same.status).toBe(200)
    expect(same.body.contact.identities.map((i) => i.chatId)).toEqual(["42"])
  })
})

describe("listing and searching contacts", () => {
  it("pages newest first with an opaque cursor, and rejects a forged cursor or a bad limit", async () => {
    const admin = await tokenFor(uniqueBusiness("pager"))
    const ids: string[] = []
    for (let i = 0; i < 7; i++) ids.push((await createContact(admin, { name: `person ${i}` })).body.contact.id)
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const path: string = `/api/contacts?limit=3${cursor ? `&cursor=${cursor}` : ""}`
      const page = await api<Page>("GET", path, { token: admin })
      expect(page.status).toBe(200)
      expect(page.body.contacts.length).toBeLessThanOrEqual(3)
      seen.push(...page.body.contacts.map((c) => c.id))
      cursor = page.body.nextCursor
    } while (cursor)
    expect(seen).toEqual([...ids].reverse())
    const forged = await api<ErrorShape>("GET", "/api/contacts?cursor=Zm9v", { token: admin })
    expect(forged.status).toBe(400)
    expect(forged.body.error.code).toBe("invalid_cursor")
    expect((await api("GET", "/api/contacts?limit=0", { token: admin })).status).toBe(422)
    expect((await api("GET", "/api/contacts?limit=101", { token: admin })).status).toBe(422)
  })

  it("searches by name in any case, literal wildcards, exact tag, platform and bot + chat", async () => {
    const { admin, botId } = await businessWithBot()
    const wa = await createWhatsAppBot({ admin })
    const grace = await createContact(admin, {
      name: "Grace Hopper",
      tags: ["vip"],
      identities: [{ botId, chatId: "7" }],
    })
    const alan = await createContact(admin, {
      name: "Alan 100% Turing",
      tags: ["vip-plus"],
      identities: [{ botId: wa.id, chatId: "7" }],
    })
    const names = async (query: string) => {
      const res = await api<Page>("GET", `/api/contacts?${query}`, { token: admin })
      expect(res.status).toBe(200)
      return res.body.contacts.map((c) => c.name)
    }
    expect(await names("q=GRACE")).toEqual(["Grace Hopper"])
    expect(await names(`q=${encodeURIComponent("100%")}`)).toEqual(["Alan 100% Turing"])
    expect(await names(`q=${encodeURIComponent("0%_")}`)).toEqual([])
    expect(await names("tag=vip")).toEqual(["Grace Hopper"])
    expect(await names("platform=whatsapp")).toEqual(["Alan 100% Turing"])
    expect(await names(`botId=${botId}&chatId=7`)).toEqual(["Grace Hopper"])
    expect(await names(`botId=${wa.id}&chatId=7`)).toEqual(["Alan 100% Turing"])
    expect(await names(`botId=${botId}&chatId=8`)).toEqual([])
    expect(await names("chatId=7")).toEqual([alan.body.contact.name, grace.body.contact.name])
    expect((await api("GET", "/api/contacts?platform=fax", { token: admin })).status).toBe(422)
  })
})

describe("changing contacts", () => {
  it("patches only the given fields and replaces the identity set, keeping held identities' history", async () => {
    const { admin, botId } = await businessWithBot()
    const created = await createContact(admin, {
      name: "Old",
      tags: ["a"],
      attributes: { city: "Paris" },
      identities: [
        { botId, chatId: "1" },
        { botId, chatId: "2" },
      ],
    })
    const id = created.body.contact.id
    await env.DB.prepare("UPDATE contact_identities SET opted_out = 1 WHERE bot_id = ?1 AND chat_id = '2'")
      .bind(botId)
      .run()
    const patched = await api<One>("PATCH", `/api/contacts/${id}`, {
      token: admin,
      body: {
        name: "New",
        identities: [
          { botId, chatId: "2" },
          { botId, chatId: "3" },
        ],
      },
    })
    expect(patched.status).toBe(200)
    const contact = patched.body.contact
    expect(contact).toMatchObject({ name: "New", tags: ["a"], attributes: { city: "Paris" } })
    expect(contact.identities.map((i) => [i.chatId, i.optedOut]).sort()).toEqual([
      ["2", true],
      ["3", false],
    ])
    expect(contact.updatedAt > created.body.contact.updatedAt).toBe(true)
    // The dropped chat is free for another contact.
    expect((await createContact(admin, { identities: [{ botId, chatId: "1" }] })).status).toBe(201)
  })

  it("deletes a contact with its identities; afterwards it is 404 and its chats are free", async () => {
    const { admin, botId } = await businessWithBot()
    const created = await createContact(admin, { identities: [{ botId, chatId: "9" }] })
    const id = created.body.contact.id
    const deleted = await api("DELETE", `/api/contacts/${id}`, { token: admin })
    expect(deleted.status).toBe(200)
    expect(deleted.body).toEqual({ deleted: true })
    expect((await api("GET", `/api/contacts/${id}`, { token: admin })).status).toBe(404)
    expect((await api("DELETE", `/api/contacts/${id}`, { token: admin })).status).toBe(404)
    expect((await createContact(admin, { identities: [{ botId, chatId: "9" }] })).status).toBe(201)
  })

  it("merges a contact into another: identities move, tags join, the target's attributes win, the source is gone", async () => {
    const { admin, botId } = await businessWithBot()
    const target = await createContact(admin, {
      name: "Ada",
      tags: ["vip", "beta"],
      attributes: { plan: "pro", city: "London" },
      preferredPlatforms: ["telegram"],
      identities: [{ botId, chatId: "1" }],
    })
    const source = await createContact(admin, {
      name: "Ada L.",
      tags: ["beta", "newsletter"],
      attributes: { plan: "free", language: "en" },
      preferredPlatforms: ["whatsapp", "telegram"],
      identities: [{ botId, chatId: "2" }],
    })
    const targetId = target.body.contact.id
    const sourceId = source.body.contact.id
    const merged = await api<One>("POST", `/api/contacts/${targetId}/merge`, { token: admin, body: { sourceId } })
    expect(merged.status).toBe(200)
    expect(merged.body.contact).toMatchObject({
      id: targetId,
      name: "Ada",
      tags: ["vip", "beta", "newsletter"],
      attributes: { plan: "pro", city: "London", language: "en" },
      preferredPlatforms: ["telegram", "whatsapp"],
    })
    expect(merged.body.contact.identities.map((i) => i.chatId).sort()).toEqual(["1", "2"])
    expect((await api("GET", `/api/contacts/${sourceId}`, { token: admin })).status).toBe(404)
    const byChat = await api<Page>("GET", `/api/contacts?botId=${botId}&chatId=2`, { token: admin })
    expect(byChat.body.contacts.map((c) => c.id)).toEqual([targetId])
  })

  it("takes the source's name when the target has none, and refuses a merge into itself or of an unknown contact", async () => {
    const admin = await tokenFor(uniqueBusiness("merge"))
    const target = (await createContact(admin, {})).body.contact.id
    const source = (await createContact(admin, { name: "Named" })).body.contact.id
    const self = await api<ErrorShape>("POST", `/api/contacts/${target}/merge`, {
      token: admin,
      body: { sourceId: target },
    })
    expect(self.status).toBe(422)
    expect(self.body.error.details?.fields.map((f) => f.path)).toEqual(["sourceId"])
    const unknown = await api("POST", `/api/contacts/${target}/merge`, { token: admin, body: { sourceId: "ct_nope" } })
    expect(unknown.status).toBe(404)
    const merged = await api<One>("POST", `/api/contacts/${target}/merge`, { token: admin, body: { sourceId: source } })
    expect(merged.body.contact.name).toBe("Named")
  })
})

describe("tenancy and roles", () => {
  it("hides one business's contacts from another: 404 on every call, absent from its list", async () => {
    const owner = await tokenFor(uniqueBusiness("owner"))
    const stranger = await tokenFor(uniqueBusiness("stranger"))
    const id = (await createContact(owner, { name: "Private" })).body.contact.id
    const mine = (await createContact(stranger, { name: "Mine" })).body.contact.id
    expect((await api("GET", `/api/contacts/${id}`, { token: stranger })).status).toBe(404)
    expect((await api("PATCH", `/api/contacts/${id}`, { token: stranger, body: { name: "x" } })).status).toBe(404)
    expect((await api("DELETE", `/api/contacts/${id}`, { token: stranger })).status).toBe(404)
    const mergeInto = await api("POST", `/api/contacts/${id}/merge`, { token: stranger, body: { sourceId: mine } })
    expect(mergeInto.status).toBe(404)
    const mergeFrom = await api("POST", `/api/contacts/${mine}/merge`, { token: stranger, body: { sourceId: id } })
    expect(mergeFrom.status).toBe(404)
    const list = await api<Page>("GET", "/api/contacts", { token: stranger })
    expect(list.body.contacts.map((c) => c.id)).toEqual([mine])
    const still = await api<One>("GET", `/api/contacts/${id}`, { token: owner })
    expect(still.body.contact.name).toBe("Private")
  })

  it("lets viewers read contacts and settings but not write them (403)", async () => {
    const business = uniqueBusiness("viewer")
    const admin = await tokenFor(business)
    const viewer = await tokenFor(business, "viewer")
    const id = (await createContact(admin, { name: "Seen" })).body.contact.id
    const other = (await createContact(admin, { name: "Other" })).body.contact.id
    for (const path of ["/api/contacts", `/api/contacts/${id}`, "/api/routing", "/api/settings/opt-out"])
      expect((await api("GET", path, { token: viewer })).status).toBe(200)
    const writes = await Promise.all([
      api("POST", "/api/contacts", { token: viewer, body: { name: "x" } }),
      api("PATCH", `/api/contacts/${id}`, { token: viewer, body: { name: "x" } }),
      api("DELETE", `/api/contacts/${id}`, { token: viewer }),
      api("POST", `/api/contacts/${id}/merge`, { token: viewer, body: { sourceId: other } }),
      api("PUT", "/api/routing", { token: viewer, body: { rules: [] } }),
      api("PUT", "/api/settings/opt-out", { token: viewer, body: {} }),
    ])
    expect(writes.map((r) => r.status)).toEqual([403, 403, 403, 403, 403, 403])
    expect((await api("GET", "/api/contacts", { token: undefined })).status).toBe(401)
  })
})

describe("business settings", () => {
  it("round-trips routing rules and opt-out settings from their defaults, each kept when the other is saved", async () => {
    const admin = await tokenFor(uniqueBusiness("settings"))
    expect((await api("GET", "/api/routing", { token: admin })).body).toEqual({ rules: [] })
    const defaults = await api("GET", "/api/settings/opt-out", { token: admin })
    expect(defaults.body).toMatchObject({ stopKeywords: ["STOP", "UNSUBSCRIBE"], startKeywords: ["START"] })

    const routing = {
      rules: [{ name: "templates on WhatsApp", match: { kinds: ["template"] }, platforms: ["whatsapp", "telegram"] }],
    }
    const put = await api("PUT", "/api/routing", { token: admin, body: routing })
    expect(put.status).toBe(200)
    expect(put.body).toEqual(routing)
    const optOut = await api("PUT", "/api/settings/opt-out", {
      token: admin,
      body: { stopKeywords: ["ARRET"], stopReply: "Bye" },
    })
    expect(optOut.status).toBe(200)
    expect(optOut.body).toMatchObject({ stopKeywords: ["ARRET"], startKeywords: ["START"], stopReply: "Bye" })

    expect((await api("GET", "/api/routing", { token: admin })).body).toEqual(routing)
    expect((await api("GET", "/api/settings/opt-out", { token: admin })).body).toEqual(optOut.body)
    // Another business still has the defaults.
    const stranger = await tokenFor(uniqueBusiness("settings"))
    expect((await api("GET", "/api/routing", { token: stranger })).body).toEqual({ rules: [] })
  })

  it.each([
    ["/api/routing", { rules: [{ platforms: ["fax"] }] }, "rules.0.platforms.0"],
    ["/api/routing", { rules: [{ platforms: [] }] }, "rules.0.platforms"],
    ["/api/routing", {}, "rules"],
    ["/api/settings/opt-out", { stopKeywords: [] }, "stopKeywords"],
    ["/api/settings/opt-out", { stopReply: "" }, "stopReply"],
  ])("PUT %s refuses %j with 422 naming %s", async (path, body, field) => {
    const admin = await tokenFor(uniqueBusiness("settings"))
    const res = await api<ErrorShape>("PUT", path, { token: admin, body })
    expect(res.status).toBe(422)
    expect(res.body.error.code).toBe("validation_failed")
    expect(res.body.error.details?.fields.map((f) => f.path)).toEqual([field])
  })
})
