// The API description's `webhooks.forwardedMessage` (src/routes/openapi-webhooks.ts) against a real forward call:
// every header it requires is sent, every Switchboard or Standard Webhooks header sent is described, and the body
// has the documented fields and no others. A change to the forward call fails here until the description follows.
import { SELF } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import { forwardedMessageSchema } from "../../src/routes/openapi-webhooks"
import { telegramTextUpdate } from "../fakes/builders"
import { createTelegramBot, eventually, fakes, postTelegramUpdate } from "../messaging-helpers"

interface JsonSchema {
  $ref?: string
  oneOf?: JsonSchema[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  enum?: unknown[]
}
interface Parameter {
  name: string
  in: string
  required?: boolean
}
interface Described {
  webhooks: Record<string, { post: { parameters: Parameter[] } }>
  components: { schemas: Record<string, JsonSchema> }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

async function forwardCall() {
  const name = `doc${crypto.randomUUID().slice(0, 8)}`
  const bot = await createTelegramBot({ handler: { type: "forward", url: `${fakes.endpoints}/forward/${name}` } })
  await postTelegramUpdate(bot, telegramTextUpdate({ chatId: 700, text: "described?" }))
  return eventually(async () => {
    const res = await fetch(`${fakes.endpoints}/__fake/requests?name=${name}`)
    const { requests }: { requests: { headers: Record<string, string>; raw: string }[] } = await res.json()
    return requests[0]
  })
}

describe("webhooks.forwardedMessage", () => {
  it("describes the forward handler's call: its headers and its body", async () => {
    const doc: Described = await (await SELF.fetch("https://switchboard.test/openapi.json")).json()
    const op = doc.webhooks.forwardedMessage?.post
    expect(op).toBeDefined()
    const call = await forwardCall()

    const headers = (op?.parameters ?? []).filter((p) => p.in === "header")
    const described = new Set(headers.map((p) => p.name.toLowerCase()))
    for (const p of headers.filter((h) => h.required)) expect(call.headers, p.name).toHaveProperty(p.name.toLowerCase())
    const ours = Object.keys(call.headers).filter((h) => /^(x-switchboard-|webhook-)/.test(h))
    expect(
      ours.filter((h) => !described.has(h)),
      "sent but not described",
    ).toEqual([])

    const body: unknown = JSON.parse(call.raw)
    expect(forwardedMessageSchema.safeParse(body).success).toBe(true)
    const schemas = doc.components.schemas
    const resolve = (s: JsonSchema | undefined): JsonSchema | undefined =>
      s?.$ref === undefined ? s : schemas[s.$ref.split("/").pop() ?? ""]
    const top = schemas.ForwardedMessage
    if (!isRecord(body) || !isRecord(body.bot) || !isRecord(body.message)) throw new Error("not the documented shape")
    expect(Object.keys(body).sort()).toEqual(Object.keys(top?.properties ?? {}).sort())
    expect(Object.keys(body.bot).sort()).toEqual(Object.keys(top?.properties?.bot?.properties ?? {}).sort())
    const kind = body.message.kind
    const variant = resolve(top?.properties?.message)?.oneOf?.find((v) => v.properties?.kind?.enum?.includes(kind))
    expect(variant, `a documented message of kind ${String(kind)}`).toBeDefined()
    const undocumented = Object.keys(body.message).filter((k) => !(k in (variant?.properties ?? {})))
    expect(undocumented, "message fields sent but not described").toEqual([])
  })
})
