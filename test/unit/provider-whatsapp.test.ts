// WhatsApp provider: each message kind, statuses, multi-number batches, signatures, challenge and Graph errors.
import { describe, expect, it } from "vitest"
import { utf8 } from "../../src/lib/encoding"
import type { InboundMessage, OutboundMessage } from "../../src/providers/types"
import {
  escapeNonAscii,
  splitByPhoneNumber,
  WHATSAPP_SIGNATURE_HEADER,
  whatsapp,
  whatsappRoutingKeys,
  whatsappSendBody,
} from "../../src/providers/whatsapp"
import { whatsappSignature } from "../fakes/builders"
import {
  APP_SECRET,
  body,
  fakeFetch,
  OTHER_PHONE_NUMBER_ID,
  PHONE_NUMBER_ID,
  request,
  whatsappBodies,
  whatsappBot,
} from "../provider-cases"

/** The media of a media event (the union gives only those kinds a `media`). */
const mediaOf = (e: InboundMessage) => ("media" in e ? e.media : undefined)

const W = "wamid.HBgMMzUxOTEyMzQ1Njc4FQIAEhgg"

function events(name: string, bot = whatsappBot): InboundMessage[] {
  const result = whatsapp.parse(body(whatsappBodies, name), bot)
  if (!result.ok) throw new Error(result.error.message)
  return result.value
}

function only(name: string): InboundMessage {
  const [event, ...rest] = events(name)
  if (!event || rest.length > 0) throw new Error(`expected one event from ${name}`)
  return event
}

describe("whatsapp parse", () => {
  it("maps a text message with the sender's profile name", () => {
    expect(only("text")).toEqual({
      eventId: `${W}TEXT01`,
      botId: "bot_wa_1",
      platform: "whatsapp",
      kind: "text",
      messageId: `${W}TEXT01`,
      chatId: "351912345678",
      conversation: "direct",
      userId: "351912345678",
      userName: "Maria Silva",
      text: "Hello, I need help with my order",
      timestamp: 1767225600000,
      metadata: { type: "text", phoneNumberId: PHONE_NUMBER_ID, waId: "351912345678" },
    })
  })

  it.each([
    ["image", "image", "1330123456789012", "Broken item"],
    ["document", "document", "1330123456789013", "Receipt"],
    ["audio", "voice", "1330123456789014", ""],
    ["video", "video", "1330123456789015", "Unboxing"],
  ])("maps %s to kind %s with its media id and caption as text", (name, kind, mediaId, caption) => {
    const e = only(name)
    expect(e.kind).toBe(kind)
    expect(mediaOf(e)?.id).toBe(mediaId)
    expect(e.text).toBe(caption)
  })

  it("keeps an image's download URL and SHA-256, to fetch and check the file later", () => {
    expect(mediaOf(only("image"))).toMatchObject({
      url: "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1330123456789012&ext=1767229200&hash=ATsQ",
      sha256: "Q1x3tqzO1FQ6Zw5dU0pFAg0Zr6lqK2j9pZ5YyPZl7bM=",
      mimeType: "image/jpeg",
    })
  })

  it("keeps a document's file name", () => {
    expect(mediaOf(only("document"))).toMatchObject({ fileName: "receipt.pdf", mimeType: "application/pdf" })
  })

  it("maps a location with its name and address as text", () => {
    expect(only("location")).toMatchObject({
      kind: "location",
      text: "Praça do Comércio, 1100-148 Lisboa",
      location: { latitude: 38.722252, longitude: -9.139337 },
    })
  })

  it("maps shared contacts to a contact event", () => {
    expect(only("contacts")).toMatchObject({
      kind: "contact",
      contact: { name: "Grace Hopper", phone: "+1 555 0100", userId: "15550100" },
    })
  })

  it.each([
    ["interactive_button_reply", "order:42:confirm", "Confirm", `${W}OUT01`],
    ["interactive_list_reply", "slot:2026-01-02T10:00", "Fri 10:00", `${W}OUT02`],
    ["button", "STOP_PROMOTIONS", "Stop promotions", `${W}OUT03`],
  ])("maps %s to an interactive event that remembers the message it answers", (name, id, title, replyTo) => {
    expect(only(name)).toMatchObject({
      kind: "interactive",
      text: title,
      interactive: { id, title },
      metadata: { replyTo },
    })
  })

  it("maps a reaction to the message it reacts to", () => {
    expect(only("reaction")).toMatchObject({
      kind: "reaction",
      text: "👍",
      reaction: { messageId: `${W}OUT01`, emoji: "👍" },
    })
  })

  it("turns delivery receipts into status events keyed by id and status", () => {
    const [delivered, read, failed] = events("statuses")
    expect(delivered).toMatchObject({
      eventId: `${W}OUT01:delivered`,
      kind: "status",
      chatId: "351912345678",
      status: { messageId: `${W}OUT01`, status: "delivered" },
    })
    expect(read?.eventId).toBe(`${W}OUT01:read`)
    expect(failed).toMatchObject({
      eventId: `${W}OUT02:failed`,
      status: { status: "failed", error: "131047 Re-engagement message" },
      metadata: { errorCode: 131047 },
    })
  })

  it("keys a sender without `from` on the business-scoped user id", () => {
    expect(only("username_only")).toMatchObject({
      chatId: "PT.1502576394655843",
      userId: "PT.1502576394655843",
      userName: "Rita",
      metadata: { bsuid: "PT.1502576394655843", username: "@rita.costa" },
    })
  })

  it("keeps non-ASCII text intact", () => {
    expect(only("non_ascii")).toMatchObject({ text: "Olá, café ☕", userName: "João Gonçalves" })
  })

  it("takes only the changes of its own phone number from a multi-number batch", () => {
    expect(events("multi_number").map((e) => e.eventId)).toEqual([`${W}MULTI01`, `${W}OUT09:sent`])
    const other = { ...whatsappBot, credentials: { ...whatsappBot.credentials, phoneNumberId: OTHER_PHONE_NUMBER_ID } }
    expect(events("multi_number", other).map((e) => e.text)).toEqual(["for the second number"])
  })

  it("ignores webhook fields other than messages", () => {
    expect(events("template_status_update")).toEqual([])
  })

  it("turns an unknown message type into an unsupported event rather than failing the batch", () => {
    const raw = JSON.stringify({
      object: "whatsapp_business_account",
      entry: [
        {
          id: "1",
          changes: [
            {
              field: "messages",
              value: {
                metadata: { phone_number_id: PHONE_NUMBER_ID },
                messages: [{ from: "1", id: "wamid.X", timestamp: "1", type: "order", order: {} }],
              },
            },
          ],
        },
      ],
    })
    const result = whatsapp.parse(raw, whatsappBot)
    expect(result.ok && result.value[0]).toMatchObject({ kind: "unsupported", metadata: { type: "order" } })
  })
})

describe("whatsapp routing", () => {
  it("lists the distinct phone numbers in a batch", () => {
    expect(whatsappRoutingKeys(body(whatsappBodies, "multi_number"))).toEqual([PHONE_NUMBER_ID, OTHER_PHONE_NUMBER_ID])
    expect(whatsappRoutingKeys(body(whatsappBodies, "text"))).toEqual([PHONE_NUMBER_ID])
  })

  it("returns null for a body that is not a WhatsApp webhook", () => {
    expect(whatsappRoutingKeys("{oops")).toBeNull()
    expect(whatsappRoutingKeys('{"object":"page","entry":[]}')).toBeNull()
  })

  it("splits a batch into one envelope per number that parses to the same events", () => {
    const parts = splitByPhoneNumber(body(whatsappBodies, "multi_number"))
    expect([...(parts?.keys() ?? [])]).toEqual([PHONE_NUMBER_ID, OTHER_PHONE_NUMBER_ID])
    const mine = parts?.get(PHONE_NUMBER_ID) ?? ""
    expect(whatsapp.parse(mine, whatsappBot)).toEqual(whatsapp.parse(body(whatsappBodies, "multi_number"), whatsappBot))
    expect(mine).not.toContain("for the second number")
    expect(JSON.parse(mine)).toMatchObject({
      object: "whatsapp_business_account",
      entry: [{ id: "102290129340398" }, { id: "102290129340398" }],
    })
  })
})

describe("whatsapp verify", () => {
  const path = "/webhooks/whatsapp/bot_wa_1"
  const raw = body(whatsappBodies, "non_ascii")
  const signed = async (secret: string, data: string) =>
    request(path, { [WHATSAPP_SIGNATURE_HEADER]: await whatsappSignature(secret, data) })

  it("accepts a signature over the exact raw bytes", async () => {
    expect((await whatsapp.verify(await signed(APP_SECRET, raw), utf8(raw), whatsappBot)).ok).toBe(true)
  })

  it("accepts a signature Meta computed over the \\u-escaped form of non-ASCII text", async () => {
    const escaped = escapeNonAscii(raw)
    expect(escaped).toContain("Ol\\u00e1, caf\\u00e9 \\u2615")
    expect((await whatsapp.verify(await signed(APP_SECRET, escaped), utf8(raw), whatsappBot)).ok).toBe(true)
  })

  it("still rejects an escaped-body signature made with another secret", async () => {
    const result = await whatsapp.verify(await signed("other", escapeNonAscii(raw)), utf8(raw), whatsappBot)
    expect(result.ok).toBe(false)
  })

  it("prefers the bot's own app secret over the env-level one", async () => {
    const bot = { ...whatsappBot, credentials: { ...whatsappBot.credentials, appSecret: "own-secret" } }
    expect((await whatsapp.verify(await signed("own-secret", raw), utf8(raw), bot)).ok).toBe(true)
    expect((await whatsapp.verify(await signed(APP_SECRET, raw), utf8(raw), bot)).ok).toBe(false)
  })

  it("rejects everything when no app secret is configured", async () => {
    const bot = { ...whatsappBot, appSecret: undefined }
    const result = await whatsapp.verify(await signed(APP_SECRET, raw), utf8(raw), bot)
    expect(result).toMatchObject({ ok: false, error: { kind: "unauthorized" } })
  })
})

describe("whatsapp challenge", () => {
  const get = (query: string, method = "GET") => request(`/webhooks/whatsapp/bot_wa_1${query}`, {}, method)

  it("echoes hub.challenge as plain text when the verify token matches", async () => {
    const res = whatsapp.challenge?.(
      get("?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444"),
      whatsappBot,
    )
    expect(res?.status).toBe(200)
    expect(res?.contentType).toContain("text/plain")
    expect(res?.body).toBe("1158201444")
  })

  it("answers 403 to a wrong verify token", () => {
    const res = whatsapp.challenge?.(get("?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1"), whatsappBot)
    expect(res?.status).toBe(403)
  })

  it("leaves requests without hub parameters, and POSTs, to the webhook handler", () => {
    expect(whatsapp.challenge?.(get(""), whatsappBot)).toBeNull()
    expect(whatsapp.challenge?.(get("?hub.mode=subscribe", "POST"), whatsappBot)).toBeNull()
  })
})

describe("whatsapp send", () => {
  const base = { messaging_product: "whatsapp", recipient_type: "individual", to: "351912345678" }
  const build = (msg: Omit<OutboundMessage, "chatId">) => whatsappSendBody({ chatId: "351912345678", ...msg })

  it("posts text with a bearer token to the number's messages endpoint", async () => {
    const { fetch, calls } = fakeFetch(() => Response.json({ messages: [{ id: "wamid.OUT" }] }))
    const result = await whatsapp.send({ chatId: "351912345678", text: "hi", replyTo: `${W}TEXT01` }, whatsappBot, {
      fetch,
    })
    expect(result).toEqual({ ok: true, value: { platformMessageId: "wamid.OUT" } })
    expect(calls[0]?.url).toBe(`https://graph.fake/v21.0/${PHONE_NUMBER_ID}/messages`)
    expect(calls[0]?.headers.get("authorization")).toBe("Bearer EAAG-test-access-token")
    expect(calls[0]?.body).toEqual({
      ...base,
      type: "text",
      text: { body: "hi", preview_url: false },
      context: { message_id: `${W}TEXT01` },
    })
  })

  it("addresses a business-scoped user id through `recipient`, not `to`", () => {
    const result = whatsappSendBody({ chatId: "PT.1502576394655843", text: "hi" })
    expect(result.ok && result.value).toMatchObject({ recipient: "PT.1502576394655843" })
    expect(result.ok && "to" in result.value).toBe(false)
  })

  it("turns buttons into reply buttons", () => {
    expect(build({ text: "Confirm?", buttons: [[{ text: "Yes", data: "y" }], [{ text: "No" }]] })).toEqual({
      ok: true,
      value: {
        ...base,
        type: "interactive",
        interactive: {
          type: "button",
          body: { text: "Confirm?" },
          action: {
            buttons: [
              { type: "reply", reply: { id: "y", title: "Yes" } },
              { type: "reply", reply: { id: "No", title: "No" } },
            ],
          },
        },
      },
    })
  })

  it.each([
    ["more than 3 buttons", [[{ text: "a" }, { text: "b" }, { text: "c" }, { text: "d" }]]],
    ["a title over 20 characters", [[{ text: "This title is far too long" }]]],
    [
      "duplicate titles",
      [
        [
          { text: "a", data: "1" },
          { text: "a", data: "2" },
        ],
      ],
    ],
  ])("refuses %s", (_label, buttons) => {
    const result = build({ text: "x", buttons })
    expect(result.ok ? null : result.error.kind).toBe("bad_request")
  })

  it("sends media by link, with a file name only for documents", () => {
    const doc = build({
      media: { kind: "document", url: "https://cdn.example.com/r.pdf", caption: "Receipt", fileName: "r.pdf" },
    })
    expect(doc.ok && doc.value).toMatchObject({
      type: "document",
      document: { link: "https://cdn.example.com/r.pdf", caption: "Receipt", filename: "r.pdf" },
    })
    const img = build({ media: { kind: "image", url: "https://cdn.example.com/i.png", fileName: "i.png" } })
    expect(img.ok && img.value).toMatchObject({ type: "image", image: { link: "https://cdn.example.com/i.png" } })
    expect(img.ok && img.value.image).toEqual({ link: "https://cdn.example.com/i.png" })
  })

  it("sends templates with body parameters", () => {
    const result = build({ template: { name: "order_update", language: "pt_PT", parameters: ["42", "amanhã"] } })
    expect(result.ok && result.value).toMatchObject({
      type: "template",
      template: {
        name: "order_update",
        language: { code: "pt_PT" },
        components: [
          {
            type: "body",
            parameters: [
              { type: "text", text: "42" },
              { type: "text", text: "amanhã" },
            ],
          },
        ],
      },
    })
  })

  const graphError = (status: number, code: number, headers?: Record<string, string>) => () =>
    Response.json(
      { error: { message: `error ${code}`, type: "OAuthException", code, fbtrace_id: "Ab1" } },
      { status, headers },
    )

  it.each([
    ["130429 throughput (as 400)", graphError(400, 130429), { kind: "rate_limited", scope: "bot", code: "130429" }],
    [
      "130429 with Retry-After",
      graphError(429, 130429, { "Retry-After": "2" }),
      { kind: "rate_limited", retryAfterMs: 2000 },
    ],
    ["4 app call rate", graphError(400, 4), { kind: "rate_limited" }],
    ["80007 WABA call rate", graphError(400, 80007), { kind: "rate_limited" }],
    ["131056 pair rate limit", graphError(400, 131056), { kind: "rate_limited", scope: "chat" }],
    ["131047 window closed", graphError(400, 131047), { kind: "window_closed" }],
    ["190 token expired", graphError(401, 190), { kind: "unauthorized" }],
    ["131026 undeliverable", graphError(400, 131026), { kind: "bad_request" }],
    ["131048 spam restriction", graphError(400, 131048), { kind: "bad_request" }],
    ["100 invalid parameter", graphError(400, 100), { kind: "bad_request" }],
    ["131000 (even as 400)", graphError(400, 131000), { kind: "unavailable" }],
    ["1 unknown", graphError(400, 1), { kind: "unavailable" }],
    ["2 service", graphError(503, 2), { kind: "unavailable" }],
    ["an unknown 4xx code", graphError(400, 131009), { kind: "bad_request", code: "131009", status: 400 }],
    ["an unknown code on a 5xx", graphError(500, 999999), { kind: "unavailable" }],
  ])("maps %s", async (_label, respond, expected) => {
    const result = await whatsapp.send({ chatId: "351912345678", text: "hi" }, whatsappBot, {
      fetch: fakeFetch(respond).fetch,
    })
    expect(result).toMatchObject({ ok: false, error: expected })
  })

  it("leaves retryAfterMs unset when Meta sends no Retry-After, so the queue backs off", async () => {
    const result = await whatsapp.send({ chatId: "1", text: "hi" }, whatsappBot, {
      fetch: fakeFetch(graphError(400, 130429)).fetch,
    })
    if (result.ok || result.error.kind !== "rate_limited") throw new Error("expected a rate limit")
    expect(result.error.retryAfterMs).toBeUndefined()
  })
})
