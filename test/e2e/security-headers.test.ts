// Security headers (src/lib/security-headers.ts) on the worker's answers: health, OpenAPI, the /docs page, API errors,
// and webhooks (a plain per-bot POST is served before the app: src/routes/webhook-edge.ts).
import { SELF } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import { SECURITY_HEADERS } from "../../src/lib/security-headers"

const get = (path: string, headers: Record<string, string> = {}) =>
  SELF.fetch(`https://switchboard.test${path}`, { headers })

function expectSecurityHeaders(res: Response) {
  for (const [name, value] of SECURITY_HEADERS) expect(res.headers.get(name), name).toBe(value)
}

describe("security headers", () => {
  it("the policy allows only this origin, no inline code, no framing", () => {
    const csp = new Map(SECURITY_HEADERS).get("Content-Security-Policy") ?? ""
    expect(csp).toContain("default-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).not.toContain("unsafe-inline")
    expect(csp).not.toContain("unsafe-eval")
    expect(csp).not.toMatch(/data:|https?:|\*/)
  })

  it.each([
    ["/health", 200],
    ["/openapi.json", 200],
    ["/docs", 200],
    ["/api/bots", 401], // no token: the error renderer's answer
    ["/api/no-such-route", 404], // notFound
  ])("on GET %s (%i)", async (path, status) => {
    const res = await get(path)
    await res.arrayBuffer()
    expect(res.status).toBe(status)
    expectSecurityHeaders(res)
  })

  it.each([
    ["GET", "/webhooks/telegram/not-a-bot-id", 404],
    ["POST", "/webhooks/no-such-platform/bot_01a22d4a7d3200008dfd55dcd55d", 404],
    ["POST", "/webhooks/telegram/bot_01a22d4a7d3200008dfd55dcd55d", 404], // well-formed, but no such bot
  ])("on %s %s, with its request id and the error shape (%i)", async (method, path, status) => {
    const res = await SELF.fetch(`https://switchboard.test${path}`, {
      method,
      headers: { "x-request-id": "webhook-req-1", "content-type": "application/json" },
      ...(method === "POST" ? { body: "{}" } : {}),
    })
    expect(res.status).toBe(status)
    expect(await res.json()).toMatchObject({ error: { code: "not_found" } })
    expect(res.headers.get("x-request-id")).toBe("webhook-req-1")
    expectSecurityHeaders(res)
  })

  it("on an answer the error renderer gives for a bad token", async () => {
    const res = await get("/api/bots", { Authorization: "Bearer not.a.token" })
    await res.arrayBuffer()
    expect(res.status).toBe(401)
    expectSecurityHeaders(res)
  })

  it("/docs has no inline script, style element or style attribute; its code and styles are same-origin files", async () => {
    const res = await get("/docs")
    const html = await res.text()
    expect(res.headers.get("content-type")).toMatch(/^text\/html/)
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)]
    expect(scripts.length).toBeGreaterThan(0)
    for (const [, attrs, body] of scripts) {
      expect(body?.trim()).toBe("")
      expect(attrs).toMatch(/\bsrc="\/[^/]/)
    }
    expect(html).not.toMatch(/<style\b/i)
    expect(html).not.toMatch(/\sstyle=/i)
    expect(html).not.toMatch(/\son[a-z]+=/i)
    expect(html).toContain('<link rel="stylesheet" href="/css/docs.css">')
  })
})
