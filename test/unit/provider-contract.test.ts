/// <reference types="vite/client" />
// The provider contract: one suite every registered provider passes with its own fixtures and signing.
import { describe, expect, it } from "vitest"
import { utf8 } from "../../src/lib/encoding"
import { getProvider, isPlatform, parseCredentials, platforms, providers } from "../../src/providers"
import { inboundMessageSchema, type OutboundMessage, providerErrorKinds } from "../../src/providers/types"
import { body, fakeFetch, hangingFetch, type ProviderCase } from "../provider-cases"

/**
 * Every platform's case, found by path (Vite resolves the glob when it transforms this file, in workerd too): adding a
 * platform adds `test/fixtures/<platform>/cases.ts` and edits nothing here.
 */
const caseModules = import.meta.glob<{ cases: ProviderCase }>("../fixtures/*/cases.ts", { eager: true })
const contractCases: ProviderCase[] = Object.entries(caseModules)
  .map(([path, mod]) => {
    if (!mod.cases) throw new Error(`${path} exports no \`cases\``)
    return mod.cases
  })
  .sort((a, b) => a.platform.localeCompare(b.platform))

describe("provider registry", () => {
  it("lists every registered provider under the name it reports", () => {
    expect([...platforms].sort()).toEqual(Object.keys(providers).sort())
    for (const p of platforms) expect(getProvider(p).platform).toBe(p)
  })

  it("has a contract case for every registered platform", () => {
    expect(contractCases.map((c) => c.platform).sort()).toEqual([...platforms].sort())
  })

  it("finds each case in its platform's fixtures folder", () => {
    for (const [path, mod] of Object.entries(caseModules))
      expect(path).toBe(`../fixtures/${mod.cases.platform}/cases.ts`)
  })

  it("recognises only registered platform names", () => {
    expect(isPlatform("telegram")).toBe(true)
    expect(isPlatform("whatsapp")).toBe(true)
    expect(isPlatform("toString")).toBe(false)
    expect(isPlatform("signal")).toBe(false)
  })
})

describe.each(contractCases)("$platform provider contract", (c) => {
  const provider = getProvider(c.platform)
  const text: OutboundMessage = { chatId: "351912345678", text: "hello" }

  it("serves webhooks under /webhooks/<platform>/<botId>", () => {
    expect(provider.webhookPath("bot_x")).toBe(`/webhooks/${c.platform}/bot_x`)
  })

  it("accepts its bot's credentials and refuses an empty credentials object", () => {
    expect(parseCredentials(c.platform, c.bot.credentials).ok).toBe(true)
    expect(parseCredentials(c.platform, {}).ok).toBe(false)
  })

  it("only exposes credential fields that exist", () => {
    for (const field of provider.publicCredentialFields) expect(Object.keys(c.bot.credentials)).toContain(field)
  })

  it("publishes positive pacing limits", () => {
    expect(provider.limits.perChatIntervalMs).toBeGreaterThan(0)
    expect(provider.limits.perBotPerSecond).toBeGreaterThan(0)
  })

  describe("verify", () => {
    const raw = body(c.bodies, "text")

    it("accepts a request signed the way the platform signs it", async () => {
      expect(await provider.verify(await c.sign(raw), utf8(raw), c.bot)).toEqual({ ok: true, value: undefined })
    })

    it("needs no header beyond webhookHeaders (only those reach the bot's Durable Object)", async () => {
      const signed = await c.sign(raw)
      const kept = new Headers()
      for (const name of provider.webhookHeaders) {
        const value = signed.headers.get(name)
        if (value !== null) kept.set(name, value)
      }
      expect(provider.webhookHeaders).toContain(c.credentialHeader.toLowerCase())
      expect(await provider.verify({ ...signed, headers: kept }, utf8(raw), c.bot)).toEqual({
        ok: true,
        value: undefined,
      })
    })

    it("rejects a forged credential as unauthorized", async () => {
      const result = await provider.verify(await c.forge(raw), utf8(raw), c.bot)
      expect(result.ok ? null : result.error.kind).toBe("unauthorized")
    })

    it("rejects a request without the credential header", async () => {
      const signed = await c.sign(raw)
      const headers = new Headers(signed.headers)
      headers.delete(c.credentialHeader)
      const result = await provider.verify({ ...signed, headers }, utf8(raw), c.bot)
      expect(result.ok ? null : result.error.kind).toBe("unauthorized")
    })
  })

  describe("parse", () => {
    it.each(Object.keys(c.bodies))("turns the %s fixture into well-formed unified events", (name) => {
      const result = provider.parse(body(c.bodies, name), c.bot)
      if (!result.ok) throw new Error(result.error.message)
      const ids = result.value.map((e) => e.eventId)
      expect(new Set(ids).size).toBe(ids.length)
      for (const e of result.value) {
        expect(e.eventId).not.toBe("")
        expect(e.messageId).not.toBe("")
        expect(e.chatId).not.toBe("")
        expect(e.userId).not.toBe("")
        expect(e.botId).toBe(c.bot.botId)
        expect(e.platform).toBe(c.platform)
        // Round-trips through the inbox's schema: each kind carries its own payload, and only that.
        expect(inboundMessageSchema.parse(JSON.parse(JSON.stringify(e)))).toEqual(e)
        expect(typeof e.text).toBe("string")
        expect(Number.isFinite(e.timestamp)).toBe(true)
        expect(e.metadata).toBeTypeOf("object")
        if (e.kind === "status") expect(e.status.messageId).toBeTruthy()
        if (e.kind === "interactive") expect(e.interactive).toBeDefined()
        if (e.kind === "location") expect(e.location).toBeDefined()
      }
    })

    it("yields events for every fixture but the ignored ones", () => {
      for (const name of c.ignored) expect(Object.keys(c.bodies)).toContain(name)
      for (const name of Object.keys(c.bodies)) {
        const result = provider.parse(body(c.bodies, name), c.bot)
        expect(result.ok && result.value.length > 0, name).toBe(!c.ignored.includes(name))
      }
    })

    it("is pure: the same body gives the same events and neither input changes", () => {
      for (const raw of Object.values(c.bodies)) {
        const bot = structuredClone(c.bot)
        const first = provider.parse(raw, bot)
        const second = provider.parse(raw, bot)
        expect(second).toEqual(first)
        expect(bot).toEqual(c.bot)
      }
    })

    it.each(["{not json", "", "null", "[]", '"text"', '{"hello":"world"}'])(
      "returns an error, not a throw, for %j",
      (raw) => {
        const result = provider.parse(raw, c.bot)
        expect(result.ok).toBe(false)
      },
    )
  })

  describe("send", () => {
    it("reports the platform's message id on success", async () => {
      const { fetch } = fakeFetch(c.sendOk.response)
      expect(await provider.send(text, c.bot, { fetch })).toEqual({
        ok: true,
        value: { platformMessageId: c.sendOk.platformMessageId },
      })
    })

    it.each([
      ["a 503 with an HTML page", () => new Response("<html>Bad gateway</html>", { status: 503 })],
      ["a 200 that is not JSON", () => new Response("upstream reset", { status: 200 })],
    ])("treats %s as unavailable", async (_label, respond) => {
      const result = await provider.send(text, c.bot, { fetch: fakeFetch(respond).fetch })
      expect(result.ok ? null : result.error.kind).toBe("unavailable")
    })

    it("treats a network failure as unavailable without leaking credentials", async () => {
      const secrets = Object.entries(c.bot.credentials)
        .filter(([field]) => !provider.publicCredentialFields.includes(field))
        .map(([, value]) => value)
      const { fetch } = fakeFetch((call) => {
        throw new TypeError(`connect ECONNREFUSED while calling ${call.url}`)
      })
      const result = await provider.send(text, c.bot, { fetch })
      if (result.ok) throw new Error("expected a failure")
      expect(result.error.kind).toBe("unavailable")
      for (const value of secrets) expect(result.error.message).not.toContain(value)
    })

    it("gives up after io.timeoutMs and reports unavailable", async () => {
      const started = Date.now()
      const result = await provider.send(text, c.bot, { fetch: hangingFetch, timeoutMs: 50 })
      expect(result.ok ? null : result.error.kind).toBe("unavailable")
      expect(Date.now() - started).toBeLessThan(5_000)
    })

    // Each refusal in the platform's own error shape: a body in the other platform's shape would only ever
    // exercise the "no recognisable error" path.
    it.each(c.sendErrors.map((e) => [e.status, e.meaning, e] as const))(
      "classifies HTTP %i (%s) as its documented kind",
      async (status, _meaning, e) => {
        const { fetch } = fakeFetch(() => Response.json(e.body, { status, headers: e.headers }))
        const result = await provider.send(text, c.bot, { fetch })
        if (result.ok) throw new Error(`HTTP ${status} was reported as sent`)
        expect(providerErrorKinds).toContain(result.error.kind)
        expect(result.error.kind).toBe(e.kind)
        expect(result.error.status).toBe(status)
      },
    )
  })
})
