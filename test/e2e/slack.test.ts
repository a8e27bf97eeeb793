// End to end on Slack: signed Events API / interactivity requests -> DO inbox -> echo -> send queue -> fake Web API.
import { SELF } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import { hmacSha256Hex } from "../../src/lib/crypto"
import { slack } from "../../src/providers/slack"
import type { RecordedRequest } from "../fakes/client"
import { slackForm } from "../fixtures/slack/cases"
import { api, tokenFor, uniqueBusiness } from "../helpers"
import { botStub, eventually, fakes } from "../messaging-helpers"

const fake = fakes.of("slack")

interface SlackBot {
  id: string
  token: string
  signingSecret: string
  admin: string
  webhookUrl: string
}

let sequence = 0
const digits = (n: number) => String(Math.floor(10 ** (n - 1) + Math.random() * 9 * 10 ** (n - 1)))

/** A bot token the fake reads as workspace `T{team}` and bot user `U{user}`; unique per call unless both are given. */
function slackToken(team = digits(10), user = digits(9)): string {
  const secret = Array.from(
    crypto.getRandomValues(new Uint8Array(24)),
    (b) => "abcdefghijkmnpqrstuvwxyz23456789"[b % 32],
  )
  return `xoxb-${team}-${user}-${secret.join("")}`
}

async function createSlackBot(token = slackToken()): Promise<SlackBot> {
  const admin = await tokenFor(uniqueBusiness("sl"))
  const signingSecret = crypto.randomUUID().replaceAll("-", "")
  const res = await api<{ bot: { id: string; webhookUrl: string } }>("POST", "/api/bots", {
    token: admin,
    body: { platform: "slack", name: "Slack bot", credentials: { botToken: token, signingSecret } },
  })
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`)
  return { id: res.body.bot.id, token, signingSecret, admin, webhookUrl: res.body.bot.webhookUrl }
}

/** POSTs a raw body to the bot's Request URL, signed as Slack signs it (at `timestamp`, default now). */
async function postSigned(
  bot: SlackBot,
  body: string,
  opts: { timestamp?: number; secret?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000)
  const signature = `v0=${await hmacSha256Hex(opts.secret ?? bot.signingSecret, `v0:${timestamp}:${body}`)}`
  return SELF.fetch(bot.webhookUrl, {
    method: "POST",
    headers: {
      "content-type": body.startsWith("payload=") ? "application/x-www-form-urlencoded" : "application/json",
      "x-slack-request-timestamp": String(timestamp),
      "x-slack-signature": signature,
      ...opts.headers,
    },
    body,
  })
}

interface MessageInput {
  channel: string
  text: string
  channelType?: string
  threadTs?: string
  botId?: string
  user?: string
}

/** An `event_callback` wrapping a message event, with a fresh event_id and ts unless given. */
function messageEvent(input: MessageInput, eventId = `Ev${Date.now()}${++sequence}`) {
  const ts = `${Math.floor(Date.now() / 1000)}.${String(++sequence).padStart(6, "0")}`
  const event: Record<string, unknown> = {
    type: "message",
    channel: input.channel,
    channel_type: input.channelType ?? (input.channel.startsWith("D") ? "im" : "channel"),
    user: input.user ?? "U0ALICE001",
    text: input.text,
    ts,
    event_ts: ts,
  }
  if (input.threadTs !== undefined) event.thread_ts = input.threadTs
  if (input.botId !== undefined) event.bot_id = input.botId
  return JSON.stringify({
    type: "event_callback",
    team_id: "T0SWITCHB1",
    api_app_id: "A0SBAPP001",
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    event,
  })
}

type Posted = { channel: string; text: string; thread_ts?: string; blocks?: unknown }
const posts = async (token: string): Promise<RecordedRequest[]> =>
  fake.requests({ account: token, method: "chat.postMessage" })
const bodies = async (token: string) => (await posts(token)).map((r) => r.body as Posted)

describe("slack bots", () => {
  it("creates a bot whose Request URL is /webhooks/slack/<id>, checked with auth.test and nothing else", async () => {
    const bot = await createSlackBot()
    expect(new URL(bot.webhookUrl).pathname).toBe(`/webhooks/slack/${bot.id}`)
    const calls = await fake.requests({ account: bot.token })
    expect(calls.map((c) => c.method)).toEqual(["auth.test"])
    expect(calls[0]?.headers.authorization).toBe("[redacted]")
    const got = await api<{ bot: { platform: string; status: string } }>("GET", `/api/bots/${bot.id}`, {
      token: bot.admin,
    })
    expect(got.body.bot).toMatchObject({ platform: "slack", status: "active" })
    expect(got.text).not.toContain(bot.signingSecret)
    expect(got.text).not.toContain(bot.token)
  })

  it("refuses a token Slack refuses with 422 credentials_rejected", async () => {
    const token = slackToken()
    await fake.revoke(token)
    const admin = await tokenFor(uniqueBusiness("sl"))
    const res = await api<{ error: { code: string } }>("POST", "/api/bots", {
      token: admin,
      body: { platform: "slack", name: "revoked", credentials: { botToken: token, signingSecret: "a".repeat(32) } },
    })
    expect(res.status).toBe(422)
    expect(res.body.error.code).toBe("credentials_rejected")
  })

  it("refuses a second bot for the same workspace bot user with 409 bot_conflict, even with a new token", async () => {
    const team = digits(10)
    const user = digits(9)
    await createSlackBot(slackToken(team, user))
    const admin = await tokenFor(uniqueBusiness("sl"))
    const res = await api<{ error: { code: string } }>("POST", "/api/bots", {
      token: admin,
      body: {
        platform: "slack",
        name: "again",
        credentials: { botToken: slackToken(team, user), signingSecret: "b".repeat(32) },
      },
    })
    expect(res.status).toBe(409)
    expect(res.body.error.code).toBe("bot_conflict")
  })
})

describe("slack events", () => {
  it("answers the url_verification challenge as plain text", async () => {
    const bot = await createSlackBot()
    const res = await postSigned(
      bot,
      JSON.stringify({ token: "legacy", challenge: "c-3eZbrw1aBm2rZgRNFdxV", type: "url_verification" }),
    )
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/)
    expect(await res.text()).toBe("c-3eZbrw1aBm2rZgRNFdxV")
  })

  it("echoes a thread reply into its thread, and a direct message at the top of the DM", async () => {
    const bot = await createSlackBot()
    const thread = "1767225600.000100"
    expect(
      (await postSigned(bot, messageEvent({ channel: "C0GENERAL1", text: "in the thread", threadTs: thread }))).status,
    ).toBe(200)
    await fake.waitForRequests({ account: bot.token, method: "chat.postMessage" }, 1)
    expect((await postSigned(bot, messageEvent({ channel: "D0ALICEDM1", text: "in the DM" }))).status).toBe(200)
    await fake.waitForRequests({ account: bot.token, method: "chat.postMessage" }, 2)
    expect(await bodies(bot.token)).toEqual([
      { channel: "C0GENERAL1", text: "in the thread", thread_ts: thread },
      { channel: "D0ALICEDM1", text: "in the DM" },
    ])
    const [first] = await posts(bot.token)
    expect(first?.headers["content-type"]).toMatch(/^application\/json/)
  })

  it("stores and answers Slack's retry of an event once", async () => {
    const bot = await createSlackBot()
    const event = messageEvent({ channel: "C0RETRY001", text: "only once" })
    expect((await postSigned(bot, event)).status).toBe(200)
    const retried = await postSigned(bot, event, {
      headers: { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" },
    })
    expect(retried.status).toBe(200)
    expect(await retried.json()).toMatchObject({ ok: true, accepted: 0 })
    // Barrier: a later message to the same channel is answered after the retry would have been.
    await postSigned(bot, messageEvent({ channel: "C0RETRY001", text: "barrier" }))
    await fake.waitForRequests({ account: bot.token, method: "chat.postMessage" }, 2)
    expect((await bodies(bot.token)).map((b) => b.text)).toEqual(["only once", "barrier"])
  })

  it("handles a mention once although it arrives as app_mention and as message", async () => {
    const bot = await createSlackBot()
    const message = JSON.parse(messageEvent({ channel: "C0MENTION1", text: "<@U0SBBOT001> status?" }))
    const mention = { ...message, event_id: `${message.event_id}m`, event: { ...message.event, type: "app_mention" } }
    delete mention.event.channel_type
    expect((await postSigned(bot, JSON.stringify(mention))).status).toBe(200)
    expect((await postSigned(bot, JSON.stringify(message))).status).toBe(200)
    await postSigned(bot, messageEvent({ channel: "C0MENTION1", text: "barrier" }))
    await fake.waitForRequests({ account: bot.token, method: "chat.postMessage" }, 2)
    expect((await bodies(bot.token)).map((b) => b.text)).toEqual(["<@U0SBBOT001> status?", "barrier"])
  })

  it("refuses a replayed (old) timestamp and a forged signature with 401, storing and sending nothing", async () => {
    const bot = await createSlackBot()
    const old = Math.floor(Date.now() / 1000) - 6 * 60
    const replayed = await postSigned(bot, messageEvent({ channel: "C0SECURE01", text: "replayed" }), {
      timestamp: old,
    })
    expect(replayed.status).toBe(401)
    const future = Math.floor(Date.now() / 1000) + 6 * 60
    expect(
      (await postSigned(bot, messageEvent({ channel: "C0SECURE01", text: "future" }), { timestamp: future })).status,
    ).toBe(401)
    const forged = await postSigned(bot, messageEvent({ channel: "C0SECURE01", text: "forged" }), {
      secret: "not-the-signing-secret",
    })
    expect(forged.status).toBe(401)
    const unsigned = await SELF.fetch(bot.webhookUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: messageEvent({ channel: "C0SECURE01", text: "unsigned" }),
    })
    expect(unsigned.status).toBe(401)
    // Barrier: a genuine message to the same channel is answered; a stored forgery would have been answered first.
    expect((await postSigned(bot, messageEvent({ channel: "C0SECURE01", text: "genuine" }))).status).toBe(200)
    await fake.waitForRequests({ account: bot.token, method: "chat.postMessage" }, 1)
    expect((await bodies(bot.token)).map((b) => b.text)).toEqual(["genuine"])
    const stats = await botStub(bot.id).stats()
    expect(stats.hours.reduce((n, h) => n + h.inbound, 0)).toBe(1)
  })

  it("never answers a bot's message (its own included): no loops", async () => {
    const bot = await createSlackBot()
    const own = messageEvent({ channel: "C0LOOPS001", text: "my own echo", user: "U0SBBOT001", botId: "B0SBBOT001" })
    expect((await postSigned(bot, own)).status).toBe(200)
    const legacy = JSON.parse(messageEvent({ channel: "C0LOOPS001", text: "CI passed", botId: "B0CIBOT001" }))
    legacy.event.subtype = "bot_message"
    delete legacy.event.user
    expect((await postSigned(bot, JSON.stringify(legacy))).status).toBe(200)
    await postSigned(bot, messageEvent({ channel: "C0LOOPS001", text: "barrier" }))
    await fake.waitForRequests({ account: bot.token, method: "chat.postMessage" }, 1)
    expect((await bodies(bot.token)).map((b) => b.text)).toEqual(["barrier"])
  })

  it("turns a button click (block_actions form) into an interactive event echoed with the button's label", async () => {
    const bot = await createSlackBot()
    const payload = {
      type: "block_actions",
      user: { id: "U0ALICE001", username: "alice", name: "alice" },
      team: { id: "T0SWITCHB1" },
      container: { type: "message", message_ts: "1767225700.001400", channel_id: "C0BUTTONS1" },
      channel: { id: "C0BUTTONS1", name: "orders" },
      message: { ts: "1767225700.001400", text: "Pick a size" },
      actions: [
        {
          type: "button",
          action_id: "sb_0_1",
          block_id: "sb_row_0",
          text: { type: "plain_text", text: "Large", emoji: true },
          value: "size_l",
          action_ts: `${Math.floor(Date.now() / 1000)}.123456`,
        },
      ],
    }
    expect((await postSigned(bot, slackForm(payload))).status).toBe(200)
    await fake.waitForRequests({ account: bot.token, method: "chat.postMessage" }, 1)
    expect(await bodies(bot.token)).toEqual([{ channel: "C0BUTTONS1", text: "Large" }])
  })
})

describe("slack sends", () => {
  it("waits out a 429's Retry-After, then posts", async () => {
    const bot = await createSlackBot()
    await fake.fail({ account: bot.token, method: "chat.postMessage", mode: "429", times: 1, retryAfter: 2 })
    const sent = await api<{ id: string }>("POST", `/api/bots/${bot.id}/messages`, {
      token: bot.admin,
      body: { chatId: "C0LIMITED1", text: "patience" },
    })
    expect(sent.status).toBe(202)
    const status = await eventually(
      async () => {
        const r = await api<{ status: string; platformMessageId: string }>(
          "GET",
          `/api/bots/${bot.id}/messages/${sent.body.id}`,
          { token: bot.admin },
        )
        return r.body.status === "sent" ? r.body : undefined
      },
      10_000,
      "sent after the 429",
    )
    expect(status.platformMessageId).toMatch(/^\d+\.\d{6}$/)
    const calls = await posts(bot.token)
    expect(calls.map((c) => c.outcome)).toEqual([429, "ok"])
    expect((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(1990)
  }, 15_000)

  it("paces on its own under the fake's 1/s per channel: no 429", async () => {
    const bot = await createSlackBot()
    await fake.limits({ account: bot.token, perChatIntervalMs: 1000 })
    for (let i = 0; i < 3; i++)
      await api("POST", `/api/bots/${bot.id}/messages`, {
        token: bot.admin,
        body: { chatId: "C0PACED001", text: `m${i}` },
      })
    await eventually(async () => ((await fake.stats(bot.token)).accepted === 3 ? true : undefined), 10_000, "3 posts")
    expect((await fake.stats(bot.token)).rejected429).toBe(0)
    const calls = await posts(bot.token)
    for (let i = 1; i < calls.length; i++)
      expect((calls[i]?.at ?? 0) - (calls[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(990)
  }, 15_000)

  it.each([
    ["a revoked token", (token: string) => fake.revoke(token)],
    ["an injected 403 (token_revoked)", (token: string) => fake.fail({ account: token, mode: "403", times: 1 })],
  ])("stops the bot in status error on %s and keeps the queue", async (_label, revoke) => {
    const bot = await createSlackBot()
    await revoke(bot.token)
    const sent = await api<{ id: string }>("POST", `/api/bots/${bot.id}/messages`, {
      token: bot.admin,
      body: { chatId: "C0REVOKED1", text: "kept" },
    })
    await eventually(async () => {
      const r = await api<{ bot: { status: string } }>("GET", `/api/bots/${bot.id}`, { token: bot.admin })
      return r.body.bot.status === "error" ? true : undefined
    })
    const msg = await api<{ status: string }>("GET", `/api/bots/${bot.id}/messages/${sent.body.id}`, {
      token: bot.admin,
    })
    expect(msg.body.status).toBe("queued")
    expect((await fake.stats(bot.token)).accepted).toBe(0)
  })

  it("posts buttons as a Block Kit actions block and replyTo into the thread", async () => {
    const bot = await createSlackBot()
    const res = await api("POST", `/api/bots/${bot.id}/messages`, {
      token: bot.admin,
      body: {
        chatId: "C0BLOCKS01",
        text: "Pick a size",
        replyTo: "1767225600.000100",
        buttons: [
          [
            { text: "Small", data: "size_s" },
            { text: "Docs", url: "https://example.com/sizes" },
          ],
        ],
      },
    })
    expect(res.status).toBe(202)
    const [call] = await fake.waitForRequests({ account: bot.token, method: "chat.postMessage" }, 1)
    expect(call?.body).toMatchObject({
      channel: "C0BLOCKS01",
      text: "Pick a size",
      thread_ts: "1767225600.000100",
      blocks: [
        { type: "section", text: { type: "mrkdwn", text: "Pick a size" } },
        {
          type: "actions",
          elements: [
            { type: "button", text: { text: "Small" }, value: "size_s" },
            { type: "button", text: { text: "Docs" }, url: "https://example.com/sizes" },
          ],
        },
      ],
    })
  })

  it("refuses at the door what Slack would refuse: templates, a chat id that names no channel", async () => {
    const bot = await createSlackBot()
    const send = (body: unknown) => api("POST", `/api/bots/${bot.id}/messages`, { token: bot.admin, body })
    expect((await send({ chatId: "C0DOOR0001", template: { name: "welcome" } })).status).toBe(422)
    expect((await send({ chatId: "not a channel", text: "hi" })).status).toBe(422)
  })
})

describe("slack fake", () => {
  it("delivers requests signed the way the provider verifies them", async () => {
    const body = messageEvent({ channel: "C0DELIVER1", text: "signed by the fake" })
    const result = await fake.deliver({
      account: "unused",
      url: `${fake.origin}/__fake/echo`,
      appSecret: "fake-signing-secret-0123456789",
      body,
    })
    const seen = JSON.parse(result.body) as { headers: Record<string, string>; body: string }
    expect(seen.body).toBe(body)
    const headers = new Headers(seen.headers)
    const runtime = {
      botId: "bot_x",
      credentials: { botToken: "xoxb-1-2-abc", signingSecret: "fake-signing-secret-0123456789" },
      webhookSecret: "",
      webhookUrl: "",
      apiBase: "",
    }
    const req = { method: "POST", url: "https://switchboard.test/webhooks/slack/bot_x", headers }
    expect(await slack.verify(req, new TextEncoder().encode(body), runtime)).toEqual({ ok: true, value: undefined })
    const stale = await fake.deliver({
      account: "unused",
      url: `${fake.origin}/__fake/echo`,
      appSecret: "fake-signing-secret-0123456789",
      body,
      headers: { "X-Slack-Request-Timestamp": String(Math.floor(Date.now() / 1000) - 3600) },
    })
    const staleHeaders = new Headers((JSON.parse(stale.body) as { headers: Record<string, string> }).headers)
    const verdict = await slack.verify({ ...req, headers: staleHeaders }, new TextEncoder().encode(body), runtime)
    expect(verdict.ok ? null : verdict.error.kind).toBe("unauthorized")
  })
})
