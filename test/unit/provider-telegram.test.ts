// Telegram provider: each Update kind, the outbound Bot API calls, and error mapping from platforms.md.
import { describe, expect, it } from "vitest"
import { utf8 } from "../../src/lib/encoding"
import { classifyTelegramError, TELEGRAM_SECRET_HEADER, telegram } from "../../src/providers/telegram"
import type { InboundMessage, OutboundMessage } from "../../src/providers/types"
import { body, fakeFetch, request, TELEGRAM_TOKEN, telegramBodies, telegramBot } from "../provider-cases"

/** The media of a media event (the union gives only those kinds a `media`). */
const mediaOf = (e: InboundMessage) => ("media" in e ? e.media : undefined)

function only(name: string): InboundMessage {
  const result = telegram.parse(body(telegramBodies, name), telegramBot)
  if (!result.ok) throw new Error(result.error.message)
  const [event, ...rest] = result.value
  if (!event || rest.length > 0) throw new Error(`expected one event from ${name}`)
  return event
}

describe("telegram parse", () => {
  it("maps a private text message with its sender's details", () => {
    expect(only("text")).toEqual({
      eventId: "100000001",
      botId: "bot_tg_1",
      platform: "telegram",
      kind: "text",
      messageId: "11",
      chatId: "987654321",
      conversation: "direct",
      userId: "987654321",
      userName: "Ada Lovelace",
      text: "/start hello",
      timestamp: 1767225600000,
      metadata: { chatType: "private", username: "ada", languageCode: "en" },
    })
  })

  it.each([
    ["photo", "image", "AgACAgQAAxkBAAIBlarge", "Our new office"],
    ["document", "document", "BQACAgQAAxkBAAIBdoc", "January invoice"],
    ["audio", "audio", "CQACAgQAAxkBAAIBaudio", ""],
    ["voice", "voice", "AwACAgQAAxkBAAIBvoice", ""],
    ["video", "video", "BAACAgQAAxkBAAIBvideo", "Demo clip"],
    ["sticker", "sticker", "CAACAgIAAxkBAAIBsticker", ""],
  ])("maps %s to kind %s with its file id and caption as text", (name, kind, fileId, caption) => {
    const e = only(name)
    expect(e.kind).toBe(kind)
    expect(mediaOf(e)?.id).toBe(fileId)
    expect(e.text).toBe(caption)
  })

  it("picks the largest photo size, which Telegram sends last", () => {
    expect(mediaOf(only("photo"))).toMatchObject({ id: "AgACAgQAAxkBAAIBlarge", caption: "Our new office" })
  })

  it("keeps a document's name and MIME type", () => {
    expect(mediaOf(only("document"))).toMatchObject({ fileName: "invoice-2026-01.pdf", mimeType: "application/pdf" })
  })

  it("maps a location and a shared contact", () => {
    expect(only("location")).toMatchObject({
      kind: "location",
      location: { latitude: 38.722252, longitude: -9.139337 },
    })
    expect(only("contact")).toMatchObject({
      kind: "contact",
      contact: { name: "Grace Hopper", phone: "+351912345678", userId: "555000111" },
    })
  })

  it("maps a button press to an interactive event with the button's label and the query id", () => {
    expect(only("callback_query")).toMatchObject({
      eventId: "100000010",
      kind: "interactive",
      messageId: "20",
      chatId: "987654321",
      userId: "987654321",
      text: "Confirm",
      interactive: { id: "order:42:confirm", title: "Confirm", callbackQueryId: "4382bfdwdsb323b2d9" },
    })
  })

  it("answers an inline-mode button press (no message) in the presser's chat", () => {
    const update = {
      update_id: 5,
      callback_query: { id: "q1", from: { id: 42, first_name: "Bo" }, inline_message_id: "AAA", data: "x" },
    }
    const result = telegram.parse(JSON.stringify(update), telegramBot)
    expect(result.ok && result.value[0]).toMatchObject({ chatId: "42", messageId: "q1", interactive: { id: "x" } })
  })

  it("flags an edited message", () => {
    expect(only("edited_message")).toMatchObject({ kind: "text", edited: true, text: "hello (edited)" })
  })

  it("attributes a channel post to the channel", () => {
    expect(only("channel_post")).toMatchObject({
      chatId: "-1009876543210",
      userId: "-1009876543210",
      userName: "News",
      metadata: { chatType: "channel", username: "news_channel" },
    })
  })

  it("keeps the forum topic and the replied-to message", () => {
    expect(only("group_topic").metadata).toMatchObject({ chatType: "supergroup", messageThreadId: 77, replyTo: "77" })
    // Group-ness is a field of the unified event, so nothing past the provider reads Telegram's chat types.
    expect(only("group_topic").conversation).toBe("group")
    expect(only("channel_post").conversation).toBe("channel")
  })

  it("ignores updates it does not handle, such as my_chat_member", () => {
    expect(telegram.parse(body(telegramBodies, "my_chat_member"), telegramBot)).toEqual({ ok: true, value: [] })
  })

  it("refuses a message without a chat", () => {
    const result = telegram.parse(JSON.stringify({ update_id: 1, message: { message_id: 1, date: 1 } }), telegramBot)
    expect(result.ok).toBe(false)
  })
})

describe("telegram verify", () => {
  it("never matches when no secret is configured", async () => {
    const bot = { ...telegramBot, webhookSecret: "" }
    const result = await telegram.verify(request("/x", { [TELEGRAM_SECRET_HEADER]: "" }), utf8("{}"), bot)
    expect(result.ok).toBe(false)
  })
})

describe("telegram send", () => {
  const sent = () => Response.json({ ok: true, result: { message_id: 99 } })
  const url = (method: string) => `https://telegram.fake/bot${TELEGRAM_TOKEN}/${method}`

  it("sends text with an inline keyboard and a reply reference", async () => {
    const { fetch, calls } = fakeFetch(sent)
    const msg: OutboundMessage = {
      chatId: "-1001234567890",
      text: "Pick one",
      replyTo: "20",
      buttons: [
        [
          { text: "Yes", data: "yes" },
          { text: "Docs", url: "https://example.com/docs" },
        ],
        [{ text: "No" }],
      ],
    }
    expect(await telegram.send(msg, telegramBot, { fetch })).toEqual({ ok: true, value: { platformMessageId: "99" } })
    expect(calls[0]?.url).toBe(url("sendMessage"))
    expect(calls[0]?.headers.get("content-type")).toBe("application/json")
    expect(calls[0]?.body).toEqual({
      chat_id: -1001234567890,
      text: "Pick one",
      reply_parameters: { message_id: 20, allow_sending_without_reply: true },
      reply_markup: {
        inline_keyboard: [
          [
            { text: "Yes", callback_data: "yes" },
            { text: "Docs", url: "https://example.com/docs" },
          ],
          [{ text: "No", callback_data: "No" }],
        ],
      },
    })
  })

  it.each([
    ["image", "sendPhoto", "photo"],
    ["document", "sendDocument", "document"],
    ["audio", "sendAudio", "audio"],
    ["video", "sendVideo", "video"],
  ] as const)("sends %s media with %s", async (kind, method, field) => {
    const { fetch, calls } = fakeFetch(sent)
    const media = { kind, url: "https://cdn.example.com/f", caption: "look" }
    await telegram.send({ chatId: "42", media }, telegramBot, { fetch })
    expect(calls[0]?.url).toBe(url(method))
    expect(calls[0]?.body).toEqual({ chat_id: 42, [field]: "https://cdn.example.com/f", caption: "look" })
  })

  it("refuses templates without calling Telegram", async () => {
    const { fetch, calls } = fakeFetch(sent)
    const result = await telegram.send({ chatId: "42", template: { name: "t", language: "en" } }, telegramBot, {
      fetch,
    })
    expect(result).toMatchObject({ ok: false, error: { kind: "bad_request", message: "templates are WhatsApp-only" } })
    expect(calls).toHaveLength(0)
  })

  it("refuses callback data over Telegram's 64-byte limit", async () => {
    const data = "é".repeat(33)
    const result = await telegram.send({ chatId: "1", text: "x", buttons: [[{ text: "b", data }]] }, telegramBot, {
      fetch: fakeFetch(sent).fetch,
    })
    expect(result.ok ? null : result.error.kind).toBe("bad_request")
  })

  const error = (status: number, description: string, parameters?: object, headers?: Record<string, string>) => () =>
    Response.json({ ok: false, error_code: status, description, parameters }, { status, headers })

  it.each([
    [
      "429 with retry_after",
      error(429, "Too Many Requests: retry after 7", { retry_after: 7 }),
      { kind: "rate_limited", retryAfterMs: 7000 },
    ],
    [
      "429 with only Retry-After",
      error(429, "Too Many Requests", undefined, { "Retry-After": "3" }),
      { kind: "rate_limited", retryAfterMs: 3000 },
    ],
    ["401", error(401, "Unauthorized"), { kind: "unauthorized", code: "401" }],
    ["404 (bad token path)", error(404, "Not Found"), { kind: "unauthorized" }],
    ["403 blocked", error(403, "Forbidden: bot was blocked by the user"), { kind: "forbidden" }],
    [
      "400 migrated group",
      error(400, "Bad Request: group chat was upgraded to a supergroup chat", { migrate_to_chat_id: -1001234567890 }),
      { kind: "migrated", migrateTo: "-1001234567890" },
    ],
    ["400 chat not found", error(400, "Bad Request: chat not found"), { kind: "not_found" }],
    ["400 message too long", error(400, "Bad Request: message is too long"), { kind: "bad_request", status: 400 }],
    ["500", error(500, "Internal Server Error"), { kind: "unavailable" }],
    ["502 without a body", () => new Response(null, { status: 502 }), { kind: "unavailable", status: 502 }],
  ])("maps %s", async (_label, respond, expected) => {
    const result = await telegram.send({ chatId: "1", text: "hi" }, telegramBot, { fetch: fakeFetch(respond).fetch })
    expect(result).toMatchObject({ ok: false, error: expected })
  })

  it("classifies without a body by HTTP status", () => {
    expect(classifyTelegramError(429, null, new Headers({ "Retry-After": "2" }))).toMatchObject({ retryAfterMs: 2000 })
  })
})

describe("telegram setup, teardown and acknowledge", () => {
  const okTrue = () => Response.json({ ok: true, result: true })

  it("registers the webhook with the secret token and the update kinds it parses", async () => {
    const { fetch, calls } = fakeFetch(okTrue)
    expect(await telegram.setup?.(telegramBot, { fetch })).toEqual({ ok: true, value: undefined })
    expect(calls[0]?.url).toBe(`https://telegram.fake/bot${TELEGRAM_TOKEN}/setWebhook`)
    expect(calls[0]?.body).toEqual({
      url: telegramBot.webhookUrl,
      secret_token: telegramBot.webhookSecret,
      allowed_updates: ["message", "edited_message", "channel_post", "callback_query"],
      max_connections: 40,
    })
  })

  it("reports a refused setWebhook", async () => {
    const { fetch } = fakeFetch(() =>
      Response.json({ ok: false, error_code: 400, description: "Bad Request: bad webhook" }, { status: 400 }),
    )
    expect(await telegram.setup?.(telegramBot, { fetch })).toMatchObject({ ok: false, error: { kind: "bad_request" } })
  })

  it("deletes the webhook on teardown", async () => {
    const { fetch, calls } = fakeFetch(okTrue)
    await telegram.teardown?.(telegramBot, { fetch })
    expect(calls[0]?.url).toBe(`https://telegram.fake/bot${TELEGRAM_TOKEN}/deleteWebhook`)
  })

  it("answers callback queries and nothing else", async () => {
    const { fetch, calls } = fakeFetch(okTrue)
    await telegram.acknowledge?.(only("callback_query"), telegramBot, { fetch })
    await telegram.acknowledge?.(only("text"), telegramBot, { fetch })
    expect(calls).toHaveLength(1)
    expect(calls[0]?.url).toBe(`https://telegram.fake/bot${TELEGRAM_TOKEN}/answerCallbackQuery`)
    expect(calls[0]?.body).toEqual({ callback_query_id: "4382bfdwdsb323b2d9" })
  })
})
