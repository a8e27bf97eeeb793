// The management API for bots: CRUD, control, logs, validation, auth, tenancy and secrecy of credentials.
import { env } from "cloudflare:test"
import { sign } from "hono/jwt"
import { describe, expect, it } from "vitest"
import pkg from "../../package.json"
import { healthApp } from "../../src/routes/health"
import { telegramTextUpdate } from "../fakes/builders"
import { randomPhoneNumberId, randomTelegramToken } from "../fakes/client"
import { api, tokenFor, uniqueBusiness } from "../helpers"

interface BotBody {
  id: string
  platform: string
  name: string
  status: string
  statusReason: string | null
  handler: Record<string, unknown>
  credentials: Record<string, unknown>
  webhookUrl: string
  last24h?: { inbound: number; outbound: number; failed: number; failureRate: number | null }
}
type One = { bot: BotBody; setup?: { ok: boolean }; signingSecret?: string }
type Page = { bots: BotBody[]; nextCursor: string | null }
type ErrorShape = { error: { code: string; message: string } }

async function createTelegramBot(token: string, name = "Support bot", botToken = randomTelegramToken()) {
  return api<One>("POST", "/api/bots", { token, body: { platform: "telegram", name, credentials: { botToken } } })
}

describe("creating bots", () => {
  it("creates a Telegram bot, registers its webhook and never echoes the token", async () => {
    const admin = await tokenFor(uniqueBusiness("acme"))
    const botToken = randomTelegramToken()
    const res = await createTelegramBot(admin, "Support bot", botToken)
    expect(res.status).toBe(201)
    expect(res.body.bot).toMatchObject({ platform: "telegram", name: "Support bot", status: "active" })
    expect(res.body.bot.id).toMatch(/^bot_[0-9a-f]{28}$/)
    expect(res.body.bot.webhookUrl).toBe(`https://switchboard.test/webhooks/telegram/${res.body.bot.id}`)
    expect(res.body.bot.handler).toEqual({ type: "echo" })
    expect(res.body.setup?.ok).toBe(true)
    expect(res.text).not.toContain(botToken)
  })

  it("creates a WhatsApp bot showing only the phone number id", async () => {
    const admin = await tokenFor(uniqueBusiness("acme"))
    const phone = randomPhoneNumberId()
    const credentials = {
      accessToken: "EAAG-secret-access-token",
      phoneNumberId: phone,
      verifyToken: "verify-me",
      appSecret: "app-secret-value",
    }
    const res = await api<One>("POST", "/api/bots", {
      token: admin,
      body: { platform: "whatsapp", name: "Sales", credentials },
    })
    expect(res.status).toBe(201)
    expect(res.body.bot.credentials).toEqual({ phoneNumberId: phone, configured: true })
    for (const secret of ["EAAG-secret-access-token", "verify-me", "app-secret-value"])
      expect(res.text).not.toContain(secret)
  })

  it("refuses a second bot on the same WhatsApp number with 409", async () => {
    const admin = await tokenFor(uniqueBusiness("acme"))
    const credentials = { accessToken: "token-1", phoneNumberId: randomPhoneNumberId(), verifyToken: "v" }
    const first = await api("POST", "/api/bots", {
      token: admin,
      body: { platform: "whatsapp", name: "A", credentials },
    })
    expect(first.status).toBe(201)
    const second = await api<ErrorShape>("POST", "/api/bots", {
      token: admin,
      body: { platform: "whatsapp", name: "B", credentials },
    })
    expect(second.status).toBe(409)
    expect(second.body.error.code).toBe("bot_conflict")
  })

  it("stores credentials sealed, not in clear, in D1", async () => {
    const admin = await tokenFor(uniqueBusiness("acme"))
    const botToken = randomTelegramToken()
    const res = await createTelegramBot(admin, "Sealed", botToken)
    const row = await env.DB.prepare("SELECT * FROM bots WHERE id = ?").bind(res.body.bot.id).first()
    expect(JSON.stringify(row)).not.toContain(botToken)
    expect(String(row?.credentials_enc)).toMatch(/^v1\./)
  })

  // Each names the one failing field, in `message` (for logs) and in `details.fields` (for forms); the wording after
  // the path is the schema library's except where ours (the bot token's hint).
  it.each([
    ["unknown platform", { platform: "fax", name: "x", credentials: {} }, "platform", /"telegram"\|"whatsapp"/],
    ["missing name", { platform: "telegram", credentials: { botToken: randomTelegramToken() } }, "name", /string/],
    [
      "malformed bot token",
      { platform: "telegram", name: "x", credentials: { botToken: "not-a-token" } },
      "credentials.botToken",
      /^expected a BotFather token such as 123456789:AAE\.\.\.$/,
    ],
    [
      "whatsapp without phone number id",
      { platform: "whatsapp", name: "x", credentials: { accessToken: "t", verifyToken: "v" } },
      "credentials.phoneNumberId",
      /string/,
    ],
    [
      "forward handler without url",
      {
        platform: "telegram",
        name: "x",
        credentials: { botToken: randomTelegramToken() },
        handler: { type: "forward" },
      },
      "handler.url",
      /string/,
    ],
  ])("rejects %s with 422 validation_failed naming the field", async (_label, body, path, reason) => {
    const admin = await tokenFor(uniqueBusiness("acme"))
    const res = await api<ErrorShape & { error: { details: { fields: { path: string; message: string }[] } } }>(
      "POST",
      "/api/bots",
      { token: admin, body },
    )
    expect(res.status).toBe(422)
    expect(res.body.error.code).toBe("validation_failed")
    const fields = res.body.error.details.fields
    expect(fields.map((f) => f.path)).toEqual([path])
    expect(fields[0]?.message).toMatch(reason)
    expect(res.body.error.message).toBe(`Invalid body: ${path}: ${fields[0]?.message}`)
  })

  it("names the failing field in details, for forms to show next to the input", async () => {
    const admin = await tokenFor(uniqueBusiness("acme"))
    const bad = await api<{ error: { details: { fields: { path: string; message: string }[] } } }>(
      "POST",
      "/api/bots",
      {
        token: admin,
        body: { platform: "telegram", name: "x", credentials: { botToken: "nope" } },
      },
    )
    expect(bad.status).toBe(422)
    expect(bad.body.error.details.fields.map((f) => f.path)).toEqual(["credentials.botToken"])
    const noName = await api<{ error: { details: { fields: { path: string }[] } } }>("POST", "/api/bots", {
      token: admin,
      body: { platform: "telegram", name: "", credentials: { botToken: randomTelegramToken() } },
    })
    expect(noName.body.error.details.fields.map((f) => f.path)).toEqual(["name"])
  })

  it("answers a malformed JSON body with 400, not 500", async () => {
    const admin = await tokenFor(uniqueBusiness("acme"))
    const res = await api<ErrorShape>("POST", "/api/bots", {
      token: admin,
      raw: "{not json",
      headers: { "Content-Type": "application/json" },
    })
    expect(res.status).toBe(400)
    expect(res.body.error).toEqual({ code: "bad_request", message: "Malformed JSON in request body" })
  })

  it("returns a generated forward signing secret once, and never again", async () => {
    const admin = await tokenFor(uniqueBusiness("acme"))
    const res = await api<One>("POST", "/api/bots", {
      token: admin,
      body: {
        platform: "telegram",
        name: "F",
        credentials: { botToken: randomTelegramToken() },
        handler: { type: "forward", url: "https://example.com/hook" },
      },
    })
    expect(res.status).toBe(201)
    const secret = res.body.signingSecret
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    const again = await api("GET", `/api/bots/${res.body.bot.id}`, { token: admin })
    expect(again.text).not.toContain(String(secret))
  })
})

describe("reading bots", () => {
  it("gets one bot and 404s an unknown id", async () => {
    const admin = await tokenFor(uniqueBusiness("acme"))
    const created = await createTelegramBot(admin)
    const got = await api<One>("GET", `/api/bots/${created.body.bot.id}`, { token: admin })
    expect(got.status).toBe(200)
    expect(got.body.bot.id).toBe(created.body.bot.id)
    const missing = await api<ErrorShape>("GET", "/api/bots/bot_doesnotexist", { token: admin })
    expect(missing.status).toBe(404)
    expect(missing.body.error.code).toBe("not_found")
  })

  it("pages through more than one page in a stable newest-first order, with filters", async () => {
    const business = uniqueBusiness("pager")
    const admin = await tokenFor(business)
    const ids: string[] = []
    for (let i = 0; i < 7; i++) ids.push((await createTelegramBot(admin, `tg ${i}`)).body.bot.id)
    const wa = await api<One>("POST", "/api/bots", {
      token: admin,
      body: {
        platform: "whatsapp",
        name: "wa special",
        credentials: { accessToken: "t", phoneNumberId: randomPhoneNumberId(), verifyToken: "v" },
      },
    })
    ids.push(wa.body.bot.id)

    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const path: string = `/api/bots?limit=3${cursor ? `&cursor=${cursor}` : ""}`
      const page: { body: Page; status: number } = await api<Page>("GET", path, { token: admin })
      expect(page.status).toBe(200)
      expect(page.body.bots.length).toBeLessThanOrEqual(3)
      seen.push(...page.body.bots.map((b) => b.id))
      cursor = page.body.nextCursor
      pages++
    } while (cursor)
    expect(pages).toBe(3)
    expect(seen).toEqual([...ids].reverse())

    const onlyWa = await api<Page>("GET", "/api/bots?platform=whatsapp", { token: admin })
    expect(onlyWa.body.bots.map((b) => b.id)).toEqual([wa.body.bot.id])
    const search = await api<Page>("GET", "/api/bots?q=SPECIAL", { token: admin })
    expect(search.body.bots.map((b) => b.id)).toEqual([wa.body.bot.id])
    const literal = await api<Page>("GET", "/api/bots?q=%25", { token: admin })
    expect(literal.body.bots).toEqual([])
  })

  it("filters by status after a stop", async () => {
    const admin = await tokenFor(uniqueBusiness("status"))
    const a = await createTelegramBot(admin, "a")
    await createTelegramBot(admin, "b")
    await api("POST", `/api/bots/${a.body.bot.id}/control`, { token: admin, body: { action: "stop" } })
    const stopped = await api<Page>("GET", "/api/bots?status=stopped", { token: admin })
    expect(stopped.body.bots.map((b) => b.id)).toEqual([a.body.bot.id])
  })

  it("rejects a forged cursor and an out-of-range limit", async () => {
    const admin = await tokenFor(uniqueBusiness("acme"))
    expect((await api("GET", "/api/bots?cursor=Zm9v", { token: admin })).status).toBe(400)
    expect((await api("GET", "/api/bots?limit=1000", { token: admin })).status).toBe(422)
    expect((await api("GET", "/api/bots?status=sleeping", { token: admin })).status).toBe(422)
  })
})

describe("changing bots", () => {
  it("patches the name and handler and keeps the AI key write-only", async () => {
    const admin = await tokenFor(uniqueBusiness("acme"))
    const created = await createTelegramBot(admin)
    const res = await api<One>("PATCH", `/api/bots/${created.body.bot.id}`, {
      token: admin,
      body: {
        name: "Renamed",
        handler: { type: "ai", baseUrl: "https://llm.example/v1", model: "m1", apiKey: "sk-very-secret" },
      },
    })
    expect(res.status).toBe(200)
    expect(res.body.bot.name).toBe("Renamed")
    expect(res.body.bot.handler).toEqual({ type: "ai", baseUrl: "https://llm.example/v1", model: "m1" })
    expect(res.text).not.toContain("sk-very-secret")
  })

  it("rejects an empty patch with 422", async () => {
    const admin = await tokenFor(uniqueBusiness("acme"))
    const created = await createTelegramBot(admin)
    expect((await api("PATCH", `/api/bots/${created.body.bot.id}`, { token: admin, body: {} })).status).toBe(422)
  })

  it("stops, starts and restarts a bot, and logs each step", async () => {
    const admin = await tokenFor(uniqueBusiness("acme"))
    const id = (await createTelegramBot(admin)).body.bot.id
    const stop = await api<One>("POST", `/api/bots/${id}/control`, { token: admin, body: { action: "stop" } })
    expect(stop.status).toBe(200)
    expect(stop.body.bot.status).toBe("stopped")
    const start = await api<One>("POST", `/api/bots/${id}/control`, { token: admin, body: { action: "start" } })
    expect(start.body.bot.status).toBe("active")
    const restart = await api<One>("POST", `/api/bots/${id}/control`, { token: admin, body: { action: "restart" } })
    expect(restart.body.bot.status).toBe("active")
    const bad = await api("POST", `/api/bots/${id}/control`, { token: admin, body: { action: "explode" } })
    expect(bad.status).toBe(422)

    const logs = await api<{ logs: { id: number; event: string }[]; nextBefore: number | null }>(
      "GET",
      `/api/bots/${id}/logs?limit=3`,
      { token: admin },
    )
    expect(logs.status).toBe(200)
    expect(logs.body.logs.map((l) => l.event)).toEqual(["bot.started", "webhook.setup", "webhook.teardown"])
    const older = await api<{ logs: { event: string }[] }>(
      "GET",
      `/api/bots/${id}/logs?before=${logs.body.nextBefore}`,
      { token: admin },
    )
    expect(older.body.logs.map((l) => l.event)).toEqual(expect.arrayContaining(["bot.stopped", "config.created"]))
  })

  it("deletes a bot; afterwards it is gone", async () => {
    const admin = await tokenFor(uniqueBusiness("acme"))
    const id = (await createTelegramBot(admin)).body.bot.id
    const deleted = await api<{ deleted: boolean; discarded: number }>("DELETE", `/api/bots/${id}`, { token: admin })
    expect(deleted.status).toBe(200)
    expect(deleted.body).toEqual({ deleted: true, discarded: 0 })
    expect((await api("GET", `/api/bots/${id}`, { token: admin })).status).toBe(404)
    expect((await api("DELETE", `/api/bots/${id}`, { token: admin })).status).toBe(404)
  })
})

describe("authentication and authorization", () => {
  it("401s a missing, forged, expired or wrong-algorithm token", async () => {
    const business = uniqueBusiness("auth")
    expect((await api<ErrorShape>("GET", "/api/bots")).status).toBe(401)
    const forged = await sign(
      { sub: "u", business_id: business, role: "owner", exp: Math.floor(Date.now() / 1000) + 60 },
      "not-the-secret",
      "HS256",
    )
    expect((await api("GET", "/api/bots", { token: forged })).status).toBe(401)
    const expired = await sign(
      { sub: "u", business_id: business, role: "owner", exp: Math.floor(Date.now() / 1000) - 10 },
      env.JWT_SECRET,
      "HS256",
    )
    const res = await api<ErrorShape>("GET", "/api/bots", { token: expired })
    expect(res.status).toBe(401)
    expect(res.body.error.code).toBe("token_expired")
    const hs512 = await sign(
      { sub: "u", business_id: business, role: "owner", exp: Math.floor(Date.now() / 1000) + 60 },
      env.JWT_SECRET,
      "HS512",
    )
    expect((await api("GET", "/api/bots", { token: hs512 })).status).toBe(401)
    const noRole = await sign(
      { sub: "u", business_id: business, exp: Math.floor(Date.now() / 1000) + 60 },
      env.JWT_SECRET,
      "HS256",
    )
    expect((await api("GET", "/api/bots", { token: noRole })).status).toBe(401)
  })

  it("lets viewers read but not write", async () => {
    const business = uniqueBusiness("view")
    const admin = await tokenFor(business, "admin")
    const viewer = await tokenFor(business, "viewer")
    const id = (await createTelegramBot(admin)).body.bot.id
    expect((await api("GET", "/api/bots", { token: viewer })).status).toBe(200)
    expect((await api("GET", `/api/bots/${id}`, { token: viewer })).status).toBe(200)
    expect((await api("GET", `/api/bots/${id}/logs`, { token: viewer })).status).toBe(200)
    const writes = [
      api("POST", "/api/bots", {
        token: viewer,
        body: { platform: "telegram", name: "x", credentials: { botToken: randomTelegramToken() } },
      }),
      api("PATCH", `/api/bots/${id}`, { token: viewer, body: { name: "y" } }),
      api("POST", `/api/bots/${id}/control`, { token: viewer, body: { action: "stop" } }),
      api("DELETE", `/api/bots/${id}`, { token: viewer }),
    ]
    for (const res of await Promise.all(writes)) expect(res.status).toBe(403)
    expect((await api<One>("GET", `/api/bots/${id}`, { token: admin })).body.bot).toMatchObject({
      name: "Support bot",
      status: "active",
    })
  })

  it("hides one business's bots from another: 404, never 403", async () => {
    const a = await tokenFor(uniqueBusiness("a"), "owner")
    const b = await tokenFor(uniqueBusiness("b"), "owner")
    const id = (await createTelegramBot(a)).body.bot.id
    for (const [method, path, body] of [
      ["GET", `/api/bots/${id}`, undefined],
      ["PATCH", `/api/bots/${id}`, { name: "stolen" }],
      ["POST", `/api/bots/${id}/control`, { action: "stop" }],
      ["GET", `/api/bots/${id}/logs`, undefined],
      ["DELETE", `/api/bots/${id}`, undefined],
    ] as const) {
      expect((await api(method, path, { token: b, body })).status).toBe(404)
    }
    expect((await api<Page>("GET", "/api/bots", { token: b })).body.bots).toEqual([])
    expect((await api<One>("GET", `/api/bots/${id}`, { token: a })).body.bot).toMatchObject({
      name: "Support bot",
      status: "active",
    })
  })
})

describe("health and docs", () => {
  it("answers /health without auth", async () => {
    const res = await api<{
      status: string
      version: string
      defaultPlatform: string
      platforms: { supported: string[] }
      registry: { reachable: boolean; latencyMs: number | null }
    }>("GET", "/health")
    expect(res.status).toBe(200)
    expect(res.body.status).toBe("ok")
    expect(res.body.platforms.supported).toEqual(expect.arrayContaining(["telegram", "whatsapp"]))
    expect(res.body.defaultPlatform).toBe("whatsapp")
    // The registry answered, with its latency; the version is package.json's.
    expect(res.body.registry).toMatchObject({ reachable: true, latencyMs: expect.any(Number) })
    expect(res.body.version).toBe(pkg.version)
  })

  it("answers 503 with the same body when D1 does not answer", async () => {
    // A registry that refuses every query: the real D1 cannot be made to fail, so this one binding is replaced.
    const down = {
      prepare: () => ({ first: () => Promise.reject(new Error("D1_ERROR: database unavailable")) }),
    } as unknown as D1Database
    const res = await healthApp.request("/", {}, { ...env, DB: down })
    expect(res.status).toBe(503)
    const body = await res.json<{ status: string; registry: { reachable: boolean; latencyMs: number | null } }>()
    expect(body.status).toBe("unavailable")
    expect(body.registry).toMatchObject({ reachable: false, latencyMs: null })
  })

  it("serves the OpenAPI document generated from the validating schemas", async () => {
    const res = await api<{ openapi: string; paths: Record<string, unknown> }>("GET", "/openapi.json")
    expect(res.status).toBe(200)
    expect(res.body.openapi).toBe("3.1.0")
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(["/v1/overview", "/v1/platforms", "/v1/bots/{id}/stats"]),
    )
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        "/v1/bots",
        "/v1/bots/{id}",
        "/v1/bots/{id}/control",
        "/v1/bots/{id}/logs",
        "/v1/bots/{id}/messages",
      ]),
    )
    // The canonical paths only: the /api aliases are described, not listed twice.
    expect(Object.keys(res.body.paths).filter((p) => p.startsWith("/api/"))).toEqual([])
  })

  it("answers unknown routes with the error shape", async () => {
    const res = await api<ErrorShape>("GET", "/nope")
    expect(res.status).toBe(404)
    expect(res.body.error.code).toBe("not_found")
  })
})

describe("insights", () => {
  it("counts traffic per bot (live) and rolls it up for the list and the overview", async () => {
    const { createTelegramBot, postTelegramUpdate, eventually } = await import("../messaging-helpers")
    const bot = await createTelegramBot()
    await postTelegramUpdate(bot, telegramTextUpdate({ chatId: 321, text: "count me" }))
    const stats = await eventually(async () => {
      const r = await api<{
        last24h: { inbound: number; outbound: number }
        hours: unknown[]
        queue: { queued: number }
      }>("GET", `/api/bots/${bot.id}/stats`, { token: bot.admin })
      return r.body.last24h.outbound === 1 ? r.body : undefined
    })
    expect(stats.last24h.inbound).toBe(1)
    expect(stats.hours).toHaveLength(24)
    // The first activity is flushed to the D1 rollup at once; later ones are coalesced (15 s).
    const listed = await eventually(async () => {
      const r = await api<Page>("GET", "/api/bots", { token: bot.admin })
      const row = r.body.bots.find((b) => b.id === bot.id)
      return row?.last24h && row.last24h.inbound === 1 ? row.last24h : undefined
    })
    expect(listed).toMatchObject({ inbound: 1, failed: 0 })
    const overview = await api<{
      platforms: { platform: string; bots: number; inbound24h: number }[]
      totals: { bots: number }
    }>("GET", "/api/overview", { token: bot.admin })
    expect(overview.body.platforms).toEqual([
      expect.objectContaining({ platform: "telegram", bots: 1, active: 1, inbound24h: 1 }),
    ])
    expect(overview.body.totals.bots).toBe(1)
    const stranger = await tokenFor(uniqueBusiness("stranger"))
    expect((await api("GET", `/api/bots/${bot.id}/stats`, { token: stranger })).status).toBe(404)
    expect((await api<{ platforms: unknown[] }>("GET", "/api/overview", { token: stranger })).body.platforms).toEqual(
      [],
    )
  })
})

describe("platforms", () => {
  it("describes each registered platform's credential fields from its schema", async () => {
    const res = await api<{
      platforms: { platform: string; credentialFields: { name: string; required: boolean; secret: boolean }[] }[]
    }>("GET", "/api/platforms", { token: await tokenFor(uniqueBusiness("p"), "viewer") })
    expect(res.status).toBe(200)
    const byName = Object.fromEntries(res.body.platforms.map((p) => [p.platform, p.credentialFields]))
    expect(byName.telegram).toEqual([expect.objectContaining({ name: "botToken", required: true, secret: true })])
    expect(byName.whatsapp).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "phoneNumberId", required: true, secret: false }),
        expect.objectContaining({ name: "accessToken", secret: true }),
        expect.objectContaining({ name: "appSecret", required: false, secret: true }),
      ]),
    )
  })
})

describe("interactive docs", () => {
  it("serves a self-contained page that reads /openapi.json", async () => {
    const res = await api("GET", "/docs")
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toContain("text/html")
    // Its code (which fetches /openapi.json) is a same-origin file, not inline: the CSP allows no inline scripts.
    expect(res.text).toContain('<script type="module" src="/js/docs.js"></script>')
    expect(res.text).not.toMatch(/<script[^>]+src=["']https?:/)
  })
})
