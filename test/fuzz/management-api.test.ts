// Property-based tests of the management API's request bodies, inside workerd with the real D1 registry and bot
// Durable Objects: POST /api/bots, PATCH /api/bots/:id, POST /api/bots/:id/messages, POST /api/bots/:id/control.
// Invariants: never a 5xx; every 4xx is `{ error: { code, message } }`; never a partial write: a refused request
// changes neither the registry (D1 rows of the business) nor the bot's Durable Object (its meta and outbox).
// Replay a failure: see test/fuzz/support.ts (VITE_FUZZ_SEED / VITE_FUZZ_PATH).
import { env, SELF } from "cloudflare:test"
import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { fakesFromEnv, randomPhoneNumberId, randomTelegramToken } from "../fakes/client"
import { tokenFor, uniqueBusiness } from "../helpers"
import { createTelegramBot, type TelegramBot } from "../messaging-helpers"
import {
  type Answer,
  answer,
  type BodySpec,
  doCounts,
  doMeta,
  fuzzParams,
  isErrorShape,
  type Json,
  junkArb,
  materialize,
  mutatedArb,
  pristineArb,
  spec,
  utf8,
  violated,
} from "./support"

const RUNS = 300
const TIMEOUT = 300_000
const BASE = "https://switchboard.test"
const fakes = fakesFromEnv(env)

const contentTypeArb = fc.oneof(
  { weight: 8, arbitrary: fc.constant<string | undefined>("application/json") },
  {
    weight: 3,
    arbitrary: fc.constantFrom<string | undefined>(
      undefined,
      "application/json; charset=utf-8",
      "APPLICATION/JSON",
      "application/vnd.api+json",
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/json; charset=latin1",
      "",
    ),
  },
)

/** Invalid UTF-8 inside otherwise valid JSON: a lone continuation byte in a string value. */
const invalidUtf8Arb: fc.Arbitrary<BodySpec> = fc
  .constantFrom([0x80], [0xff, 0xfe], [0xc3], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80])
  .map((bad) => {
    const head = utf8('{"name":"')
    const tail = utf8(
      '","platform":"telegram","credentials":{"botToken":"1:x"},"chatId":"1","text":"a","action":"start"}',
    )
    return spec("invalid-utf8", { bytes: new Uint8Array([...head, ...bad, ...tail]) })
  })

/** Valid-looking bodies, mutated, plus junk: what every route's body generator is made of. */
function bodies(bases: Record<string, Json>): fc.Arbitrary<BodySpec> {
  return fc.oneof(
    { weight: 2, arbitrary: pristineArb(bases) },
    { weight: 8, arbitrary: mutatedArb(bases) },
    { weight: 3, arbitrary: junkArb },
    { weight: 1, arbitrary: invalidUtf8Arb },
  )
}

async function call(method: string, path: string, token: string, bytes: Uint8Array, contentType: string | undefined) {
  const headers = new Headers({ Authorization: `Bearer ${token}` })
  if (contentType !== undefined) headers.set("Content-Type", contentType)
  return answer(await SELF.fetch(`${BASE}${path}`, { method, headers, body: bytes }))
}

/** Every registry row of the business, minus the columns background rollups write (last_active, queue_depth). */
async function registry(businessId: string): Promise<unknown[]> {
  const { results } = await env.DB.prepare(
    `SELECT id, business_id, platform, name, status, status_reason, created_at, updated_at, config, credentials_enc,
            credentials_public, webhook_secret_enc, routing_key
     FROM bots WHERE business_id = ? ORDER BY id`,
  )
    .bind(businessId)
    .all()
  return results
}

function checkShape(got: Answer, sent: Uint8Array, extra: Record<string, unknown>) {
  if (got.status >= 500) throw violated("5xx", sent, got, extra)
  if (got.status >= 400 && !isErrorShape(got.json))
    throw violated("a 4xx without { error: { code, message } }", sent, got, extra)
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

describe("management API bodies, property-based", () => {
  const businessId = uniqueBusiness("fuzz-api")
  let admin: string
  let patchBot: TelegramBot
  let sendBot: TelegramBot
  let controlBot: TelegramBot
  const counts: Record<string, Record<number, number>> = {}
  const tally = (route: string, status: number) => {
    counts[route] ??= {}
    const c = counts[route]
    c[status] = (c[status] ?? 0) + 1
  }

  beforeAll(async () => {
    admin = await tokenFor(businessId)
    patchBot = await createTelegramBot({ admin })
    sendBot = await createTelegramBot({ admin })
    controlBot = await createTelegramBot({ admin })
  })

  afterAll(async () => {
    console.log("management API statuses per route:", JSON.stringify(counts))
    // Release every number and webhook the creates made (phone numbers are unique across the registry). Not the
    // send bot's: deleting a bot while its alarm is sending trips "no such table: outbox" in that alarm (reported).
    for (const row of (await registry(businessId)) as { id: string }[]) {
      if (row.id === sendBot.id) continue
      await SELF.fetch(`${BASE}/api/bots/${row.id}`, {
        method: "DELETE",
        headers: { Authorization: `Bearer ${admin}` },
      })
    }
  })

  it(
    "POST /api/bots: never 5xx; a refused create writes no bot",
    async () => {
      const bases: Record<string, Json> = {
        telegramBadToken: {
          platform: "telegram",
          name: "fuzz",
          credentials: { botToken: "123:short" },
          handler: { type: "echo" },
          settings: { a: 1, b: "x", c: true, d: null },
          limits: { perBotPerSecond: 5, perChatIntervalMs: 1000, perGroupPerMinute: 20 },
        },
        whatsappBadNumber: {
          platform: "whatsapp",
          name: "fuzz",
          credentials: { accessToken: "EAAG", phoneNumberId: "not-a-number", verifyToken: "v", appSecret: "s" },
          handler: {
            type: "forward",
            url: "https://example.com/hook",
            signingSecret: "0123456789abcdef",
            timeoutMs: 5000,
          },
        },
        aiHandler: {
          platform: "telegram",
          name: "fuzz",
          credentials: {},
          handler: {
            type: "ai",
            baseUrl: "https://example.com/v1",
            model: "m",
            apiKey: "k",
            maxHistory: 5,
            temperature: 1,
          },
        },
      }
      // Now and then a create that should succeed (fresh credentials each time): it must add exactly one bot.
      const validArb = fc.constantFrom("telegram", "whatsapp").map((platform) =>
        spec(`valid(${platform})`, {
          text: JSON.stringify(
            platform === "telegram"
              ? { platform, name: "fuzz ok", credentials: { botToken: "@@TGTOKEN@@" } }
              : {
                  platform,
                  name: "fuzz ok",
                  credentials: { accessToken: "EAAGx", phoneNumberId: "@@PNID@@", verifyToken: "v" },
                },
          ),
        }),
      )
      const bodyArb = fc.oneof({ weight: 12, arbitrary: bodies(bases) }, { weight: 1, arbitrary: validArb })
      await fc.assert(
        fc.asyncProperty(bodyArb, contentTypeArb, async (body, contentType) => {
          let bytes = materialize(body, { uid: 0, pnid: randomPhoneNumberId() })
          bytes = utf8(new TextDecoder().decode(bytes).replaceAll("@@TGTOKEN@@", randomTelegramToken()))
          const before = await registry(businessId)
          const got = await call("POST", "/api/bots", admin, bytes, contentType)
          const after = await registry(businessId)
          tally("create", got.status)
          const extra = { contentType, before: before.length, after: after.length }
          checkShape(got, bytes, extra)
          if (got.status === 201) {
            const id = (got.json as { bot?: { id?: unknown } }).bot?.id
            const added = after.filter((r) => !before.some((b) => same(b, r)))
            if (after.length !== before.length + 1 || added.length !== 1 || (added[0] as { id?: unknown }).id !== id)
              throw violated("a 201 must add exactly the bot it returns", bytes, got, extra)
          } else if (!same(before, after)) throw violated("a refused create changed the registry", bytes, got, extra)
        }),
        fuzzParams(RUNS, TIMEOUT),
      )
    },
    TIMEOUT,
  )

  it(
    "PATCH /api/bots/:id: never 5xx; a refused patch changes neither the registry nor the bot's object",
    async () => {
      const bases: Record<string, Json> = {
        name: { name: "renamed" },
        handler: { handler: { type: "forward", url: "https://example.com/x", signingSecret: "0123456789abcdef0" } },
        ai: { handler: { type: "ai", baseUrl: "https://example.com/v1", model: "m" } },
        settings: { settings: { greeting: "hi", n: 3 } },
        limits: { limits: { perBotPerSecond: 10 } },
        badCredentials: { credentials: { botToken: "nope" } },
        everything: {
          name: "all",
          credentials: { botToken: "1:short" },
          handler: { type: "echo" },
          settings: {},
          limits: {},
        },
      }
      const validCreds = fc.constant(
        spec("valid(credentials)", { text: JSON.stringify({ credentials: { botToken: "@@TGTOKEN@@" } }) }),
      )
      const bodyArb = fc.oneof({ weight: 15, arbitrary: bodies(bases) }, { weight: 1, arbitrary: validCreds })
      const idArb = fc.oneof(
        { weight: 9, arbitrary: fc.constant<string | null>(null) },
        { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 70 }), fc.constant("bot_00000000000000000000000000")) },
      )
      await fc.assert(
        fc.asyncProperty(bodyArb, contentTypeArb, idArb, async (body, contentType, otherId) => {
          let bytes = materialize(body, { uid: 0 })
          bytes = utf8(new TextDecoder().decode(bytes).replaceAll("@@TGTOKEN@@", randomTelegramToken()))
          const id = otherId ?? patchBot.id
          const before = { rows: await registry(businessId), meta: await doMeta(patchBot.id) }
          const got = await call("PATCH", `/api/bots/${encodeURIComponent(id)}`, admin, bytes, contentType)
          const after = { rows: await registry(businessId), meta: await doMeta(patchBot.id) }
          tally("patch", got.status)
          const extra = { contentType, id }
          checkShape(got, bytes, extra)
          if (got.status >= 200 && got.status < 300) {
            if (otherId !== null) throw violated("a patch of an unknown id succeeded", bytes, got, extra)
            return
          }
          if (!same(before.rows, after.rows)) throw violated("a refused patch changed the registry", bytes, got, extra)
          if (!same(before.meta, after.meta))
            throw violated("a refused patch changed the bot's object", bytes, got, extra)
        }),
        fuzzParams(RUNS, TIMEOUT),
      )
    },
    TIMEOUT,
  )

  it(
    "POST /api/bots/:id/messages: never 5xx; a refused send queues nothing",
    async () => {
      const bases: Record<string, Json> = {
        text: { chatId: "12345", text: "hello", idempotencyKey: "k1" },
        media: { chatId: "12345", media: { kind: "image", url: "https://example.com/a.png", caption: "c" } },
        buttons: {
          chatId: "12345",
          text: "pick",
          buttons: [
            [
              { text: "a", data: "b" },
              { text: "u", url: "https://e.com" },
            ],
          ],
        },
        template: { chatId: "12345", template: { name: "hello_world", language: "en_US", parameters: ["x"] } },
        reply: { chatId: "12345", text: "re", replyTo: "42" },
      }
      const idArb = fc.oneof(
        { weight: 9, arbitrary: fc.constant<string | null>(null) },
        { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 70 }), fc.constant("bot_00000000000000000000000000")) },
      )
      await fc.assert(
        fc.asyncProperty(bodies(bases), contentTypeArb, idArb, async (body, contentType, otherId) => {
          const bytes = materialize(body, { uid: 0 })
          const id = otherId ?? sendBot.id
          const before = await doCounts(sendBot.id)
          const got = await call("POST", `/api/bots/${encodeURIComponent(id)}/messages`, admin, bytes, contentType)
          const after = await doCounts(sendBot.id)
          tally("send", got.status)
          const extra = { contentType, id, before, after }
          checkShape(got, bytes, extra)
          const queued = after.outbox - before.outbox
          if (got.status === 202) {
            if (otherId !== null) throw violated("a send through an unknown id was queued", bytes, got, extra)
            const duplicate = (got.json as { duplicate?: unknown }).duplicate
            if (queued !== (duplicate === true ? 0 : 1))
              throw violated("a 202 must queue exactly one message", bytes, got, extra)
          } else if (queued !== 0) throw violated("a refused send queued something", bytes, got, extra)
        }),
        fuzzParams(RUNS, TIMEOUT),
      )
      // The queued messages really go out (to the fake, which refuses most chats): the queue drains without 5xx.
      expect((await fakes.telegram.requests({ account: sendBot.token })).length).toBeGreaterThan(0)
    },
    TIMEOUT,
  )

  it(
    "POST /api/bots/:id/control: never 5xx; a refused action changes neither the registry nor the bot's object",
    async () => {
      const bases: Record<string, Json> = {
        start: { action: "start" },
        stop: { action: "stop" },
        restart: { action: "restart" },
      }
      await fc.assert(
        fc.asyncProperty(bodies(bases), contentTypeArb, async (body, contentType) => {
          const bytes = materialize(body, { uid: 0 })
          const before = { rows: await registry(businessId), meta: await doMeta(controlBot.id) }
          const got = await call("POST", `/api/bots/${controlBot.id}/control`, admin, bytes, contentType)
          const after = { rows: await registry(businessId), meta: await doMeta(controlBot.id) }
          tally("control", got.status)
          const extra = { contentType }
          checkShape(got, bytes, extra)
          if (got.status >= 200 && got.status < 300) return
          if (!same(before.rows, after.rows)) throw violated("a refused action changed the registry", bytes, got, extra)
          if (!same(before.meta, after.meta))
            throw violated("a refused action changed the bot's object", bytes, got, extra)
        }),
        fuzzParams(RUNS, TIMEOUT),
      )
    },
    TIMEOUT,
  )
})
