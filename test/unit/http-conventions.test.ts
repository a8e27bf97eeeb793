// The pure parts of the HTTP conventions: entity tags and their comparisons (src/lib/etag.ts), CORS_ORIGINS parsing
// (src/lib/cors.ts) and the /v1 <-> /api paths (src/lib/api-paths.ts).
import { describe, expect, it } from "vitest"
import { canonicalPath, routedPath } from "../../src/lib/api-paths"
import { corsOrigins } from "../../src/lib/cors"
import { ifMatchHolds, ifNoneMatchHits, parseTags, resourceTag, textTag } from "../../src/lib/etag"

describe("entity tags", () => {
  it("are strong digests of the JSON, two-part when the resource has live fields", async () => {
    const plain = await textTag('{"a":1}')
    expect(plain).toMatch(/^"[A-Za-z0-9_-]{16}"$/)
    expect(await textTag('{"a":1}')).toBe(plain)
    expect(await textTag('{"a":2}')).not.toBe(plain)
    expect(await resourceTag("template", { a: 1 })).toBe(await textTag('{"template":{"a":1}}'))

    const bot = { id: "b", name: "x", queueDepth: 0, lastActive: null }
    const tag = await resourceTag("bot", bot, ["queueDepth", "lastActive"])
    expect(tag).toMatch(/^"[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{16}"$/)
    const busier = await resourceTag("bot", { ...bot, queueDepth: 3 }, ["queueDepth", "lastActive"])
    const renamed = await resourceTag("bot", { ...bot, name: "y" }, ["queueDepth", "lastActive"])
    expect(busier.split(".")[0]).toBe(tag.split(".")[0])
    expect(busier).not.toBe(tag)
    expect(renamed.split(".")[0]).not.toBe(tag.split(".")[0])
    // The busier bot still matches an If-Match of the older tag; the renamed one does not. If-None-Match wants both.
    expect(ifMatchHolds(tag, busier)).toBe(true)
    expect(ifMatchHolds(tag, renamed)).toBe(false)
    expect(ifNoneMatchHits(tag, busier)).toBe(false)
  })

  it("parse header lists, `*` and weak tags, skipping what is malformed", () => {
    expect(parseTags("*")).toBeNull()
    expect(parseTags(' "a", W/"b" ,nonsense, "c d"')).toEqual([
      { weak: false, opaque: "a" },
      { weak: true, opaque: "b" },
    ])
    expect(ifMatchHolds('W/"a"', '"a"')).toBe(false) // strong comparison
    expect(ifMatchHolds('"x", "a"', '"a"')).toBe(true)
    expect(ifMatchHolds("*", '"a"')).toBe(true)
    expect(ifMatchHolds("a", '"a"')).toBe(false) // unquoted: not a tag
    expect(ifNoneMatchHits('W/"a"', '"a"')).toBe(true) // weak comparison
    expect(ifNoneMatchHits('"b"', '"a"')).toBe(false)
  })
})

describe("CORS_ORIGINS", () => {
  it("takes exact http(s) origins only: nothing by default, never a wildcard", () => {
    expect([...corsOrigins(undefined)]).toEqual([])
    expect([...corsOrigins("")]).toEqual([])
    expect([...corsOrigins(" https://app.example.com , http://localhost:5173/,https://App.Example.org:8443")]).toEqual([
      "https://app.example.com",
      "http://localhost:5173",
      "https://app.example.org:8443",
    ])
    for (const bad of [
      "*",
      "https://*.example.com",
      "https://a.example/path",
      "https://u:p@a.example",
      "ftp://a",
      "a.example",
    ])
      expect([...corsOrigins(bad)], bad).toEqual([])
  })
})

describe("/v1 and /api", () => {
  it("routes /v1 as /api and names /api by its /v1 path, except the single-bot webhooks", () => {
    expect(routedPath("/v1/bots/x")).toBe("/api/bots/x")
    expect(routedPath("/api/bots")).toBe("/api/bots")
    expect(routedPath("/v1x/bots")).toBe("/v1x/bots")
    expect(routedPath("/v1/telegram/webhook")).toBe("/v1/telegram/webhook")
    expect(canonicalPath("/api/bots/x")).toBe("/v1/bots/x")
    expect(canonicalPath("/api/telegram/webhook")).toBe("/api/telegram/webhook")
    expect(canonicalPath("/health")).toBe("/health")
  })
})
