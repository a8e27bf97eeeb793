// End to end on Discord: signed interactions over HTTPS (PING, deferred answers, follow-ups) and the Gateway the bot's
// Durable Object holds (identify, heartbeats, resume, eviction, 4004, stop), against the fake in test/fakes.
import { runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test"
import { afterAll, describe, expect, it } from "vitest"
import { discordSnowflake, randomDiscordToken } from "../fakes/builders"
import { type RecordedRequest, randomTelegramToken } from "../fakes/client"
import { api, tokenFor, uniqueBusiness } from "../helpers"
import { botStub, eventually, fakes } from "../messaging-helpers"

const fake = fakes.of("discord")
const origin = fake.origin

interface DiscordBot {
  id: string
  appId: string
  token: string
  admin: string
  webhookUrl: string
}

interface GatewayState {
  connections: number
  sessionId: string | null
  seq: number | null
  identifies: number
  resumes: { sessionId: string; seq: number | null }[]
  heartbeats: number
  closes: number[]
  intents: number | null
}

async function control(name: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${origin}/__fake/${name}`, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`fake ${name}: ${res.status} ${text}`)
  return JSON.parse(text) as Record<string, unknown>
}

async function publicKey(): Promise<string> {
  return String((await control("public-key")).publicKey)
}

const gatewayState = async (token: string) =>
  (await control(`gateway/state?account=${encodeURIComponent(token)}`)) as unknown as GatewayState

async function createDiscordBot(opts: { settings?: Record<string, string>; token?: string } = {}): Promise<DiscordBot> {
  const admin = await tokenFor(uniqueBusiness("dc"))
  const appId = discordSnowflake()
  const token = opts.token ?? randomDiscordToken(appId)
  const res = await api<{ bot: { id: string; webhookUrl: string } }>("POST", "/api/bots", {
    token: admin,
    body: {
      platform: "discord",
      name: "Discord bot",
      credentials: { applicationId: appId, publicKey: await publicKey(), botToken: token },
      ...(opts.settings ? { settings: opts.settings } : {}),
    },
  })
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`)
  return { id: res.body.bot.id, appId, token, admin, webhookUrl: res.body.bot.webhookUrl }
}

/** Posts an interaction signed by the fake (which fills id and token); returns the answer and the interaction sent. */
async function interact(bot: DiscordBot, body: Record<string, unknown>, headers?: Record<string, string>) {
  const signed = (await control("sign", { account: bot.appId, body, headers })) as {
    sent: string
    headers: Record<string, string>
  }
  const res = await SELF.fetch(bot.webhookUrl, { method: "POST", headers: signed.headers, body: signed.sent })
  return { status: res.status, body: await res.text(), sent: JSON.parse(signed.sent) as Record<string, unknown> }
}

const member = { user: { id: "1000000000000000001", username: "alice", global_name: "Alice" } }

function command(name: string, text?: string) {
  return {
    type: 2,
    channel_id: "1100000000000000002",
    guild_id: "1100000000000000001",
    member,
    data: {
      id: "1200000000000000001",
      name,
      type: 1,
      ...(text ? { options: [{ name: "text", type: 3, value: text }] } : {}),
    },
  }
}

/** A Gateway MESSAGE_CREATE through the fake; returns its message id and sequence number. */
async function say(
  bot: DiscordBot,
  content: string,
  channel = "1100000000000000777",
  author?: Record<string, unknown>,
) {
  const d: Record<string, unknown> = { content, channel_id: channel, guild_id: "1100000000000000001" }
  if (author) d.author = author
  const answer = await control("gateway/dispatch", { account: bot.token, d })
  return { id: String(answer.id), s: Number(answer.s), delivered: answer.delivered === true }
}

const sentTo = (requests: RecordedRequest[], channel: string) =>
  requests.filter((r) => r.path.endsWith(`/channels/${channel}/messages`))
const contentOf = (r: RecordedRequest) => (r.body as { content?: string }).content

async function waitConnected(bot: DiscordBot, at = 1): Promise<GatewayState> {
  return eventually(
    async () => {
      const s = await gatewayState(bot.token)
      return s.connections >= 1 && s.identifies + s.resumes.length >= at && s.sessionId !== null ? s : undefined
    },
    10_000,
    "the bot's gateway connection",
  )
}

afterAll(async () => {
  await control("gateway/config", { heartbeatMs: 41_250 })
})

describe("Discord interactions over HTTPS", () => {
  it("answers a PING with PONG, and refuses forged or unsigned requests with 401", async () => {
    const bot = await createDiscordBot()
    const ping = await interact(bot, { type: 1 })
    expect(ping.status).toBe(200)
    expect(JSON.parse(ping.body)).toEqual({ type: 1 })

    const forged = await interact(bot, { type: 1 }, { "x-signature-ed25519": "00".repeat(64) })
    expect(forged.status).toBe(401)
    const unsigned = await SELF.fetch(bot.webhookUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ type: 1, id: "1", application_id: bot.appId }),
    })
    expect(unsigned.status).toBe(401)
    // A body changed after signing is a forgery too.
    const tampered = await interact(bot, command("echo", "x"), { "x-signature-timestamp": "1700000000" })
    expect(tampered.status).toBe(401)
  })

  it("checks the token at create and refuses a token Discord refuses", async () => {
    const token = randomDiscordToken()
    await fake.revoke(token)
    const admin = await tokenFor(uniqueBusiness("dc"))
    const res = await api("POST", "/api/bots", {
      token: admin,
      body: {
        platform: "discord",
        name: "Revoked",
        credentials: { applicationId: discordSnowflake(), publicKey: await publicKey(), botToken: token },
      },
    })
    expect(res.status).toBeGreaterThanOrEqual(400)
    expect(res.status).toBeLessThan(500)
    const [me] = await fake.requests({ account: token, method: "me" })
    expect(me?.outcome).toBe(401)
  })

  it("registers settings.commands at setup, defers a slash command and sends the echo as its follow-up", async () => {
    const bot = await createDiscordBot({
      settings: { commands: JSON.stringify([{ name: "echo", description: "Says it back" }]) },
    })
    const [registered] = await fake.waitForRequests({ account: bot.token, method: "commands" }, 1)
    expect(registered?.path).toBe(`/api/v10/applications/${bot.appId}/commands`)
    expect(registered?.body).toEqual([{ name: "echo", description: "Says it back", type: 1 }])

    const started = Date.now()
    const answer = await interact(bot, command("echo", "hello there"))
    expect(Date.now() - started).toBeLessThan(3_000) // Discord waits 3 s for the first answer
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.body)).toEqual({ type: 5 })

    const [followUp] = await fake.waitForRequests({ account: bot.appId, method: "original" }, 1, 8_000)
    expect(followUp?.path).toBe(`/api/v10/webhooks/${bot.appId}/${String(answer.sent.token)}/messages/@original`)
    expect(contentOf(followUp as RecordedRequest)).toBe("/echo hello there")
    expect(followUp?.outcome).toBe("ok")
  })

  it("answers a stopped bot's slash command at once, to the asker only, instead of a deferral nothing would end", async () => {
    const bot = await createDiscordBot()
    const stop = await api("POST", `/api/bots/${bot.id}/control`, { token: bot.admin, body: { action: "stop" } })
    expect(stop.status).toBe(200)
    const answer = await interact(bot, command("echo", "anyone there?"))
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.body)).toEqual({
      type: 4,
      data: { content: "This bot is stopped right now.", flags: 64 },
    })
    // PING is still answered: Discord checks the endpoint whatever the bot's state.
    expect(JSON.parse((await interact(bot, { type: 1 })).body)).toEqual({ type: 1 })
  })

  it("answers a button click with a deferred update and follows up with a new message", async () => {
    const bot = await createDiscordBot()
    const click = await interact(bot, {
      type: 3,
      channel_id: "1100000000000000002",
      guild_id: "1100000000000000001",
      member,
      message: { id: "1300000000000000099" },
      data: { component_type: 2, custom_id: "order:42" },
    })
    expect(click.status).toBe(200)
    expect(JSON.parse(click.body)).toEqual({ type: 6 })
    const [followUp] = await fake.waitForRequests({ account: bot.appId, method: "followup" }, 1, 8_000)
    expect(followUp?.path).toBe(`/api/v10/webhooks/${bot.appId}/${String(click.sent.token)}`)
    expect(contentOf(followUp as RecordedRequest)).toBe("order:42")
  })
})

describe("Discord Gateway held by the bot's Durable Object", () => {
  it("identifies with the message intents, answers a message, and never its own", async () => {
    const bot = await createDiscordBot()
    const state = await waitConnected(bot)
    expect(state.identifies).toBe(1)
    expect(state.intents).toBe((1 << 9) | (1 << 12) | (1 << 15))

    const own = await say(bot, "my own words", "1100000000000000701", { id: bot.appId, username: "fakebot", bot: true })
    expect(own.delivered).toBe(true)
    await say(bot, "hello gateway", "1100000000000000701")
    const [reply] = await fake.waitForRequests({ account: bot.token, method: "messages" }, 1)
    expect(reply?.path).toBe("/api/v10/channels/1100000000000000701/messages")
    expect(contentOf(reply as RecordedRequest)).toBe("hello gateway")
    // Barrier: the later message was answered, so the earlier own message produced nothing.
    expect(sentTo(await fake.requests({ account: bot.token }), "1100000000000000701")).toHaveLength(1)
  })

  it("resumes after a drop with the last sequence number: nothing lost, nothing handled twice", async () => {
    const bot = await createDiscordBot()
    const first = await waitConnected(bot)
    const channel = "1100000000000000702"
    const one = await say(bot, "one", channel)
    await fake.waitForRequests({ account: bot.token, method: "messages" }, 1)
    await control("gateway/drop", { account: bot.token, holdResumeMs: 500 })
    // Sent while the bot is away: replayed by the RESUME.
    const two = await say(bot, "two", channel)
    const three = await say(bot, "three", channel)
    expect([two.delivered, three.delivered]).toEqual([false, false])
    const sends = await fake.waitForRequests({ account: bot.token, method: "messages" }, 3, 10_000)
    expect(sends.map(contentOf)).toEqual(["one", "two", "three"])
    const after = await gatewayState(bot.token)
    expect(after.identifies).toBe(1)
    expect(after.resumes).toEqual([{ sessionId: first.sessionId, seq: one.s }])
    const four = await say(bot, "four", channel)
    expect(four.delivered).toBe(true)
    const all = await fake.waitForRequests({ account: bot.token, method: "messages" }, 4)
    expect(all.map(contentOf)).toEqual(["one", "two", "three", "four"])
  })

  it("reconnects and resumes when heartbeats go unacknowledged", async () => {
    await control("gateway/config", { heartbeatMs: 300 })
    try {
      const token = randomDiscordToken()
      const bot = await createDiscordBot({ token })
      const first = await waitConnected(bot)
      await eventually(async () => ((await gatewayState(token)).heartbeats >= 2 ? true : undefined), 5_000, "beats")
      await control("gateway/config", { account: token, ack: false })
      const resumed = await eventually(
        async () => {
          const s = await gatewayState(token)
          // The old socket's close is recorded when its closing handshake ends, maybe after the resume.
          return s.resumes.length >= 1 && s.connections === 1 && s.closes.length > 0 ? s : undefined
        },
        8_000,
        "a resume after the missing ACK",
      )
      expect(resumed.resumes[0]?.sessionId).toBe(first.sessionId)
      expect(resumed.closes).toContain(4000) // closed by the bot, keeping the session resumable
      await control("gateway/config", { account: token, ack: true })
      await say(bot, "still here", "1100000000000000703")
      const [reply] = await fake.waitForRequests({ account: token, method: "messages" }, 1)
      expect(contentOf(reply as RecordedRequest)).toBe("still here")
    } finally {
      await control("gateway/config", { heartbeatMs: 41_250 })
    }
  })

  it("reconnects and resumes from the stored sequence number after the object is torn down", async () => {
    const bot = await createDiscordBot()
    const first = await waitConnected(bot)
    const channel = "1100000000000000704"
    const one = await say(bot, "before eviction", channel)
    await fake.waitForRequests({ account: bot.token, method: "messages" }, 1)
    // evictDurableObject cannot evict an object holding an outgoing WebSocket (it times out after 30 s: "it still has
    // active references"), which is the point of the cost note in src/bot/gateway.ts. A runtime reset (ctx.abort(), as
    // a deploy or a crash does) tears the instance down with its socket: in-memory state is gone, storage is kept.
    await runInDurableObject(botStub(bot.id), (_instance, state) => state.abort("simulated eviction")).catch(() => {})
    await eventually(async () => ((await gatewayState(bot.token)).connections === 0 ? true : undefined), 5_000, "drop")
    const missed = await say(bot, "while evicted", channel)
    expect(missed.delivered).toBe(false)
    // The watchdog alarm brings the object back (run it now rather than waiting for it).
    await runDurableObjectAlarm(botStub(bot.id))
    const state = await eventually(
      async () => {
        const s = await gatewayState(bot.token)
        return s.resumes.length >= 1 && s.connections === 1 ? s : undefined
      },
      8_000,
      "a resume after eviction",
    )
    expect(state.identifies).toBe(1)
    expect(state.resumes[0]).toEqual({ sessionId: first.sessionId, seq: one.s })
    const sends = await fake.waitForRequests({ account: bot.token, method: "messages" }, 2)
    expect(sends.map(contentOf)).toEqual(["before eviction", "while evicted"])
  })

  it("puts the bot in error when Discord closes with 4004 (token revoked)", async () => {
    const bot = await createDiscordBot()
    await waitConnected(bot)
    await fake.revoke(bot.token)
    await control("gateway/drop", { account: bot.token, code: 4004 })
    const shown = await eventually(
      async () => {
        const res = await api<{ bot: { status: string; statusReason: string | null } }>("GET", `/api/bots/${bot.id}`, {
          token: bot.admin,
        })
        return res.body.bot.status === "error" ? res.body.bot : undefined
      },
      8_000,
      "status error",
    )
    expect(shown.statusReason).toContain("4004")
    await runDurableObjectAlarm(botStub(bot.id))
    const state = await gatewayState(bot.token)
    expect(state.connections).toBe(0)
    expect(state.identifies + state.resumes.length).toBe(1)
  })

  it("connects again with the new token when the credentials change", async () => {
    const bot = await createDiscordBot()
    await waitConnected(bot)
    const token = randomDiscordToken(bot.appId)
    const patched = await api("PATCH", `/api/bots/${bot.id}`, {
      token: bot.admin,
      body: { credentials: { applicationId: bot.appId, publicKey: await publicKey(), botToken: token } },
    })
    expect(patched.status).toBe(200)
    const old = await eventually(
      async () => {
        const s = await gatewayState(bot.token)
        return s.connections === 0 && s.closes.includes(1000) ? s : undefined
      },
      5_000,
      "the old token's socket closed",
    )
    expect(old.closes).toEqual([1000])
    const fresh = { ...bot, token }
    await waitConnected(fresh)
    await say(fresh, "new token", "1100000000000000706")
    const [reply] = await fake.waitForRequests({ account: token, method: "messages" }, 1, 10_000)
    expect(contentOf(reply as RecordedRequest)).toBe("new token")
  })

  it("closes with 1000 on stop and stays closed", async () => {
    const bot = await createDiscordBot()
    await waitConnected(bot)
    const stopped = await api("POST", `/api/bots/${bot.id}/control`, { token: bot.admin, body: { action: "stop" } })
    expect(stopped.status).toBe(200)
    const closed = await eventually(
      async () => {
        const s = await gatewayState(bot.token)
        return s.connections === 0 && s.closes.length > 0 ? s : undefined
      },
      5_000,
      "the socket closed",
    )
    expect(closed.closes).toEqual([1000])
    // Barrier: an alarm runs (the watchdog's moment) and a message is dispatched; still no connection, no reply.
    await say(bot, "anyone?", "1100000000000000705")
    await runDurableObjectAlarm(botStub(bot.id))
    await botStub(bot.id).stats()
    const after = await gatewayState(bot.token)
    expect(after.connections).toBe(0)
    expect(after.identifies + after.resumes.length).toBe(1)
    expect(await fake.requests({ account: bot.token, method: "messages" })).toHaveLength(0)
  })
})

describe("Discord Gateway in the bot's stats", () => {
  interface GatewayStats {
    state: "connected" | "connecting" | "resuming" | "closed"
    lastHeartbeatAckAt: string | null
    sessionResumable: boolean
  }
  const gatewayOf = async (bot: DiscordBot) => {
    const res = await api<{ gateway: GatewayStats | null }>("GET", `/api/bots/${bot.id}/stats`, { token: bot.admin })
    expect(res.status).toBe(200)
    return res.body.gateway
  }
  const waitGateway = (bot: DiscordBot, what: string, ok: (g: GatewayStats) => boolean, ms = 10_000) =>
    eventually(
      async () => {
        const g = await gatewayOf(bot)
        return g && ok(g) ? g : undefined
      },
      ms,
      what,
    )

  it("is connected after start (with heartbeat ACKs), resuming after a drop, closed after stop, connected after start", async () => {
    await control("gateway/config", { heartbeatMs: 300 })
    try {
      const bot = await createDiscordBot()
      const connected = await waitGateway(bot, "connected with an ACK", (g) => {
        return g.state === "connected" && g.lastHeartbeatAckAt !== null
      })
      expect(connected.sessionResumable).toBe(true)
      expect(Date.parse(connected.lastHeartbeatAckAt ?? "")).toBeGreaterThan(Date.now() - 10_000)

      // Dropped, and the fake holds the RESUME's answer: the page shows it resuming, then connected again.
      await control("gateway/drop", { account: bot.token, holdResumeMs: 2_000 })
      const resuming = await waitGateway(bot, "resuming", (g) => g.state === "resuming", 5_000)
      expect(resuming.sessionResumable).toBe(true)
      await waitGateway(bot, "connected after the resume", (g) => g.state === "connected")

      const stopped = await api("POST", `/api/bots/${bot.id}/control`, { token: bot.admin, body: { action: "stop" } })
      expect(stopped.status).toBe(200)
      const closed = await gatewayOf(bot)
      expect(closed).toMatchObject({ state: "closed", sessionResumable: false })
      expect(closed?.lastHeartbeatAckAt).not.toBeNull() // the last ACK stays shown

      const started = await api("POST", `/api/bots/${bot.id}/control`, { token: bot.admin, body: { action: "start" } })
      expect(started.status).toBe(200)
      await waitGateway(bot, "connected after start", (g) => g.state === "connected")
    } finally {
      await control("gateway/config", { heartbeatMs: 41_250 })
    }
  })

  it("is null for a bot without a gateway", async () => {
    const admin = await tokenFor(uniqueBusiness("dc"))
    const created = await api<{ bot: { id: string } }>("POST", "/api/bots", {
      token: admin,
      body: { platform: "telegram", name: "No gateway", credentials: { botToken: randomTelegramToken() } },
    })
    expect(created.status).toBe(201)
    const res = await api<{ gateway: unknown }>("GET", `/api/bots/${created.body.bot.id}/stats`, { token: admin })
    expect(res.status).toBe(200)
    expect(res.body.gateway).toBeNull()
  })
})

describe("Discord sends and rate limits", () => {
  async function gatewayBotWithReply(channel: string) {
    const bot = await createDiscordBot()
    await waitConnected(bot)
    return { bot, channel }
  }

  it("waits out a route 429 for that channel only, then delivers", async () => {
    const { bot, channel } = await gatewayBotWithReply("1100000000000000801")
    await fake.fail({ account: bot.token, method: "messages", mode: "429", retryAfter: 0.4 })
    await say(bot, "route limited", channel)
    const sends = await fake.waitForRequests({ account: bot.token, method: "messages" }, 2, 8_000)
    expect(sends.map((s) => s.outcome)).toEqual([429, "ok"])
    expect((sends[1]?.at ?? 0) - (sends[0]?.at ?? 0)).toBeGreaterThanOrEqual(350)
    const logs = await api<{ logs: { event: string; message: string }[] }>("GET", `/api/bots/${bot.id}/logs`, {
      token: bot.admin,
    })
    expect(logs.body.logs.some((l) => l.event === "send.retry")).toBe(true)
  })

  it("pauses the whole bot on a global 429", async () => {
    const { bot } = await gatewayBotWithReply("1100000000000000802")
    await fake.fail({ account: bot.token, method: "messages", mode: "429", retryAfter: 1, description: "global" })
    await say(bot, "global limited", "1100000000000000802")
    await fake.waitForRequests({ account: bot.token, method: "messages" }, 1)
    // Another channel's message waits out the global pause too.
    await say(bot, "other channel", "1100000000000000803")
    const sends = await fake.waitForRequests({ account: bot.token, method: "messages" }, 3, 8_000)
    expect(sends[0]?.outcome).toBe(429)
    const first429 = sends[0]?.at ?? 0
    for (const s of sends.slice(1)) {
      expect(s.outcome).toBe("ok")
      expect(s.at - first429).toBeGreaterThanOrEqual(900)
    }
  })

  it("fails a message to a channel it cannot see (403) and keeps the bot active", async () => {
    const { bot } = await gatewayBotWithReply("1100000000000000804")
    await fake.fail({ account: bot.token, method: "messages", mode: "403" })
    await say(bot, "hidden", "1100000000000000804")
    await say(bot, "visible", "1100000000000000805")
    const sends = await fake.waitForRequests({ account: bot.token, method: "messages" }, 2)
    expect(sends.map((s) => s.outcome).sort()).toEqual([403, "ok"].sort())
    const res = await api<{ bot: { status: string } }>("GET", `/api/bots/${bot.id}`, { token: bot.admin })
    expect(res.body.bot.status).toBe("active")
  })

  it("sends buttons as action rows and a reply as message_reference through the send API", async () => {
    const { bot } = await gatewayBotWithReply("1100000000000000806")
    const res = await api("POST", `/api/bots/${bot.id}/messages`, {
      token: bot.admin,
      body: {
        chatId: "1100000000000000806",
        text: "Pick one",
        replyTo: "1300000000000000001",
        buttons: [
          [
            { text: "Yes", data: "yes" },
            { text: "Docs", url: "https://example.com/docs" },
          ],
        ],
      },
    })
    expect(res.status).toBe(202)
    const [sent] = await fake.waitForRequests({ account: bot.token, method: "messages" }, 1)
    expect(sent?.body).toMatchObject({
      content: "Pick one",
      message_reference: { message_id: "1300000000000000001" },
      components: [
        {
          type: 1,
          components: [
            { type: 2, style: 1, label: "Yes", custom_id: "yes" },
            { type: 2, style: 5, label: "Docs", url: "https://example.com/docs" },
          ],
        },
      ],
    })
  })
})
