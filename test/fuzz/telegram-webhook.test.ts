// Property-based tests of the Telegram webhook, inside workerd against a real bot Durable Object.
// Invariants: never a 5xx; a request without the bot's secret token stores nothing and sends nothing; one with it
// stores exactly the events telegram.parse finds in it (or, when parse refuses it, answers 400 and stores nothing).
// Replay a failure: see test/fuzz/support.ts (VITE_FUZZ_SEED / VITE_FUZZ_PATH).
import { SELF } from "cloudflare:test"
import fc from "fast-check"
import { beforeAll, describe, expect, it } from "vitest"
import { TELEGRAM_SECRET_HEADER, telegram } from "../../src/providers/telegram"
import { type BotRuntime, type InboundMessage, inboundMessageSchema } from "../../src/providers/types"
import tgAudio from "../fixtures/telegram/audio.json"
import tgCallbackQuery from "../fixtures/telegram/callback_query.json"
import tgChannelPost from "../fixtures/telegram/channel_post.json"
import tgContact from "../fixtures/telegram/contact.json"
import tgDocument from "../fixtures/telegram/document.json"
import tgEdited from "../fixtures/telegram/edited_message.json"
import tgGroupTopic from "../fixtures/telegram/group_topic.json"
import tgLocation from "../fixtures/telegram/location.json"
import tgMyChatMember from "../fixtures/telegram/my_chat_member.json"
import tgPhoto from "../fixtures/telegram/photo.json"
import tgSticker from "../fixtures/telegram/sticker.json"
import tgText from "../fixtures/telegram/text.json"
import tgVideo from "../fixtures/telegram/video.json"
import tgVoice from "../fixtures/telegram/voice.json"
import { createTelegramBot, fakes, type TelegramBot } from "../messaging-helpers"
import {
  answer,
  type BodySpec,
  checkRefusedAndNothingStored,
  doCounts,
  doCountsWith,
  fromUtf8,
  fuzzParams,
  headerValueArb,
  isErrorShape,
  type Json,
  junkArb,
  keyedJsonArb,
  materialize,
  mutatedArb,
  pristineArb,
  sentHeader,
  sizeArb,
  violated,
} from "./support"

const RUNS = 1_000
const TIMEOUT = 300_000
const LIMIT = 3 * 1024 * 1024

/** The fixtures with `update_id` replaced by a marker: every case gets an id of its own (support.materialize). */
const fixtures: Record<string, Json> = Object.fromEntries(
  Object.entries({
    text: tgText,
    photo: tgPhoto,
    document: tgDocument,
    audio: tgAudio,
    voice: tgVoice,
    video: tgVideo,
    sticker: tgSticker,
    location: tgLocation,
    contact: tgContact,
    callback_query: tgCallbackQuery,
    edited_message: tgEdited,
    channel_post: tgChannelPost,
    group_topic: tgGroupTopic,
    my_chat_member: tgMyChatMember,
  }).map(([name, f]) => [name, { ...(f as Record<string, Json>), update_id: "@@UIDNUM@@" }]),
)

const bodyArb: fc.Arbitrary<BodySpec> = fc.oneof(
  { weight: 3, arbitrary: pristineArb(fixtures) },
  { weight: 10, arbitrary: mutatedArb(fixtures) },
  { weight: 2, arbitrary: keyedJsonArb(fixtures) },
  { weight: 3, arbitrary: junkArb },
  {
    weight: 1,
    arbitrary: sizeArb((pad) =>
      JSON.stringify({
        ...(tgText as Record<string, Json>),
        update_id: "@@UIDNUM@@",
        message: { ...tgText.message, text: pad },
      }),
    ),
  },
)

const contentTypeArb = fc.constantFrom(
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  undefined,
  "application/x-www-form-urlencoded",
)

let uid = 500_000_000
const runtime = (bot: TelegramBot): BotRuntime<{ botToken: string }> => ({
  botId: bot.id,
  credentials: { botToken: bot.token },
  webhookSecret: bot.secret,
  webhookUrl: bot.webhookUrl,
  apiBase: "",
})

function expectedEvents(bot: TelegramBot, bytes: Uint8Array): { ok: true; events: InboundMessage[] } | { ok: false } {
  const parsed = telegram.parse(fromUtf8(bytes), runtime(bot))
  return parsed.ok ? { ok: true, events: parsed.value } : { ok: false }
}

async function post(bot: TelegramBot, bytes: Uint8Array, secret: string | undefined, contentType?: string) {
  const headers = new Headers()
  if (contentType !== undefined) headers.set("Content-Type", contentType)
  if (secret !== undefined) headers.set(TELEGRAM_SECRET_HEADER, secret)
  return answer(await SELF.fetch(bot.webhookUrl, { method: "POST", headers, body: bytes }))
}

describe("telegram webhook, property-based", () => {
  /** Gets only verified requests. Forward handler answering "no replies": events are handled, nothing is sent. */
  let verified: TelegramBot
  /** Gets only unverified requests: its inbox and outbox must stay empty, the fake must see nothing but setWebhook. */
  let unverified: TelegramBot
  const stored = new Set<string>()

  beforeAll(async () => {
    await fetch(`${fakes.endpoints}/__fake/behave`, {
      method: "POST",
      body: JSON.stringify({ name: "fuzz-tg", reply: { replies: [] } }),
    })
    verified = await createTelegramBot({ handler: { type: "forward", url: `${fakes.endpoints}/forward/fuzz-tg` } })
    unverified = await createTelegramBot({ handler: { type: "echo" } })
  })

  it(
    "a request with the secret token stores exactly the events parse finds, or answers 400 (never 5xx)",
    async () => {
      let accepted = 0
      let refused = 0
      await fc.assert(
        fc.asyncProperty(bodyArb, contentTypeArb, async (body, contentType) => {
          const bytes = materialize(body, { uid: ++uid })
          const expected = expectedEvents(verified, bytes)
          const before = await doCounts(verified.id)
          const got = await post(verified, bytes, verified.secret, contentType)
          const ids = expected.ok ? expected.events.map((e) => e.eventId) : []
          const after = await doCountsWith(verified.id, ids)
          const added = after.inbox - before.inbox
          const fail = (what: string) => violated(what, bytes, got, { expected: ids, added })
          if (got.status >= 500) throw fail("5xx")
          if (bytes.length > LIMIT) {
            if (got.status !== 413 || added !== 0) throw fail("an oversized body must be a 413 that stores nothing")
            return
          }
          if (!expected.ok) {
            if (got.status !== 400 || !isErrorShape(got.json)) throw fail("parse refuses it: expected a 400 error")
            if (added !== 0) throw fail("a 400 stored events")
            refused++
            return
          }
          if (got.status !== 200) throw fail("parse accepts it: expected 200")
          // The inbox stores JSON.stringify(event) and its alarm reads rows back through inboundMessageSchema.
          const unreadable = expected.events.filter(
            (e) => !inboundMessageSchema.safeParse(JSON.parse(JSON.stringify(e))).success,
          )
          if (unreadable.length > 0) throw fail("stored events the inbox cannot read back")
          const fresh = new Set(ids.filter((id) => !stored.has(id)))
          const reply = got.json as { accepted?: unknown }
          if (added !== fresh.size || reply.accepted !== fresh.size) throw fail("stored other than its new events")
          if (after.present !== new Set(ids).size) throw fail("not every event is in the inbox")
          for (const id of ids) stored.add(id)
          accepted++
        }),
        fuzzParams(RUNS, TIMEOUT),
      )
      console.log(`telegram verified: ${accepted} stored-or-empty 200s, ${refused} 400s, inbox ${stored.size} events`)
      // Both kinds are common among the cases that ran (a slow machine may run fewer than RUNS: see fuzzParams).
      expect(accepted).toBeGreaterThan((accepted + refused) / 10)
      expect(refused).toBeGreaterThan((accepted + refused) / 10)
    },
    TIMEOUT,
  )

  it(
    "a request without the right secret token stores nothing and sends nothing (never 5xx)",
    async () => {
      const callsBefore = await fakes.telegram.requests({ account: unverified.token })
      const other = verified.secret
      const secretArb: fc.Arbitrary<string | undefined> = fc.oneof(
        fc.constant(undefined),
        headerValueArb,
        fc.constant(other), // another bot's secret
        fc.tuple(fc.nat(), fc.constantFrom("drop", "flip", "append", "prefix", "upper", "double")).map(([at, how]) => {
          const s = unverified.secret
          const i = at % s.length
          if (how === "drop") return s.slice(0, i) + s.slice(i + 1)
          if (how === "flip") return s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1)
          if (how === "append") return `${s}x`
          if (how === "prefix") return `x${s}`
          if (how === "upper") return s.toUpperCase() === s ? s.toLowerCase() : s.toUpperCase()
          return `${s}, ${s}`
        }),
      )
      await fc.assert(
        fc.asyncProperty(bodyArb, secretArb, async (body, secret) => {
          // A value the Headers API would trim down to the real secret is the real secret: not this property's case.
          fc.pre(secret === undefined || (sentHeader(secret) !== null && sentHeader(secret) !== unverified.secret))
          const bytes = materialize(body, { uid: ++uid })
          const got = await post(unverified, bytes, secret, "application/json")
          const after = await doCounts(unverified.id)
          const fail = (what: string) => violated(what, bytes, got, { secret, after })
          checkRefusedAndNothingStored(got, after, fail)
        }),
        fuzzParams(RUNS, TIMEOUT),
      )
      // Whatever the create itself called (setWebhook), nothing since: no reply was ever sent.
      expect(await fakes.telegram.requests({ account: unverified.token })).toEqual(callsBefore)
    },
    TIMEOUT,
  )
})
