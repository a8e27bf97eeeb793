// The API's HTTP conventions (issue 16, points 3, 4, 5, 7): ETag with If-None-Match (304) and If-Match (412) on
// bots, contacts and templates; Location on what creates; one cursor shape for the activity log (with the deprecated
// `before` alias); CORS only for the origins in CORS_ORIGINS; and /v1 as the canonical prefix, /api its alias.
import { createExecutionContext, env } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import { createApp } from "../../src/app"
import { randomTelegramToken } from "../fakes/client"
import { api, tokenFor, uniqueBusiness } from "../helpers"
import { createTelegramBot, fakes } from "../messaging-helpers"

type ErrorShape = { error: { code: string; message: string } }
type BotOne = { bot: { id: string; name: string; queueDepth: number } }
type LogPage = { logs: { id: number; event: string }[]; nextCursor: string | null; nextBefore: number | null }

const TAG = /^"[A-Za-z0-9_-]{16}(\.[A-Za-z0-9_-]{16})?"$/

const etagOf = (res: { headers: Headers }) => res.headers.get("ETag") ?? ""

async function newBot(label: string) {
  const business = uniqueBusiness(label)
  const admin = await tokenFor(business)
  const bot = await createTelegramBot({ admin })
  return { business, admin, id: bot.id }
}

describe("ETag and If-None-Match", () => {
  it("tags a bot's GET and answers 304, without a body, while it is unchanged", async () => {
    const { admin, id } = await newBot("etag")
    const first = await api<BotOne>("GET", `/api/bots/${id}`, { token: admin })
    expect(first.status).toBe(200)
    const tag = etagOf(first)
    expect(tag).toMatch(TAG)
    expect(first.headers.get("Cache-Control")).toBe("private, no-cache")

    const same = await api("GET", `/api/bots/${id}`, { token: admin, headers: { "If-None-Match": tag } })
    expect(same.status).toBe(304)
    expect(same.text).toBe("")
    expect(etagOf(same)).toBe(tag)
    // Weak comparison, lists and `*` hold too.
    for (const header of [`W/${tag}`, `"other", ${tag}`, "*"]) {
      const res = await api("GET", `/api/bots/${id}`, { token: admin, headers: { "If-None-Match": header } })
      expect(res.status, header).toBe(304)
    }
    // Another tag, or the same state with other live fields (queueDepth, lastActive), is a full answer.
    const state = tag.slice(1, 17)
    for (const header of ['"nope"', `"${state}.AAAAAAAAAAAAAAAA"`]) {
      const res = await api<BotOne>("GET", `/api/bots/${id}`, { token: admin, headers: { "If-None-Match": header } })
      expect(res.status, header).toBe(200)
      expect(res.body.bot.id).toBe(id)
    }

    await api("PATCH", `/api/bots/${id}`, { token: admin, body: { name: "Renamed" } })
    const changed = await api<BotOne>("GET", `/api/bots/${id}`, { token: admin, headers: { "If-None-Match": tag } })
    expect(changed.status).toBe(200)
    expect(changed.body.bot.name).toBe("Renamed")
    expect(etagOf(changed)).not.toBe(tag)
  })

  it("tags lists and other JSON GETs as well", async () => {
    const { admin, id } = await newBot("etag-list")
    for (const path of ["/api/bots", `/api/bots/${id}/stats`, "/api/platforms"]) {
      const res = await api("GET", path, { token: admin })
      expect(etagOf(res), path).toMatch(TAG)
      const again = await api("GET", path, { token: admin, headers: { "If-None-Match": etagOf(res) } })
      expect(again.status, path).toBe(304)
    }
  })
})

describe("If-Match", () => {
  it("refuses a bot's PATCH and DELETE with a stale tag (412) and takes the current one", async () => {
    const { admin, id } = await newBot("ifmatch")
    const stale = etagOf(await api("GET", `/api/bots/${id}`, { token: admin }))
    const renamed = await api<BotOne>("PATCH", `/api/bots/${id}`, { token: admin, body: { name: "Second" } })
    expect(renamed.status).toBe(200)
    const current = etagOf(renamed)
    expect(current).toMatch(TAG)
    expect(current).not.toBe(stale)

    const refused = await api<ErrorShape>("PATCH", `/api/bots/${id}`, {
      token: admin,
      body: { name: "Lost update" },
      headers: { "If-Match": stale },
    })
    expect(refused.status).toBe(412)
    expect(refused.body.error.code).toBe("precondition_failed")
    const read = await api<BotOne>("GET", `/api/bots/${id}`, { token: admin })
    expect(read.body.bot.name).toBe("Second")
    expect(etagOf(read)).toBe(current)

    // The state part is what counts: the live part may have moved on.
    const livelier = `${current.slice(0, 17)}.AAAAAAAAAAAAAAAA"`
    const third = await api<BotOne>("PATCH", `/api/bots/${id}`, {
      token: admin,
      body: { name: "Third" },
      headers: { "If-Match": livelier },
    })
    expect(third.status).toBe(200)
    expect(third.body.bot.name).toBe("Third")

    const del = await api<ErrorShape>("DELETE", `/api/bots/${id}`, { token: admin, headers: { "If-Match": current } })
    expect(del.status).toBe(412)
    const gone = await api("DELETE", `/api/bots/${id}`, { token: admin, headers: { "If-Match": etagOf(third) } })
    expect(gone.status).toBe(200)
    expect((await api("GET", `/api/bots/${id}`, { token: admin })).status).toBe(404)
  })

  it("compares strongly: a weak tag never matches, `*` always does", async () => {
    const admin = await tokenFor(uniqueBusiness("tpl-ifmatch"))
    const created = await api<{ template: { id: string } }>("POST", "/api/templates", {
      token: admin,
      body: { name: "hello", variables: [{ name: "name" }], body: "Hi {{name}}" },
    })
    expect(created.status).toBe(201)
    const path = `/api/templates/${created.body.template.id}`
    const tag = etagOf(created)
    expect(etagOf(await api("GET", path, { token: admin }))).toBe(tag)

    const weak = await api("PATCH", path, {
      token: admin,
      body: { body: "Hey {{name}}" },
      headers: { "If-Match": `W/${tag}` },
    })
    expect(weak.status).toBe(412)
    const ok = await api("PATCH", path, { token: admin, body: { body: "Hey {{name}}" }, headers: { "If-Match": tag } })
    expect(ok.status).toBe(200)
    const again = await api("PATCH", path, {
      token: admin,
      body: { body: "Yo {{name}}" },
      headers: { "If-Match": tag },
    })
    expect(again.status).toBe(412)
    const star = await api<{ template: { body: string; version: number } }>("PATCH", path, {
      token: admin,
      body: { body: "Yo {{name}}" },
      headers: { "If-Match": "*" },
    })
    expect(star.status).toBe(200)
    expect(star.body.template).toMatchObject({ body: "Yo {{name}}", version: 3 })

    expect((await api("DELETE", path, { token: admin, headers: { "If-Match": tag } })).status).toBe(412)
    expect((await api("DELETE", path, { token: admin, headers: { "If-Match": etagOf(star) } })).status).toBe(200)
  })

  it("guards contacts the same way", async () => {
    const admin = await tokenFor(uniqueBusiness("ct-ifmatch"))
    const created = await api<{ contact: { id: string } }>("POST", "/api/contacts", {
      token: admin,
      body: { name: "Ada", tags: ["vip"] },
    })
    const path = `/api/contacts/${created.body.contact.id}`
    const first = etagOf(created)
    const moved = await api("PATCH", path, {
      token: admin,
      body: { tags: ["vip", "new"] },
      headers: { "If-Match": first },
    })
    expect(moved.status).toBe(200)
    const stale = await api<ErrorShape>("PATCH", path, {
      token: admin,
      body: { tags: [] },
      headers: { "If-Match": first },
    })
    expect(stale.status).toBe(412)
    expect(stale.body.error.code).toBe("precondition_failed")
    expect((await api("DELETE", path, { token: admin, headers: { "If-Match": first } })).status).toBe(412)
    expect((await api("DELETE", path, { token: admin, headers: { "If-Match": etagOf(moved) } })).status).toBe(200)
  })

  it("leaves 401, 403 and 404 to the route: preconditions come after them", async () => {
    const { business, admin, id } = await newBot("ifmatch-order")
    const viewer = await tokenFor(business, "viewer")
    const headers = { "If-Match": '"stale"' }
    expect((await api("PATCH", `/api/bots/${id}`, { body: { name: "x" }, headers })).status).toBe(401)
    expect((await api("PATCH", `/api/bots/${id}`, { token: viewer, body: { name: "x" }, headers })).status).toBe(403)
    expect((await api("DELETE", "/api/bots/bot_00000000000000000000", { token: admin, headers })).status).toBe(404)
    expect((await api("DELETE", "/api/templates/tpl_missing", { token: admin, headers })).status).toBe(404)
  })
})

describe("Location", () => {
  it("points each 201 at the created resource's canonical /v1 path, with its ETag", async () => {
    const { admin, id } = await newBot("location")
    const contact = await api<{ contact: { id: string } }>("POST", "/api/contacts", {
      token: admin,
      body: { name: "Grace", identities: [{ botId: id, chatId: "42" }] },
    })
    const template = await api<{ template: { id: string } }>("POST", "/v1/templates", {
      token: admin,
      body: { name: "t", body: "Hello" },
    })
    const bot = await api<BotOne>("POST", "/api/bots", {
      token: admin,
      body: { platform: "telegram", name: "Located", credentials: { botToken: randomTelegramToken() } },
    })
    const cases = [
      [contact, `/v1/contacts/${contact.body.contact.id}`],
      [template, `/v1/templates/${template.body.template.id}`],
      [bot, `/v1/bots/${bot.body.bot.id}`],
    ] as const
    for (const [res, location] of cases) {
      expect(res.status).toBe(201)
      expect(res.headers.get("Location")).toBe(location)
      const read = await api("GET", location, { token: admin })
      expect(read.status).toBe(200)
      // The ETag of the 201 is the resource's (a bot's live part aside: its queue and activity move at once).
      expect(etagOf(read).slice(0, 17)).toBe(etagOf(res).slice(0, 17))
    }
  })

  it("points a send's and a broadcast's 202 at their status", async () => {
    const { admin, id } = await newBot("location-202")
    const sent = await api<{ id: string }>("POST", `/api/bots/${id}/messages`, {
      token: admin,
      body: { chatId: "42", text: "hi" },
    })
    expect(sent.status).toBe(202)
    expect(sent.headers.get("Location")).toBe(`/v1/bots/${id}/messages/${sent.body.id}`)
    const broadcast = await api<{ broadcast: { id: string } }>("POST", `/v1/bots/${id}/broadcasts`, {
      token: admin,
      body: { name: "all", text: "Hello all", recipients: [{ chatId: "1" }] },
    })
    expect(broadcast.status).toBe(202)
    const location = `/v1/bots/${id}/broadcasts/${broadcast.body.broadcast.id}`
    expect(broadcast.headers.get("Location")).toBe(location)
    expect((await api("GET", location, { token: admin })).status).toBe(200)
  })
})

describe("one pagination shape", () => {
  it("pages the activity log with cursor / nextCursor until null, and keeps before / nextBefore as an alias", async () => {
    const { admin, id } = await newBot("logs")
    for (const action of ["stop", "start"])
      await api("POST", `/api/bots/${id}/control`, { token: admin, body: { action } })
    const all = await api<LogPage>("GET", `/api/bots/${id}/logs?limit=200`, { token: admin })
    expect(all.body.nextCursor).toBeNull()
    expect(all.body.logs.length).toBeGreaterThan(3)

    const paged: number[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const query: string = cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`
      const page: { body: LogPage; status: number } = await api<LogPage>("GET", `/v1/bots/${id}/logs?limit=2${query}`, {
        token: admin,
      })
      expect(page.status).toBe(200)
      paged.push(...page.body.logs.map((l) => l.id))
      cursor = page.body.nextCursor
      pages++
    } while (cursor !== null && pages < 50)
    expect(paged).toEqual(all.body.logs.map((l) => l.id))

    const first = await api<LogPage>("GET", `/api/bots/${id}/logs?limit=2`, { token: admin })
    expect(first.body.nextBefore).toBe(first.body.logs[1]?.id)
    const byBefore = await api<LogPage>("GET", `/api/bots/${id}/logs?limit=2&before=${first.body.nextBefore}`, {
      token: admin,
    })
    const byCursor = await api<LogPage>(
      "GET",
      `/api/bots/${id}/logs?limit=2&cursor=${encodeURIComponent(first.body.nextCursor ?? "")}`,
      { token: admin },
    )
    expect(byBefore.body).toEqual(byCursor.body)

    const bots = await api<{ nextCursor: string | null }>("GET", "/api/bots?limit=1", { token: admin })
    for (const bad of ["garbage", bots.body.nextCursor ?? "x"]) {
      const res = await api<ErrorShape>("GET", `/api/bots/${id}/logs?cursor=${encodeURIComponent(bad)}`, {
        token: admin,
      })
      expect(res.status, bad).toBe(400)
      expect(res.body.error.code).toBe("invalid_cursor")
    }
  })
})

describe("CORS", () => {
  const app = createApp()
  const allowed = "https://app.example.com"
  const call = (path: string, init: RequestInit, origins = `${allowed}, https://admin.example.com/`) =>
    app.request(`https://switchboard.test${path}`, init, { ...env, CORS_ORIGINS: origins }, createExecutionContext())
  const preflight = (origin: string) => ({
    method: "OPTIONS",
    headers: { Origin: origin, "Access-Control-Request-Method": "PATCH", "Access-Control-Request-Headers": "if-match" },
  })
  const corsHeaders = (res: { headers: Headers }) =>
    [...res.headers.keys()].filter((k) => k.startsWith("access-control-"))

  it("answers a preflight from an allowed origin, and exposes the API's headers on the answer", async () => {
    const pre = await call("/v1/bots/bot_x", preflight(allowed))
    expect(pre.status).toBe(204)
    expect(pre.headers.get("Access-Control-Allow-Origin")).toBe(allowed)
    expect(pre.headers.get("Access-Control-Allow-Methods")).toContain("PATCH")
    expect(pre.headers.get("Access-Control-Allow-Headers")).toBe(
      "Authorization,Content-Type,Idempotency-Key,If-Match,If-None-Match",
    )
    expect(pre.headers.get("Access-Control-Allow-Credentials")).toBeNull()
    const admin = await tokenFor(uniqueBusiness("cors"))
    const res = await call("/api/bots", {
      headers: { Origin: "https://admin.example.com", Authorization: `Bearer ${admin}` },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("https://admin.example.com")
    expect(res.headers.get("Access-Control-Expose-Headers")?.split(",")).toEqual(
      expect.arrayContaining(["ETag", "Location", "RateLimit", "Retry-After", "X-Request-Id"]),
    )
    expect(res.headers.get("Vary")).toContain("Origin")
    const doc = await call("/openapi.json", { headers: { Origin: allowed } })
    expect(doc.headers.get("Access-Control-Allow-Origin")).toBe(allowed)
    // Errors too: a browser client can read why it was refused.
    const refused = await call("/v1/bots", { headers: { Origin: allowed } })
    expect(refused.status).toBe(401)
    expect(refused.headers.get("Access-Control-Allow-Origin")).toBe(allowed)
  })

  it("gives nothing to another origin, to any origin by default, or on webhooks", async () => {
    for (const origin of ["https://evil.example", "https://app.example.com.evil.example", "null"]) {
      const res = await call("/v1/bots", preflight(origin))
      expect(corsHeaders(res), origin).toEqual([])
      expect(res.status).not.toBe(204)
    }
    // `*` and entries that are not origins allow nothing.
    expect(corsHeaders(await call("/v1/bots", preflight(allowed), "*, https://app.example.com/path"))).toEqual([])
    const unset = await api("OPTIONS", "/v1/bots", { headers: preflight(allowed).headers })
    expect(corsHeaders(unset)).toEqual([])
    for (const path of ["/webhooks/telegram/bot_x", "/api/telegram/webhook"]) {
      const res = await call(path, { method: "POST", headers: { Origin: allowed }, body: "{}" })
      expect(corsHeaders(res), path).toEqual([])
    }
  })
})

describe("/v1", () => {
  it("serves the same API as /api: create, list, read, send", async () => {
    const admin = await tokenFor(uniqueBusiness("v1"))
    const token = randomTelegramToken()
    const created = await api<BotOne>("POST", "/v1/bots", {
      token: admin,
      body: { platform: "telegram", name: "Versioned", credentials: { botToken: token } },
    })
    expect(created.status).toBe(201)
    const id = created.body.bot.id
    await fakes.telegram.waitForRequests({ account: token, method: "setWebhook" }, 1)

    const v1 = await api("GET", "/v1/bots", { token: admin })
    const alias = await api("GET", "/api/bots", { token: admin })
    expect(v1.status).toBe(200)
    expect(v1.body).toEqual(alias.body)
    expect(etagOf(v1)).toBe(etagOf(alias))

    const sent = await api<{ id: string }>("POST", `/v1/bots/${id}/messages`, {
      token: admin,
      body: { chatId: "7", text: "hello from v1" },
    })
    expect(sent.status).toBe(202)
    const status = await api<{ id: string }>("GET", `/v1/bots/${id}/messages/${sent.body.id}`, { token: admin })
    const aliased = await api<{ id: string }>("GET", `/api/bots/${id}/messages/${sent.body.id}`, { token: admin })
    expect(status.status).toBe(200)
    expect(status.body.id).toBe(sent.body.id)
    expect(aliased.body.id).toBe(sent.body.id)
  })

  it("keeps the single-bot webhooks off /v1 and names the path asked for in a 404", async () => {
    const hook = await api<ErrorShape>("POST", "/v1/telegram/webhook", { body: {} })
    expect(hook.status).toBe(404)
    const missing = await api<ErrorShape>("GET", "/v1/no-such-route")
    expect(missing.status).toBe(404)
    expect(missing.body.error.message).toBe("No route for GET /v1/no-such-route")
  })

  it("lists /v1 paths in /openapi.json, with the conventions described", async () => {
    type Op = { parameters?: { $ref?: string }[]; responses: Record<string, { $ref?: string; headers?: object }> }
    const doc = await api<{ paths: Record<string, Record<string, Op>>; info: { description: string } }>(
      "GET",
      "/openapi.json",
    )
    const refs = (op: Op | undefined) => (op?.parameters ?? []).map((p) => p.$ref)
    expect(doc.body.info.description).toContain("`/api/...`")
    expect(refs(doc.body.paths["/v1/bots/{id}"]?.patch)).toContain("#/components/parameters/IfMatch")
    expect(refs(doc.body.paths["/v1/templates/{id}"]?.delete)).toContain("#/components/parameters/IfMatch")
    expect(refs(doc.body.paths["/v1/bots/{id}"]?.get)).toContain("#/components/parameters/IfNoneMatch")
    expect(doc.body.paths["/v1/contacts/{id}"]?.patch?.responses["412"]?.$ref).toBe(
      "#/components/responses/PreconditionFailed",
    )
    expect(doc.body.paths["/v1/bots"]?.post?.responses["201"]?.headers).toHaveProperty("Location")
  })
})
