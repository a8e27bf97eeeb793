// Structured logs: a bot's significant events also reach the console as one JSON line naming the bot and business,
// without secrets.
import { afterEach, describe, expect, it, vi } from "vitest"
import { randomTelegramToken } from "../fakes/client"
import { api, tokenFor, uniqueBusiness } from "../helpers"
import { createTelegramBot, eventually, fakes } from "../messaging-helpers"

type Line = Record<string, unknown>

/** The JSON lines written through `method`, parsed (other output is skipped). */
function jsonLines(spy: { mock: { calls: unknown[][] } }): Line[] {
  const out: Line[] = []
  for (const [first] of spy.mock.calls) {
    if (typeof first !== "string" || !first.startsWith("{")) continue
    try {
      out.push(JSON.parse(first) as Line)
    } catch {
      // not one of ours
    }
  }
  return out
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe("structured logs", () => {
  it("writes bot.halted as an error line with the bot and business, and no token, when the token is revoked", async () => {
    const error = vi.spyOn(console, "error")
    const business = uniqueBusiness("logs")
    const bot = await createTelegramBot({ admin: await tokenFor(business) })
    await fakes.telegram.revoke(bot.token)
    const sent = await api("POST", `/api/bots/${bot.id}/messages`, {
      token: bot.admin,
      body: { chatId: "8", text: "hi" },
    })
    expect(sent.status).toBe(202)
    const halted = await eventually(async () =>
      jsonLines(error).find((l) => l.event === "bot.halted" && l.botId === bot.id),
    )
    expect(halted).toMatchObject({ level: "error", event: "bot.halted", botId: bot.id, businessId: business })
    for (const line of jsonLines(error)) expect(JSON.stringify(line)).not.toContain(bot.token)
  })

  it("mirrors the lifecycle (created, webhook registered, started) but not what users wrote", async () => {
    const log = vi.spyOn(console, "log")
    const business = uniqueBusiness("logs")
    const bot = await createTelegramBot({ admin: await tokenFor(business) })
    const mine = () => jsonLines(log).filter((l) => l.botId === bot.id)
    await eventually(async () => (mine().some((l) => l.event === "bot.started") ? true : undefined))
    const events = mine().map((l) => l.event)
    expect(events).toEqual(expect.arrayContaining(["config.created", "webhook.setup", "bot.started"]))
    expect(mine().every((l) => l.level === "info" && l.businessId === business)).toBe(true)
    expect(events).not.toContain("message.in")
  })

  it("logs credentials the platform refuses at create, without them", async () => {
    const warn = vi.spyOn(console, "warn")
    const business = uniqueBusiness("logs")
    const token = randomTelegramToken()
    await fakes.telegram.revoke(token)
    const res = await api("POST", "/api/bots", {
      token: await tokenFor(business),
      body: { platform: "telegram", name: "refused", credentials: { botToken: token } },
    })
    expect(res.status).toBeGreaterThanOrEqual(400)
    const line = jsonLines(warn).find((l) => l.event === "bot.credentials_rejected" && l.businessId === business)
    expect(line).toMatchObject({ level: "warn", platform: "telegram", botId: null })
    expect(JSON.stringify(line)).not.toContain(token)
  })
})
