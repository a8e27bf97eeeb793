// The API description's `webhooks` (src/routes/openapi-webhooks.ts) against real calls, a forward handler's and an
// alert's: every header it requires is sent, every Switchboard or Standard Webhooks header sent is described, and the
// body has the documented fields and no others. A change to either call fails here until the description follows.
import { SELF } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import { alertEventSchema, forwardedMessageSchema } from "../../src/routes/openapi-webhooks"
import { telegramTextUpdate } from "../fakes/builders"
import { api, tokenFor, uniqueBusiness } from "../helpers"
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

interface Call {
  headers: Record<string, string>
  raw: string
}

const uniqueName = () => `doc${crypto.randomUUID().slice(0, 8)}`

/** The first call the endpoints fake recorded under `name`. */
const firstCall = (name: string) =>
  eventually(async () => {
    const res = await fetch(`${fakes.endpoints}/__fake/requests?name=${name}`)
    const { requests }: { requests: Call[] } = await res.json()
    return requests[0]
  })

async function forwardCall() {
  const name = uniqueName()
  const bot = await createTelegramBot({ handler: { type: "forward", url: `${fakes.endpoints}/forward/${name}` } })
  await postTelegramUpdate(bot, telegramTextUpdate({ chatId: 700, text: "described?" }))
  return firstCall(name)
}

/** A bot.error alert: a business with alerts, and a bot whose token the platform revoked. */
async function alertCall() {
  const name = uniqueName()
  const admin = await tokenFor(uniqueBusiness("doc"))
  const put = await api("PUT", "/api/settings/alerts", {
    token: admin,
    body: { url: `${fakes.endpoints}/forward/${name}` },
  })
  expect(put.status).toBe(200)
  const bot = await createTelegramBot({ admin })
  await fakes.telegram.revoke(bot.token)
  await api("POST", `/api/bots/${bot.id}/messages`, { token: admin, body: { chatId: "10", text: "to a revoked bot" } })
  return firstCall(name)
}

async function describedDocument(): Promise<Described> {
  return (await SELF.fetch("https://switchboard.test/openapi.json")).json()
}

/** Every required header sent, and every Switchboard or Standard Webhooks header sent described. */
function expectHeadersDescribed(parameters: Parameter[] | undefined, call: Call) {
  const headers = (parameters ?? []).filter((p) => p.in === "header")
  const described = new Set(headers.map((p) => p.name.toLowerCase()))
  for (const p of headers.filter((h) => h.required)) expect(call.headers, p.name).toHaveProperty(p.name.toLowerCase())
  const ours = Object.keys(call.headers).filter((h) => /^(x-switchboard-|webhook-)/.test(h))
  expect(
    ours.filter((h) => !described.has(h)),
    "sent but not described",
  ).toEqual([])
}

describe("webhooks.forwardedMessage", () => {
  it("describes the forward handler's call: its headers and its body", async () => {
    const doc = await describedDocument()
    const op = doc.webhooks.forwardedMessage?.post
    expect(op).toBeDefined()
    const call = await forwardCall()
    expectHeadersDescribed(op?.parameters, call)

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

  it("describes an alert's call: its headers and its body", async () => {
    const doc = await describedDocument()
    const op = doc.webhooks.alert?.post
    expect(op).toBeDefined()
    const call = await alertCall()
    expectHeadersDescribed(op?.parameters, call)
    const body: unknown = JSON.parse(call.raw)
    expect(alertEventSchema.safeParse(body).success).toBe(true)
    const top = doc.components.schemas.AlertEvent
    if (!isRecord(body) || !isRecord(body.detail)) throw new Error("not the documented shape")
    expect(Object.keys(body).sort()).toEqual(Object.keys(top?.properties ?? {}).sort())
    const detail = top?.properties?.detail?.properties ?? {}
    expect(
      Object.keys(body.detail).filter((k) => !(k in detail)),
      "detail fields sent but not described",
    ).toEqual([])
  })
})
