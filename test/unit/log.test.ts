// Structured console logs: one JSON line per event, payload-sized values cut short.
import { describe, expect, it, vi } from "vitest"
import { logEvent } from "../../src/lib/log"

describe("logEvent", () => {
  it("writes one JSON line per event to the console method of its level", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined)
    logEvent("warn", "webhook.unrouted", { platform: "whatsapp", accountKey: "123" })
    expect(warn).toHaveBeenCalledTimes(1)
    expect(JSON.parse(String(warn.mock.calls[0]?.[0]))).toEqual({
      level: "warn",
      event: "webhook.unrouted",
      platform: "whatsapp",
      accountKey: "123",
    })
    warn.mockRestore()
  })

  it("keeps at most 200 characters of a string value, so a payload cannot flood the logs", () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined)
    logEvent("error", "x", { key: "k".repeat(100_000), n: 5 })
    const line = JSON.parse(String(error.mock.calls[0]?.[0]))
    expect(line.key).toBe(`${"k".repeat(200)}…`)
    expect(line.n).toBe(5)
    error.mockRestore()
  })
})
