/// <reference types="vite/client" />
// The checked-in API description is the worker's: docs/openapi.json is what /openapi.json serves, and the dashboard's
// public/js/api-types.d.ts is what scripts/openapi-types.ts makes of it. Both are written by `npm run gen:api-types`.
import { SELF } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import checkedInSpec from "../../docs/openapi.json?raw"
import checkedInTypes from "../../public/js/api-types.d.ts?raw"
import { HEADER, type OpenApiDocument, type Schema, toTypeScript } from "../../scripts/openapi-types"

const STALE = "stale: run npm run gen:api-types"

async function liveSpec(): Promise<OpenApiDocument> {
  const res = await SELF.fetch("https://switchboard.test/openapi.json")
  expect(res.status).toBe(200)
  return res.json()
}

describe("generated API types", () => {
  it("docs/openapi.json is the document the worker serves", async () => {
    expect(await liveSpec(), STALE).toEqual(JSON.parse(checkedInSpec))
  })

  it("public/js/api-types.d.ts is generated from that document", async () => {
    expect(toTypeScript(await liveSpec()), STALE).toBe(checkedInTypes)
  })
})

describe("toTypeScript", () => {
  const typeOf = (schema: Schema, others: Record<string, Schema> = {}) => {
    const out = toTypeScript({ components: { schemas: { ...others, T: schema } } })
    const match = /^export type T =(?: |(?=\n))([\s\S]*?)\n(?:\n|$)/m.exec(out)
    return match?.[1]
  }

  it("starts with the do-not-edit header, sorts the schemas and keys operations by method and path", () => {
    const out = toTypeScript({
      components: { schemas: { Zed: { type: "string" }, Alpha: { type: "number" } } },
      paths: {
        "/b": { post: { responses: { "204": {} } } },
        "/a": {
          post: {
            requestBody: { content: { "application/json": { schema: { $ref: "#/components/schemas/Zed" } } } },
            responses: {
              "400": { content: { "application/json": { schema: { type: "string" } } } },
              "201": { content: { "application/json": { schema: { $ref: "#/components/schemas/Alpha" } } } },
            },
          },
          get: { responses: { "200": { content: { "application/json": { schema: { type: "boolean" } } } } } },
        },
      },
    })
    expect(out.startsWith(HEADER)).toBe(true)
    expect(out.indexOf("export type Alpha")).toBeLessThan(out.indexOf("export type Zed"))
    expect(out).toContain('export interface RequestBodies {\n  "POST /a": Zed\n}')
    expect(out).toContain('export interface Responses {\n  "GET /a": boolean\n  "POST /a": Alpha\n  "POST /b": null\n}')
  })

  it("maps scalars, enums, consts, nullability and references", () => {
    expect(typeOf({ type: "integer" })).toBe("number")
    expect(typeOf({ type: ["string", "null"] })).toBe("string | null")
    expect(typeOf({ type: "string", nullable: true })).toBe("string | null")
    expect(typeOf({ anyOf: [{ type: "number" }, { type: "null" }] })).toBe("number | null")
    expect(typeOf({ type: "string", enum: ["a", "b"] })).toBe('"a" | "b"')
    expect(typeOf({ const: 3 })).toBe("3")
    expect(typeOf({ $ref: "#/components/schemas/U" }, { U: { type: "string" } })).toBe("U")
    expect(typeOf({ $ref: "#/components/schemas/Missing" })).toBe("unknown")
    expect(typeOf({})).toBe("unknown")
    expect(typeOf({ anyOf: [{ type: "string" }, {}] })).toBe("unknown")
  })

  it("maps objects, records, arrays, tuples and intersections", () => {
    expect(
      typeOf({
        type: "object",
        properties: {
          a: { type: "string", description: "the a" },
          "b-c": { type: "array", items: { type: "number" } },
        },
        required: ["a"],
      }),
    ).toBe('{\n  /** the a */\n  a: string\n  "b-c"?: number[]\n}')
    expect(typeOf({ type: "object", additionalProperties: { type: "boolean" } })).toBe("Record<string, boolean>")
    expect(typeOf({ type: "object" })).toBe("Record<string, unknown>")
    expect(typeOf({ type: "array", items: { type: ["string", "null"] } })).toBe("(string | null)[]")
    expect(typeOf({ type: "array", prefixItems: [{ type: "string" }, { type: "number" }] })).toBe("[string, number]")
    expect(
      typeOf({ allOf: [{ $ref: "#/components/schemas/U" }, { anyOf: [{ const: 1 }, { const: 2 }] }] }, { U: {} }),
    ).toBe("U & (1 | 2)")
    expect(
      typeOf({ oneOf: [{ type: "object", properties: { k: { const: "x" } }, required: ["k"] }, { type: "null" }] }),
    ).toBe('\n  | {\n      k: "x"\n    }\n  | null')
  })
})
