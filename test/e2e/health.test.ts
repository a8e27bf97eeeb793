// GET /health: D1 reachability with its latency, the build's version, the configured platforms; 503 without D1.
import { env } from "cloudflare:test"
import { describe, expect, it, vi } from "vitest"
import pkg from "../../package.json"
import { createApp } from "../../src/app"
import { api } from "../helpers"

type Health = {
  status: string
  version: string
  d1: { ok: boolean; latencyMs: number }
  platforms: { supported: string[]; configured: string[] }
}

/** A D1 binding whose every query throws, as when the database cannot be reached. */
const brokenD1 = {
  prepare: () => ({
    bind() {
      return this
    },
    first: () => Promise.reject(new Error("D1_ERROR: network connection lost")),
    all: () => Promise.reject(new Error("D1_ERROR: network connection lost")),
    run: () => Promise.reject(new Error("D1_ERROR: network connection lost")),
  }),
  batch: () => Promise.reject(new Error("D1_ERROR: network connection lost")),
  exec: () => Promise.reject(new Error("D1_ERROR: network connection lost")),
} as unknown as D1Database

describe("GET /health", () => {
  it("reports D1 reachable with its latency and the version from package.json", async () => {
    const res = await api<Health>("GET", "/health")
    expect(res.status).toBe(200)
    expect(res.body.status).toBe("ok")
    expect(res.body.version).toBe(pkg.version)
    expect(res.body.d1.ok).toBe(true)
    expect(res.body.d1.latencyMs).toBeGreaterThanOrEqual(0)
    expect(res.body.platforms.configured).toEqual(expect.arrayContaining(["telegram", "whatsapp"]))
  })

  it("answers 503, with the same body shape, when D1 does not answer", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined)
    try {
      const res = await createApp().request("/health", {}, { ...env, DB: brokenD1 })
      expect(res.status).toBe(503)
      const body = await res.json<Health>()
      expect(body).toMatchObject({ status: "unavailable", version: pkg.version, d1: { ok: false } })
      expect(body.d1.latencyMs).toBeGreaterThanOrEqual(0)
      expect(body.platforms.supported).toEqual(expect.arrayContaining(["telegram", "whatsapp"]))
      const lines = error.mock.calls.map((args) => String(args[0]))
      expect(lines.some((l) => l.includes('"event":"health.d1_unreachable"'))).toBe(true)
    } finally {
      error.mockRestore()
    }
  })
})
