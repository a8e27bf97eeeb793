// Rate limits of the management API (src/gate), in workerd with the gate's Durable Objects: a business's burst, then
// 429 rate_limited with Retry-After and the RateLimit fields; other businesses unaffected; per IP address without a
// valid token (/auth, forged tokens); never the platforms' webhooks. Each test gives its own subject a small policy
// (the suite's env sets the deployment's far above what tests send: vitest.config.ts).
import { env, SELF } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import { gateFor } from "../../src/gate/business-gate"
import { DEFAULT_LIMITS, type Policy, policyFor, type Subject } from "../../src/gate/limits"
import { api, tokenFor, uniqueBusiness } from "../helpers"
import { createTelegramBot } from "../messaging-helpers"

type ErrorShape = { error: { code: string; message: string } }

/** A rate so slow that nothing refills during a test: exactly `burst` requests pass. */
const tight = (burst: number): Policy => ({ rate: 0.01, burst })

async function limit(subject: Subject, policy: Policy): Promise<void> {
  await gateFor(env, subject).setPolicy(policy)
}

async function limitedBusiness(burst: number) {
  const id = uniqueBusiness("rl")
  await limit({ kind: "business", id }, tight(burst))
  return { id, admin: await tokenFor(id) }
}

/** A Telegram update as the platform delivers it (update and message ids, date). */
const update = (i: number) => ({
  update_id: 900_000 + i,
  message: {
    message_id: i + 1,
    date: Math.floor(Date.now() / 1000),
    chat: { id: 4242, type: "private", first_name: "Ada" },
    from: { id: 4242, is_bot: false, first_name: "Ada" },
    text: `update ${i}`,
  },
})

/** An address from a documentation range, new for each test. */
const freshIp = () => `2001:db8::${crypto.randomUUID().slice(0, 4)}:${crypto.randomUUID().slice(0, 4)}`

describe("a business's limit", () => {
  it("a burst over the limit answers 429 rate_limited with Retry-After and the RateLimit fields", async () => {
    const { admin } = await limitedBusiness(3)
    const answers = []
    for (let i = 0; i < 5; i++) answers.push(await api<ErrorShape>("GET", "/api/bots", { token: admin }))
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429, 429])
    expect(answers.slice(0, 3).map((a) => a.headers.get("RateLimit"))).toEqual([
      '"business";r=2;t=100',
      '"business";r=1;t=200',
      '"business";r=0;t=300',
    ])
    const refused = answers[3]
    expect(refused?.body.error.code).toBe("rate_limited")
    expect(refused?.body.error.message).toMatch(/Too many requests/)
    expect(refused?.headers.get("Retry-After")).toBe("100")
    expect(refused?.headers.get("RateLimit")).toBe('"business";r=0;t=300')
    expect(refused?.headers.get("RateLimit-Policy")).toBe('"business";q=3;w=300')
    expect(refused?.headers.get("Content-Type")).toMatch(/^application\/json/)
  })

  it("writes count too, and a refused write does nothing", async () => {
    const { id, admin } = await limitedBusiness(1)
    expect((await api("POST", "/api/contacts", { token: admin, body: { name: "Ada" } })).status).toBe(201)
    expect((await api("POST", "/api/contacts", { token: admin, body: { name: "Grace" } })).status).toBe(429)
    await limit({ kind: "business", id }, tight(5))
    const page = await api<{ contacts: { name: string }[] }>("GET", "/api/contacts", { token: admin })
    expect(page.body.contacts.map((c) => c.name)).toEqual(["Ada"])
  })

  it("another business is unaffected, and every answer carries the deployment's policy", async () => {
    const { admin } = await limitedBusiness(1)
    expect((await api("GET", "/api/bots", { token: admin })).status).toBe(200)
    expect((await api("GET", "/api/bots", { token: admin })).status).toBe(429)
    const other = await api("GET", "/api/bots", { token: await tokenFor(uniqueBusiness("rl-other")) })
    expect(other.status).toBe(200)
    const policy = policyFor(env, "business")
    expect(other.headers.get("RateLimit-Policy")).toBe(
      `"business";q=${policy?.burst};w=${Math.ceil((policy?.burst ?? 0) / (policy?.rate ?? 1))}`,
    )
    expect(other.headers.get("RateLimit")).toMatch(/^"business";r=\d+;t=\d+$/)
  })

  it("the bucket refills at the policy's rate (the gate told the time instead of waiting)", async () => {
    const gate = gateFor(env, { kind: "business", id: uniqueBusiness("rl-refill") })
    const policy = { rate: 2, burst: 2 }
    const now = Date.now()
    const at = (t: number) => gate.admit({ policy, now: t })
    expect((await at(now)).rate?.allowed).toBe(true)
    expect((await at(now)).rate?.allowed).toBe(true)
    const refused = (await at(now)).rate
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 1, resetSeconds: 1 })
    expect((await at(now + 499)).rate?.allowed).toBe(false)
    expect((await at(now + 600)).rate).toMatchObject({ allowed: true, remaining: 0 })
    expect((await at(now + 10_000)).rate).toMatchObject({ allowed: true, remaining: 1 })
  })

  it("the deployment's limits come from the environment", () => {
    const base = { ...env, API_RATE_LIMIT: undefined, API_RATE_BURST: undefined }
    expect(policyFor(base, "business")).toEqual(DEFAULT_LIMITS.business)
    expect(policyFor({ ...base, API_RATE_LIMIT: "50" }, "business")).toEqual({ rate: 50, burst: 100 })
    expect(policyFor({ ...base, API_RATE_LIMIT: "50", API_RATE_BURST: "500" }, "business")).toEqual({
      rate: 50,
      burst: 500,
    })
    expect(policyFor({ ...base, API_RATE_LIMIT: "off" }, "business")).toBeNull()
    expect(policyFor({ ...base, API_RATE_LIMIT: "0" }, "business")).toBeNull()
    expect(policyFor({ ...base, API_RATE_LIMIT: "lots" }, "business")).toEqual({ rate: 100, burst: 200 })
    expect(policyFor({ ...env, IP_RATE_LIMIT: undefined, IP_RATE_BURST: undefined }, "ip")).toEqual(DEFAULT_LIMITS.ip)
  })
})

describe("per IP address, without a valid token", () => {
  it("/auth is limited per client address (CF-Connecting-IP); another address is not", async () => {
    const ip = freshIp()
    await limit({ kind: "ip", id: ip }, tight(2))
    const call = (from: string) => api<ErrorShape>("GET", "/auth/config", { headers: { "CF-Connecting-IP": from } })
    const statuses = [(await call(ip)).status, (await call(ip)).status]
    const refused = await call(ip)
    expect([...statuses, refused.status]).toEqual([200, 200, 429])
    expect(refused.body.error.code).toBe("rate_limited")
    expect(refused.headers.get("Retry-After")).toBe("100")
    expect(refused.headers.get("RateLimit-Policy")).toBe('"ip";q=2;w=200')
    expect((await call(freshIp())).status).toBe(200)
    expect((await api("POST", "/auth/dev-token", { headers: { "CF-Connecting-IP": ip } })).status).toBe(429)
  })

  it("failed sign-ins count against the address; a valid token from it counts against its business", async () => {
    const ip = freshIp()
    await limit({ kind: "ip", id: ip }, tight(2))
    const forged = `${(await tokenFor("rl-forged")).slice(0, -4)}AAAA`
    const headers = { "CF-Connecting-IP": ip }
    const tries = []
    for (let i = 0; i < 3; i++) tries.push((await api("GET", "/api/bots", { token: forged, headers })).status)
    expect(tries).toEqual([401, 401, 429])
    expect((await api("GET", "/api/bots", { headers })).status).toBe(429)
    const valid = await api("GET", "/api/bots", { token: await tokenFor(uniqueBusiness("rl-ip")), headers })
    expect(valid.status).toBe(200)
    expect(valid.headers.get("RateLimit")).toMatch(/^"business";/)
  })
})

describe("never limited", () => {
  it("a bot's webhook takes every update while its business and the sender's address are over their limits", async () => {
    const business = uniqueBusiness("rl-hook")
    const bot = await createTelegramBot({ admin: await tokenFor(business) })
    const ip = freshIp()
    await limit({ kind: "business", id: business }, tight(1))
    await limit({ kind: "ip", id: ip }, tight(1))
    expect((await api("GET", "/api/bots", { token: bot.admin })).status).toBe(200)
    expect((await api("GET", "/api/bots", { token: bot.admin })).status).toBe(429)
    const statuses = []
    for (let i = 0; i < 20; i++) {
      const res = await SELF.fetch(bot.webhookUrl, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "X-Telegram-Bot-Api-Secret-Token": bot.secret,
          "CF-Connecting-IP": ip,
        },
        body: JSON.stringify(update(i)),
      })
      await res.arrayBuffer()
      statuses.push(res.status)
      expect(res.headers.get("RateLimit")).toBeNull()
    }
    expect(statuses).toEqual(Array(20).fill(200))
  })

  it("the single-bot mode's webhook under /api is not limited either", async () => {
    const ip = freshIp()
    await limit({ kind: "ip", id: ip }, tight(1))
    for (let i = 0; i < 5; i++) {
      const res = await api("POST", "/api/telegram/webhook", {
        headers: { "CF-Connecting-IP": ip, "X-Telegram-Bot-Api-Secret-Token": "wrong" },
        body: update(0),
      })
      expect(res.status).not.toBe(429)
      expect(res.headers.get("RateLimit")).toBeNull()
    }
  })
})
