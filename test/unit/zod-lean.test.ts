// The bundle's `zod` (src/lib/zod-lean.ts, aliased in wrangler.toml and vitest.config.ts): zod's classic exports
// minus the ones left out on purpose, English messages as before, and the one the tests' worker runs on.
import { z as hono } from "@hono/zod-openapi"
import { describe, expect, it } from "vitest"
import { z } from "zod"
import * as real from "../../node_modules/zod/v4/classic/external.js"
import * as lean from "../../src/lib/zod-lean"

const LEFT_OUT = [
  "locales",
  "core",
  "fromJSONSchema",
  "compile",
  "withParser",
  "INVALID",
  "ZodCompileAsyncError",
  "ZodCompileUnsupportedError",
]

describe("zod-lean", () => {
  it("exports what zod's classic API does but the parts left out", () => {
    const ours = Object.keys(lean).filter((k) => k !== "z" && k !== "default")
    const zods = Object.keys(real).filter((k) => !LEFT_OUT.includes(k))
    expect(ours.sort()).toEqual(zods.sort())
    for (const k of ours) expect(Reflect.get(lean, k), k).toBe(Reflect.get(real, k))
  })

  it("is the `zod` the code under test imports, and still speaks English", () => {
    expect(z).toBe(lean.z)
    expect(hono).toBe(lean.z)
    expect("locales" in z).toBe(false)
    const issue = (schema: z.ZodType, value: unknown) => schema.safeParse(value).error?.issues[0]?.message
    expect(issue(z.string(), 1)).toBe("Invalid input: expected string, received number")
    expect(issue(z.string().min(3), "ab")).toBe("Too small: expected string to have >=3 characters")
    expect(issue(z.enum(["a", "b"]), "c")).toBe('Invalid option: expected one of "a"|"b"')
    expect(issue(z.object({ a: z.number() }).strict(), { a: 1, b: 2 })).toBe('Unrecognized key: "b"')
  })
})
