// Alerts (docs/alerts.md): the business's settings API, and the events its bots post to the alert URL (here the
// endpoints fake's recorder, test/fakes/endpoints.ts), signed like forward calls (checked with the Standard Webhooks
// library a receiver would use), once per condition until it clears.
import { evictDurableObject } from "cloudflare:test"
import { Webhook } from "standardwebhooks"
import { describe, expect, it } from "vitest"
import type { AlertSettingsWritten } from "../../public/js/api-types.d.ts"
import { hmacSha256Hex } from "../fakes/builders"
import { api, tokenFor, uniqueBusiness } from "../helpers"
import { botStub, createTelegramBot, eventually, fakes } from "../messaging-helpers"

interface AlertBody {
  id: string
  type: string
  botId: string
  businessId: string
  at: string
  detail: Record<string, unknown>
}

interface Received {
  headers: Record<string, string>
  body: AlertBody
  raw: string
}

const uniqueName = () => `al${crypto.randomUUID().slice(0, 8)}`
const receiverUrl = (name: string) => `${fakes.endpoints}/forward/${name}`

/** Every call the receiver got, failed attempts included, in arrival order. */
async function received(name: string): Promise<Received[]> {
  const res = await fetch(`${fakes.endpoints}/__fake/requests?name=${name}`)
  const data: { requests: Received[] } = await res.json()
  return data.requests
}

/** Waits until the receiver has `count` calls (failed ones included), then returns them all. */
const receivedAtLeast = (name: string, count: number, timeoutMs = 10_000) =>
  eventually(
    async () => {
      const calls = await received(name)
      return calls.length >= count ? calls : undefined
    },
    timeoutMs,
    `${count} alert calls`,
  )

async function behave(name: string, behaviour: Record<string, unknown>) {
  await fetch(`${fakes.endpoints}/__fake/behave`, { method: "POST", body: JSON.stringify({ name, ...behaviour }) })
}

const putAlerts = (token: string, body: Record<string, unknown>) =>
  api<AlertSettingsWritten>("PUT", "/api/settings/alerts", { token, body })

/** A business with alerts to a fresh receiver: its admin token, the receiver's name and the secret issued once. */
async function businessWithAlerts(settings: Record<string, unknown> = {}) {
  const name = uniqueName()
  const admin = await tokenFor(uniqueBusiness("alerts"))
  const put = await putAlerts(admin, { url: receiverUrl(name), ...settings })
  expect(put.status).toBe(200)
  const secret = put.body.signingSecret ?? ""
  expect(secret.length).toBeGreaterThanOrEqual(40)
  return { name, admin, secret }
}

async function expectSigned(call: Received | undefined, secret: string) {
  const timestamp = call?.headers["x-switchboard-timestamp"] ?? ""
  expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(60)
  expect(call?.headers["x-switchboard-signature"]).toBe(
    `sha256=${await hmacSha256Hex(secret, `${timestamp}.${call?.raw}`)}`,
  )
  expect(call?.headers["x-switchboard-event-id"]).toBe(call?.body.id)
  expect(call?.headers["webhook-id"]).toBe(call?.body.id)
  expect(call?.headers["webhook-timestamp"]).toBe(timestamp)
  expect(new Webhook(secret).verify(call?.raw ?? "", call?.headers ?? {})).toEqual(call?.body)
  expect(() => new Webhook(secret).verify(`${call?.raw} `, call?.headers ?? {})).toThrow(/signature/)
}

const send = (bot: { id: string; admin: string }, chatId: string, text: string) =>
  api("POST", `/api/bots/${bot.id}/messages`, { token: bot.admin, body: { chatId, text } })

const control = (bot: { id: string; admin: string }, action: string) =>
  api<{ bot: { status: string } }>("POST", `/api/bots/${bot.id}/control`, { token: bot.admin, body: { action } })

describe("alert settings API", () => {
  it("keeps settings per business, shows the secret once, and refuses private URLs before storing anything", async () => {
    const business = uniqueBusiness("alerts")
    const admin = await tokenFor(business)
    const defaults = await api<AlertSettingsWritten>("GET", "/api/settings/alerts", { token: admin })
    expect(defaults.status).toBe(200)
    expect(defaults.body).toEqual({ url: null, queueDepth: 1000, failureRate: 0.2, minAttempts: 20, secretSet: false })

    // The same guard as forward handler URLs: https to a public host only (plain http to loopback is the test env's
    // one exception). Nothing is fetched: the receiver behind a refused loopback-over-https URL hears nothing.
    const name = uniqueName()
    for (const url of [
      "https://10.1.2.3/alerts",
      "https://169.254.169.254/latest/meta-data",
      "https://[fd00::1]/alerts",
      "https://192.168.1.20/alerts",
      `${receiverUrl(name).replace("http:", "https:")}`,
      "http://example.com/alerts",
      "not a url",
    ]) {
      const refused = await putAlerts(admin, { url })
      expect(refused.status, url).toBe(422)
      expect(refused.text).toMatch(/url/)
    }
    expect((await api<AlertSettingsWritten>("GET", "/api/settings/alerts", { token: admin })).body).toEqual(
      defaults.body,
    )
    expect(await received(name)).toEqual([])
    for (const bad of [{ queueDepth: 0 }, { failureRate: 1.5 }, { failureRate: 0 }, { minAttempts: 2.5 }])
      expect((await putAlerts(admin, { url: receiverUrl(name), ...bad })).status, JSON.stringify(bad)).toBe(422)

    const created = await putAlerts(admin, { url: receiverUrl(name), queueDepth: 50 })
    expect(created.status).toBe(200)
    expect(created.body).toMatchObject({ url: receiverUrl(name), queueDepth: 50, failureRate: 0.2, secretSet: true })
    const secret = created.body.signingSecret
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    // Never again: not on a read, not on a later write.
    const read = await api<AlertSettingsWritten>("GET", "/api/settings/alerts", { token: admin })
    expect(read.body).toEqual({
      url: receiverUrl(name),
      queueDepth: 50,
      failureRate: 0.2,
      minAttempts: 20,
      secretSet: true,
    })
    expect(read.text).not.toContain(secret)
    const updated = await putAlerts(admin, { url: receiverUrl(name), failureRate: 0.5, minAttempts: 5 })
    expect(updated.body).toEqual({
      url: receiverUrl(name),
      queueDepth: 1000,
      failureRate: 0.5,
      minAttempts: 5,
      secretSet: true,
    })
    // Rotation issues a new one, once.
    const rotated = await api<AlertSettingsWritten>("POST", "/api/settings/alerts/rotate-secret", { token: admin })
    expect(rotated.status).toBe(200)
    expect(rotated.body.signingSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    expect(rotated.body.signingSecret).not.toBe(secret)
    expect(rotated.body).toMatchObject({ url: receiverUrl(name), secretSet: true })

    // Tenancy: the business is the token's; another business sees and changes only its own.
    const other = await tokenFor(uniqueBusiness("other"))
    expect((await api<AlertSettingsWritten>("GET", "/api/settings/alerts", { token: other })).body).toEqual(
      defaults.body,
    )
    expect((await putAlerts(other, { url: null, queueDepth: 7 })).status).toBe(200)
    expect((await api<AlertSettingsWritten>("GET", "/api/settings/alerts", { token: admin })).body.queueDepth).toBe(
      1000,
    )
    // Viewers read (the URL without query values) but cannot write or rotate.
    const viewer = await tokenFor(business, "viewer")
    expect((await api("GET", "/api/settings/alerts", { token: viewer })).status).toBe(200)
    expect((await putAlerts(viewer, { url: null })).status).toBe(403)
    expect((await api("POST", "/api/settings/alerts/rotate-secret", { token: viewer })).status).toBe(403)
    expect((await api("GET", "/api/settings/alerts")).status).toBe(401)
  })
})

describe("alerts", () => {
  it("posts bot.error once when the token is revoked, retries a failed delivery, and resolves on a good start", async () => {
    const { name, admin, secret } = await businessWithAlerts()
    await behave(name, { fail: 503, times: 1 }) // the first attempt fails: retried, same event
    const bot = await createTelegramBot({ admin })
    await fakes.telegram.revoke(bot.token)
    await send(bot, "10", "to a revoked bot")

    const [failed] = await receivedAtLeast(name, 1)
    // The retry comes from the object's alarm, whatever was in memory: evicted meanwhile, it still arrives.
    await evictDurableObject(botStub(bot.id))
    const calls = await receivedAtLeast(name, 2)
    const fired = calls[1]
    expect(failed?.body.id).toBe(fired?.body.id)
    await expectSigned(failed, secret)
    expect(fired?.body).toMatchObject({ type: "bot.error", botId: bot.id, detail: { status: "error" } })
    expect(String(fired?.body.detail.reason)).toMatch(/unauthorized/)
    expect(fired?.body.businessId).toMatch(/^alerts-/)
    expect(Date.parse(fired?.body.at ?? "")).toBeGreaterThan(Date.now() - 60_000)
    await expectSigned(fired, secret)

    // Still in error: a restart with the revoked token fails again, and is no new alert...
    const again = await control(bot, "restart")
    expect(again.body.bot.status).toBe("error")
    // ...which the next event proves: fixed and started, the bot posts `resolved`, queued behind anything before it.
    await fakes.telegram.reset(bot.token)
    expect((await control(bot, "start")).body.bot.status).toBe("active")
    const all = await receivedAtLeast(name, 3)
    expect(all.map((c) => c.body.type)).toEqual(["bot.error", "bot.error", "bot.error.resolved"])
    expect(all[2]?.body.detail).toMatchObject({ status: "active", firedId: fired?.body.id })
    await expectSigned(all[2], secret)
    const logs = await api<{ logs: { event: string }[] }>("GET", `/api/bots/${bot.id}/logs?limit=100`, {
      token: admin,
    })
    const events = logs.body.logs.map((l) => l.event)
    expect(events).toEqual(expect.arrayContaining(["alert.fired", "alert.resolved", "alert.delivery_failed"]))
  }, 30_000)

  it("posts bot.failure_rate when sends fail over the threshold, once, and resolved when the rate falls", async () => {
    const { name, admin, secret } = await businessWithAlerts({ failureRate: 0.5, minAttempts: 4 })
    const bot = await createTelegramBot({ admin })
    await fakes.telegram.fail({ account: bot.token, method: "sendMessage", mode: "403", times: 4 })
    await Promise.all([0, 1, 2, 3].map((i) => send(bot, `2${i}`, `refused ${i}`)))
    const [fired] = await receivedAtLeast(name, 1, 40_000)
    expect(fired?.body).toMatchObject({
      type: "bot.failure_rate",
      botId: bot.id,
      detail: { failed: 4, attempts: 4, rate: 1, threshold: 0.5, minAttempts: 4, windowMinutes: 15 },
    })
    await expectSigned(fired, secret)
    // 7 good sends: 4 of 11 failed, under 80% of the threshold.
    await Promise.all([0, 1, 2, 3, 4, 5, 6].map((i) => send(bot, `3${i}`, `fine ${i}`)))
    const calls = await receivedAtLeast(name, 2, 40_000)
    expect(calls.map((c) => c.body.type)).toEqual(["bot.failure_rate", "bot.failure_rate.resolved"])
    expect(calls[1]?.body.detail).toMatchObject({ failed: 4, attempts: 11, firedId: fired?.body.id })
  }, 90_000)

  it("posts queue.depth_exceeded when a bot in error queues past the threshold, and both resolve once it sends", async () => {
    const { name, admin } = await businessWithAlerts({ queueDepth: 2 })
    const bot = await createTelegramBot({ admin })
    await fakes.telegram.revoke(bot.token)
    await send(bot, "40", "m0")
    await receivedAtLeast(name, 1)
    // In error the bot keeps what is sent to it: three waiting, over two.
    await send(bot, "41", "m1")
    await send(bot, "42", "m2")
    const calls = await receivedAtLeast(name, 2, 40_000)
    expect(calls[1]?.body).toMatchObject({ type: "queue.depth_exceeded", detail: { queued: 3, threshold: 2 } })
    await fakes.telegram.reset(bot.token)
    await control(bot, "start")
    const all = await receivedAtLeast(name, 4, 40_000)
    expect(all.map((c) => c.body.type)).toEqual([
      "bot.error",
      "queue.depth_exceeded",
      "bot.error.resolved",
      "queue.depth_exceeded.resolved",
    ])
    expect(all[3]?.body.detail).toMatchObject({ queued: 0, threshold: 2, firedId: calls[1]?.body.id })
  }, 90_000)
})
