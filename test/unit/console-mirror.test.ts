// The bot's significant activity on the console: JSON lines with its ids, everyday traffic left out, floods capped.
import { afterEach, describe, expect, it, vi } from "vitest"
import { ConsoleMirror } from "../../src/bot/console-mirror"

const lines = (spy: { mock: { calls: unknown[][] } }) =>
  spy.mock.calls.map((c) => JSON.parse(String(c[0])) as Record<string, unknown>)

describe("ConsoleMirror", () => {
  afterEach(() => vi.restoreAllMocks())

  it("writes warnings, errors and lifecycle events with the bot's ids, and leaves everyday traffic out", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {})
    const error = vi.spyOn(console, "error").mockImplementation(() => {})
    const mirror = new ConsoleMirror(() => ({ botId: "bot_1", businessId: "acme" }))
    mirror.write("info", "message.in", "text from Ada: hi")
    mirror.write("info", "bot.started", "Bot started")
    mirror.write("error", "bot.halted", "Bot stopped by the platform: unauthorized", { reason: "401" })
    expect(lines(log)).toEqual([
      { level: "info", event: "bot.started", botId: "bot_1", businessId: "acme", message: "Bot started" },
    ])
    expect(lines(error)).toEqual([
      {
        level: "error",
        event: "bot.halted",
        botId: "bot_1",
        businessId: "acme",
        message: "Bot stopped by the platform: unauthorized",
        reason: "401",
      },
    ])
  })

  it("caps each event at 20 lines a minute and then says how many it left out", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {})
    const mirror = new ConsoleMirror(() => null)
    for (let i = 0; i < 50; i++) mirror.write("warn", "webhook.rejected", "bad signature", {}, 1_000 + i)
    expect(lines(warn).filter((l) => l.event === "webhook.rejected")).toHaveLength(20)
    mirror.write("warn", "webhook.rejected", "bad signature", {}, 61_000)
    const all = lines(warn)
    expect(all.find((l) => l.event === "log.suppressed")).toMatchObject({ of: "webhook.rejected", dropped: 30 })
    expect(all.filter((l) => l.event === "webhook.rejected")).toHaveLength(21)
  })
})
