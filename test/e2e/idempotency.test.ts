// Idempotency-Key on the management API's POSTs (src/gate): the first answer replayed for the same key and request,
// 409 for another request or one still running, per business, 24 hours (swept by the gate's alarm), 422 for a
// malformed key, failures not kept; the body's own `idempotencyKey` on sends untouched.
import { env } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import { gateFor, IDEMPOTENCY_TTL_MS, LOCK_MS } from "../../src/gate/business-gate"
import { randomTelegramToken } from "../fakes/client"
import { api, tokenFor, uniqueBusiness } from "../helpers"
import { createTelegramBot, fakes } from "../messaging-helpers"

type ErrorShape = { error: { code: string; message: string; details?: { fields: { path: string }[] } } }
type ContactAnswer = { contact: { id: string; name: string } }
type BotAnswer = { bot: { id: string }; signingSecret?: string }

const key = () => `key-${crypto.randomUUID()}`
const withKey = (k: string) => ({ "Idempotency-Key": k })

async function business(label: string) {
  const id = uniqueBusiness(label)
  return { id, admin: await tokenFor(id) }
}

const createContact = (token: string, k: string, body: unknown) =>
  api<ContactAnswer & ErrorShape>("POST", "/api/contacts", { token, body, headers: withKey(k) })

async function contactCount(token: string): Promise<number> {
  const page = await api<{ contacts: unknown[] }>("GET", "/api/contacts?limit=100", { token })
  return page.body.contacts.length
}

/** The gate's fingerprint of a request, computed as src/gate/middleware.ts does (method, path with query, body). */
async function fingerprintOf(method: string, path: string, body: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${method} ${path}\n${body}`))
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("")
}

describe("the same key and request", () => {
  it("creating a contact twice answers the first 201 twice, replayed the second time, and makes one contact", async () => {
    const { admin } = await business("idem")
    const k = key()
    const first = await createContact(admin, k, { name: "Ada" })
    const second = await createContact(admin, k, { name: "Ada" })
    expect(first.status).toBe(201)
    expect(second.status).toBe(201)
    expect(second.text).toBe(first.text)
    expect(second.headers.get("Content-Type")).toBe(first.headers.get("Content-Type"))
    expect(first.headers.get("Idempotent-Replayed")).toBeNull()
    expect(second.headers.get("Idempotent-Replayed")).toBe("true")
    expect(second.headers.get("X-Request-Id")).toMatch(/.+/)
    expect(second.headers.get("X-Request-Id")).not.toBe(first.headers.get("X-Request-Id"))
    expect(second.headers.get("RateLimit")).toMatch(/^"business";/)
    expect(await contactCount(admin)).toBe(1)
  })

  it("creating a bot twice makes one bot and one setWebhook call, and replays its once-shown signing secret", async () => {
    const { admin } = await business("idem-bot")
    const botToken = randomTelegramToken()
    const body = {
      platform: "telegram",
      name: "Once",
      credentials: { botToken },
      handler: { type: "forward", url: "https://example.com/hook" },
    }
    const k = key()
    const first = await api<BotAnswer>("POST", "/api/bots", { token: admin, body, headers: withKey(k) })
    const second = await api<BotAnswer>("POST", "/api/bots", { token: admin, body, headers: withKey(k) })
    expect(first.status).toBe(201)
    expect(first.body.signingSecret).toEqual(expect.any(String))
    expect(second.status).toBe(201)
    expect(second.body).toEqual(first.body)
    const list = await api<{ bots: { id: string }[] }>("GET", "/api/bots", { token: admin })
    expect(list.body.bots.map((b) => b.id)).toEqual([first.body.bot.id])
    await fakes.telegram.waitForRequests({ account: botToken, method: "setWebhook" }, 1)
    expect(await fakes.telegram.requests({ account: botToken, method: "setWebhook" })).toHaveLength(1)
  })

  it("a send with the same header key is queued and delivered once; the body's idempotencyKey still works", async () => {
    const bot = await createTelegramBot()
    const k = key()
    const path = `/api/bots/${bot.id}/messages`
    const body = { chatId: "5150", text: "exactly once" }
    const first = await api<{ id: string; duplicate: boolean }>("POST", path, {
      token: bot.admin,
      body,
      headers: withKey(k),
    })
    const second = await api<{ id: string; duplicate: boolean }>("POST", path, {
      token: bot.admin,
      body,
      headers: withKey(k),
    })
    expect(first.status).toBe(202)
    expect(second.status).toBe(202)
    expect(second.body).toEqual(first.body)
    expect(second.body.duplicate).toBe(false)

    const own = { chatId: "5151", text: "body key", idempotencyKey: key() }
    const a = await api<{ id: string; duplicate: boolean }>("POST", path, { token: bot.admin, body: own })
    const b = await api<{ id: string; duplicate: boolean }>("POST", path, { token: bot.admin, body: own })
    // The body key answers the message as it is now (its status may have moved on), the header key the first answer.
    expect(b.body).toMatchObject({ id: a.body.id, duplicate: true })

    const sent = await fakes.telegram.waitForRequests({ account: bot.token, method: "sendMessage" }, 2)
    await new Promise((r) => setTimeout(r, 200))
    const texts = (await fakes.telegram.requests({ account: bot.token, method: "sendMessage" })).map((r) =>
      typeof r.body === "object" && r.body !== null && "text" in r.body ? r.body.text : null,
    )
    expect(sent.length).toBeGreaterThanOrEqual(2)
    expect(texts.filter((t) => t === "exactly once")).toHaveLength(1)
    expect(texts.filter((t) => t === "body key")).toHaveLength(1)
  })
})

describe("another request with the same key", () => {
  it("another body answers 409 idempotency_conflict and creates nothing", async () => {
    const { admin } = await business("idem-conflict")
    const k = key()
    expect((await createContact(admin, k, { name: "Ada" })).status).toBe(201)
    const other = await createContact(admin, k, { name: "Grace" })
    expect(other.status).toBe(409)
    expect(other.body.error.code).toBe("idempotency_conflict")
    expect(other.body.error.message).toContain("Idempotency-Key")
    expect(await contactCount(admin)).toBe(1)
  })

  it("another path with the same body and key is a conflict too", async () => {
    const { admin } = await business("idem-path")
    const k = key()
    expect((await createContact(admin, k, { name: "Ada" })).status).toBe(201)
    const elsewhere = await api<ErrorShape>("POST", "/api/templates", {
      token: admin,
      body: { name: "Ada" },
      headers: withKey(k),
    })
    expect(elsewhere.status).toBe(409)
    expect(elsewhere.body.error.code).toBe("idempotency_conflict")
    // The canonical path and its alias are the same request: the retry through /v1 replays the first answer.
    const canonical = await api<{ contact: { id: string } }>("POST", "/v1/contacts", {
      token: admin,
      body: { name: "Ada" },
      headers: withKey(k),
    })
    expect(canonical.status).toBe(201)
    expect(canonical.headers.get("idempotent-replayed")).toBe("true")
  })

  it("while the first request still runs: 409 idempotency_in_progress with Retry-After; a dead lock is taken over", async () => {
    const { id, admin } = await business("idem-running")
    const k = key()
    const body = JSON.stringify({ name: "Ada" })
    const gate = gateFor(env, { kind: "business", id })
    // A request with this key and body that is running right now (its worker has not answered yet).
    const running = await gate.admit({
      policy: null,
      idempotency: { key: k, fingerprint: await fingerprintOf("POST", "/api/contacts", body) },
    })
    expect(running.idempotency?.kind).toBe("proceed")
    const meanwhile = await createContact(admin, k, { name: "Ada" })
    expect(meanwhile.status).toBe(409)
    expect(meanwhile.body.error.code).toBe("idempotency_in_progress")
    expect(meanwhile.headers.get("Retry-After")).toBe("1")
    expect(await contactCount(admin)).toBe(0)
    // Its worker died: after LOCK_MS the key is free again.
    const later = await gate.admit({
      policy: null,
      idempotency: { key: k, fingerprint: "another request" },
      now: Date.now() + LOCK_MS + 1,
    })
    expect(later.idempotency?.kind).toBe("proceed")
  })
})

describe("what is kept", () => {
  it("keys are per business: another business's same key and body runs on its own", async () => {
    const one = await business("idem-one")
    const two = await business("idem-two")
    const k = key()
    const a = await createContact(one.admin, k, { name: "Ada" })
    const b = await createContact(two.admin, k, { name: "Ada" })
    expect(a.status).toBe(201)
    expect(b.status).toBe(201)
    expect(b.headers.get("Idempotent-Replayed")).toBeNull()
    expect(b.body.contact.id).not.toBe(a.body.contact.id)
    expect(await contactCount(two.admin)).toBe(1)
  })

  it("a record lasts 24 hours: the sweep deletes it, and the key runs again", async () => {
    const { id, admin } = await business("idem-expiry")
    const k = key()
    const first = await createContact(admin, k, { name: "Ada" })
    const gate = gateFor(env, { kind: "business", id })
    expect(await gate.sweep(Date.now() + IDEMPOTENCY_TTL_MS - 60_000)).toBe(0)
    expect((await createContact(admin, k, { name: "Ada" })).headers.get("Idempotent-Replayed")).toBe("true")
    expect(await gate.sweep(Date.now() + IDEMPOTENCY_TTL_MS + 1)).toBe(1)
    const again = await createContact(admin, k, { name: "Grace" })
    expect(again.status).toBe(201)
    expect(again.body.contact.id).not.toBe(first.body.contact.id)
    expect(await contactCount(admin)).toBe(2)
  })

  it("an answer other than 2xx is not kept: the key works once the request is fixed", async () => {
    const { id, admin } = await business("idem-fix")
    const viewer = await tokenFor(id, "viewer")
    const k = key()
    const invalid = await createContact(admin, k, { name: 42 })
    expect(invalid.status).toBe(422)
    const forbidden = await createContact(viewer, k, { name: "Ada" })
    expect(forbidden.status).toBe(403)
    const fixed = await createContact(admin, k, { name: "Ada" })
    expect(fixed.status).toBe(201)
    expect(fixed.headers.get("Idempotent-Replayed")).toBeNull()
    expect((await createContact(admin, k, { name: "Ada" })).headers.get("Idempotent-Replayed")).toBe("true")
  })

  it("a malformed key is 422 validation_failed on the header, and nothing is created", async () => {
    const { admin } = await business("idem-bad")
    for (const bad of ["", " ", "x".repeat(256)]) {
      const res = await createContact(admin, bad, { name: "Ada" })
      expect(res.status, JSON.stringify(bad)).toBe(422)
      expect(res.body.error.code).toBe("validation_failed")
      expect(res.body.error.details?.fields.map((f) => f.path)).toEqual(["Idempotency-Key"])
    }
    expect((await createContact(admin, "x".repeat(255), { name: "Ada" })).status).toBe(201)
    expect(await contactCount(admin)).toBe(1)
  })
})
