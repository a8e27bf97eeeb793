// Slack provider: event kinds and what must never reach a handler, v0 signatures and replay, the challenge,
// chat.postMessage bodies and Web API error mapping.
import { describe, expect, it } from "vitest"
import { utf8 } from "../../src/lib/encoding"
import {
  classifySlackError,
  SLACK_SIGNATURE_HEADER,
  slack,
  slackSendBody,
  slackTarget,
} from "../../src/providers/slack"
import type { InboundMessage, OutboundMessage } from "../../src/providers/types"
import blockActions from "../fixtures/slack/block_actions.json"
import {
  SIGNING_SECRET,
  SLACK_TOKEN,
  signedSlackRequest,
  slackBodies,
  slackBot,
  slackForm,
  slackIgnored,
} from "../fixtures/slack/cases"
import { body, fakeFetch } from "../provider-cases"

function events(name: string): InboundMessage[] {
  const result = slack.parse(body(slackBodies, name), slackBot)
  if (!result.ok) throw new Error(result.error.message)
  return result.value
}

function only(name: string): InboundMessage {
  const [event, ...rest] = events(name)
  if (!event || rest.length > 0) throw new Error(`expected one event from ${name}`)
  return event
}

describe("slack parse", () => {
  it("maps a channel message, keyed by channel and ts", () => {
    expect(only("text")).toMatchObject({
      eventId: "C0GENERAL1:1767225600.000100",
      platform: "slack",
      kind: "text",
      messageId: "1767225600.000100",
      chatId: "C0GENERAL1",
      conversation: "group",
      userId: "U0ALICE001",
      text: "hello from the channel",
      timestamp: 1767225600000,
      metadata: { channel: "C0GENERAL1", channelType: "channel", teamId: "T0SWITCHB1", eventId: "Ev0TEXT0001" },
    })
  })

  it("reads im as direct and private channels and group DMs as group", () => {
    expect(only("im")).toMatchObject({ chatId: "D0ALICEDM1", conversation: "direct" })
    expect(only("private_channel").conversation).toBe("group")
    expect(only("mpim").conversation).toBe("group")
  })

  it("puts a thread reply in the thread's chat, channel:thread_ts", () => {
    const e = only("thread_reply")
    expect(e.chatId).toBe("C0GENERAL1:1767225600.000100")
    expect(e.metadata).toMatchObject({ channel: "C0GENERAL1", threadTs: "1767225600.000100" })
    expect(slackTarget(e.chatId)).toEqual({ channel: "C0GENERAL1", threadTs: "1767225600.000100" })
  })

  it("gives an app_mention and the message event of the same post one key", () => {
    const mention = only("app_mention")
    const message = only("app_mention_as_message")
    expect(mention.eventId).toBe(message.eventId)
    expect(mention).toMatchObject({ kind: "text", conversation: "group", chatId: "C0GENERAL1" })
    expect(mention.metadata.eventId).not.toBe(message.metadata.eventId)
  })

  it("maps a shared file to media with its caption", () => {
    expect(only("file_share")).toMatchObject({
      kind: "image",
      text: "the floor plan",
      media: { id: "F0PLAN0001", mimeType: "image/png", fileName: "plan.png", caption: "the floor plan" },
    })
  })

  it.each(slackIgnored)("yields nothing for %s", (name) => {
    expect(events(name)).toEqual([])
  })

  it("maps a button click to an interactive event with the label, keyed by who clicked when", () => {
    const e = only("block_actions")
    expect(e).toMatchObject({
      eventId: "action:U0ALICE001:1767225705.123456:sb_0_1",
      kind: "interactive",
      chatId: "C0GENERAL1",
      messageId: "1767225700.001400",
      userId: "U0ALICE001",
      userName: "alice",
      text: "Large",
      interactive: { id: "size_l", title: "Large" },
    })
  })

  it("answers a click on a thread's button in that thread, and ignores link buttons and modal clicks", () => {
    const inThread = { ...blockActions, message: { ...blockActions.message, thread_ts: "1767225600.000100" } }
    const parsed = slack.parse(slackForm(inThread), slackBot)
    expect(parsed.ok ? parsed.value[0]?.chatId : null).toBe("C0GENERAL1:1767225600.000100")
    const link = {
      ...blockActions,
      actions: [{ ...blockActions.actions[0], value: undefined, url: "https://example.com" }],
    }
    expect(slack.parse(slackForm(link), slackBot)).toEqual({ ok: true, value: [] })
    const modal = { ...blockActions, channel: null, container: { type: "view", view_id: "V1" } }
    expect(slack.parse(slackForm(modal), slackBot)).toEqual({ ok: true, value: [] })
    expect(slack.parse(slackForm({ type: "view_submission", view: {} }), slackBot)).toEqual({ ok: true, value: [] })
  })

  it("refuses what is not a Slack request", () => {
    for (const raw of ["payload=%7Bnot", "payload=%7B%7D", "a=b", '{"event":{}}'])
      expect(slack.parse(raw, slackBot).ok, raw).toBe(false)
  })
})

describe("slack verify", () => {
  const raw = body(slackBodies, "text")
  const now = () => Math.floor(Date.now() / 1000)
  const kind = async (req: Awaited<ReturnType<typeof signedSlackRequest>>, bytes = raw) => {
    const r = await slack.verify(req, utf8(bytes), slackBot)
    return r.ok ? "ok" : r.error.kind
  }

  it("accepts a timestamp within five minutes either way", async () => {
    expect(await kind(await signedSlackRequest(raw, SIGNING_SECRET, now() - 290))).toBe("ok")
    expect(await kind(await signedSlackRequest(raw, SIGNING_SECRET, now() + 290))).toBe("ok")
  })

  it("refuses a correctly signed request from more than five minutes ago or ahead (replay)", async () => {
    expect(await kind(await signedSlackRequest(raw, SIGNING_SECRET, now() - 310))).toBe("unauthorized")
    expect(await kind(await signedSlackRequest(raw, SIGNING_SECRET, now() + 310))).toBe("unauthorized")
  })

  it("refuses a changed body, a changed timestamp, a malformed one, and an uppercase or bare signature", async () => {
    const signed = await signedSlackRequest(raw)
    expect(await kind(signed, raw.replace("hello", "HELLO"))).toBe("unauthorized")
    const moved = await signedSlackRequest(raw)
    moved.headers.set("X-Slack-Request-Timestamp", String(now() - 1))
    expect(await kind(moved)).toBe("unauthorized")
    const malformed = await signedSlackRequest(raw)
    malformed.headers.set("X-Slack-Request-Timestamp", "soon")
    expect(await kind(malformed)).toBe("unauthorized")
    const bare = await signedSlackRequest(raw)
    bare.headers.set(SLACK_SIGNATURE_HEADER, (bare.headers.get(SLACK_SIGNATURE_HEADER) ?? "").slice(3))
    expect(await kind(bare)).toBe("unauthorized")
  })

  it("verifies a form body over its exact bytes", async () => {
    const form = body(slackBodies, "block_actions")
    expect(await kind(await signedSlackRequest(form), form)).toBe("ok")
  })
})

describe("slack reply", () => {
  it("answers url_verification with the challenge as plain text, anything else with the default", () => {
    expect(slack.reply?.(body(slackBodies, "url_verification"), [], slackBot, true)).toEqual({
      status: 200,
      contentType: "text/plain; charset=utf-8",
      body: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
    })
    expect(slack.reply?.(body(slackBodies, "text"), [], slackBot, true)).toBeNull()
    expect(slack.reply?.(body(slackBodies, "block_actions"), [], slackBot, true)).toBeNull()
  })
})

describe("slack send", () => {
  const built = (msg: OutboundMessage) => {
    const r = slackSendBody(msg)
    if (!r.ok) throw new Error(r.error.message)
    return r.value
  }

  it("posts to the channel, into a thread named by the chat id or by replyTo", () => {
    expect(built({ chatId: "C0GENERAL1", text: "hi" })).toEqual({ channel: "C0GENERAL1", text: "hi" })
    expect(built({ chatId: "C0GENERAL1:1767225600.000100", text: "hi" })).toEqual({
      channel: "C0GENERAL1",
      text: "hi",
      thread_ts: "1767225600.000100",
    })
    expect(built({ chatId: "C0GENERAL1", text: "hi", replyTo: "1767225610.000500" })).toMatchObject({
      thread_ts: "1767225610.000500",
    })
  })

  it("sends an image as an image block and other media as a link", () => {
    expect(
      built({ chatId: "C1", media: { kind: "image", url: "https://cdn.example/p.png", caption: "plan" } }),
    ).toMatchObject({
      text: "plan",
      blocks: [{ type: "image", image_url: "https://cdn.example/p.png", alt_text: "plan" }, { type: "section" }],
    })
    expect(
      built({ chatId: "C1", media: { kind: "document", url: "https://cdn.example/a.pdf", fileName: "a<b>.pdf" } }),
    ).toEqual({ channel: "C1", text: "<https://cdn.example/a.pdf|a&lt;b&gt;.pdf>" })
  })

  it("refuses what Slack would: templates, a chat id that is no channel, a replyTo that is no ts, long text", () => {
    const problem = (msg: OutboundMessage) => slack.checkMessage(msg)?.path
    expect(problem({ chatId: "C1", template: { name: "x", language: "en_US" } })).toBe("template")
    expect(problem({ chatId: "general", text: "hi" })).toBe("chatId")
    expect(problem({ chatId: "C1:yesterday", text: "hi" })).toBe("chatId")
    expect(problem({ chatId: "C1", text: "hi", replyTo: "42" })).toBe("replyTo")
    expect(problem({ chatId: "C1", text: "x".repeat(40_001) })).toBe("text")
    expect(problem({ chatId: "C1", text: "x".repeat(40_000) })).toBeUndefined()
    expect(problem({ chatId: "C1", text: "x".repeat(3_001), buttons: [[{ text: "ok" }]] })).toBe("text")
  })

  it("calls chat.postMessage with the bot token as Bearer and reports the ts", async () => {
    const { fetch, calls } = fakeFetch(() => Response.json({ ok: true, channel: "C1", ts: "1767225800.001500" }))
    expect(await slack.send({ chatId: "C1", text: "hi" }, slackBot, { fetch })).toEqual({
      ok: true,
      value: { platformMessageId: "1767225800.001500" },
    })
    expect(calls[0]?.url).toBe("https://slack.fake/api/chat.postMessage")
    expect(calls[0]?.headers.get("authorization")).toBe(`Bearer ${SLACK_TOKEN}`)
  })

  it("classifies a 429 as this chat's rate limit with Retry-After, and an HTTP 200 refusal by its error", () => {
    expect(classifySlackError(429, { ok: false, error: "ratelimited" }, new Headers({ "Retry-After": "7" }))).toEqual({
      kind: "rate_limited",
      scope: "chat",
      retryAfterMs: 7000,
      message: "ratelimited",
      code: "ratelimited",
      status: 429,
    })
    expect(classifySlackError(200, { ok: false, error: "not_authed" }, new Headers()).kind).toBe("unauthorized")
    expect(classifySlackError(200, { ok: false, error: "invalid_blocks" }, new Headers()).kind).toBe("bad_request")
    expect(classifySlackError(502, null, new Headers()).kind).toBe("unavailable")
  })
})

describe("slack checkCredentials", () => {
  it("names the account by workspace and bot user (auth.test)", async () => {
    const { fetch, calls } = fakeFetch(() =>
      Response.json({ ok: true, team_id: "T0SWITCHB1", user_id: "U0SBBOT001", bot_id: "B0SBBOT001" }),
    )
    expect(await slack.checkCredentials(slackBot, { fetch })).toEqual({
      ok: true,
      value: { accountKey: "T0SWITCHB1:U0SBBOT001" },
    })
    expect(calls[0]).toMatchObject({ url: "https://slack.fake/api/auth.test", method: "POST" })
  })

  it.each(["invalid_auth", "not_authed", "account_inactive", "token_revoked"])(
    "reports %s as unauthorized",
    async (error) => {
      const { fetch } = fakeFetch(() => Response.json({ ok: false, error }))
      const result = await slack.checkCredentials(slackBot, { fetch })
      expect(result.ok ? null : result.error.kind).toBe("unauthorized")
    },
  )
})
