// Discord's provider beyond the contract: interaction answers, reply addressing, send bodies, 429 scopes, and the
// Gateway's protocol as a pure state machine (frames in, actions out; no socket).
import { describe, expect, it } from "vitest"
import { discord, FOLLOWUP_MARKER, INTERACTION_MARKER } from "../../src/providers/discord"
import { DiscordConnection, GATEWAY_INTENTS, gatewayProtocol, readSession } from "../../src/providers/discord.gateway"
import type { GatewayAction, InboundMessage } from "../../src/providers/types"
import { discordBodies, discordBot } from "../fixtures/discord/cases"
import { body, fakeFetch } from "../provider-cases"

const parsed = (name: string): InboundMessage => {
  const result = discord.parse(body(discordBodies, name), discordBot)
  if (!result.ok || !result.value[0]) throw new Error(`no event in ${name}`)
  return result.value[0]
}

describe("Discord interactions", () => {
  it("answers PING with PONG, a command with a deferred message, a click with a deferred update", () => {
    const reply = (name: string, handled = true) =>
      JSON.parse(discord.reply?.(body(discordBodies, name), [], discordBot, handled)?.body ?? "")
    expect(reply("ping")).toEqual({ type: 1 })
    expect(reply("text")).toEqual({ type: 5 })
    expect(reply("button")).toEqual({ type: 6 })
    expect(discord.reply?.(body(discordBodies, "text"), [], discordBot, true)?.contentType).toBe("application/json")
    // A bot that will not handle them (stopped) says so at once, to the asker only; PING is answered regardless.
    const stopped = { type: 4, data: { content: "This bot is stopped right now.", flags: 64 } }
    expect(reply("text", false)).toEqual(stopped)
    expect(reply("button", false)).toEqual(stopped)
    expect(reply("ping", false)).toEqual({ type: 1 })
  })

  it("reads a command as the text typed, a click as its custom_id, keyed by interaction id", () => {
    const command = parsed("command_options")
    expect(command).toMatchObject({ kind: "text", text: "/remind in 10 tea", eventId: "1310000000000000002" })
    expect(command.metadata.interactionToken).toBeTypeOf("string")
    const dm = parsed("dm_command")
    expect(dm).toMatchObject({ conversation: "direct", userId: "1000000000000000002", text: "/echo hi there" })
    const click = parsed("button")
    expect(click).toMatchObject({
      kind: "interactive",
      interactive: { id: "order:42" },
      messageId: "1300000000000000099",
    })
  })

  it("addresses a command's first reply to the deferred answer, later ones and clicks' as follow-ups", () => {
    const command = parsed("text")
    const token = String(command.metadata.interactionToken)
    const reply = { chatId: command.chatId, text: "hi" }
    expect(discord.addressReply?.(command, reply, 0).replyTo).toBe(`${INTERACTION_MARKER}${token}`)
    expect(discord.addressReply?.(command, reply, 1).replyTo).toBe(`${FOLLOWUP_MARKER}${token}`)
    expect(discord.addressReply?.(parsed("button"), reply, 0).replyTo?.startsWith(FOLLOWUP_MARKER)).toBe(true)
    // A reply to another chat, or one that already says what it answers, is left alone.
    expect(discord.addressReply?.(command, { chatId: "42", text: "x" }, 0).replyTo).toBeUndefined()
    expect(discord.addressReply?.(command, { ...reply, replyTo: "99" }, 0).replyTo).toBe("99")
  })
})

describe("Discord sends", () => {
  it("edits the deferred answer, posts follow-ups, and posts to channels with the bot token", async () => {
    const { fetch, calls } = fakeFetch(() => Response.json({ id: "1" }))
    await discord.send({ chatId: "5", text: "a", replyTo: `${INTERACTION_MARKER}tok` }, discordBot, { fetch })
    await discord.send({ chatId: "5", text: "b", replyTo: `${FOLLOWUP_MARKER}tok` }, discordBot, { fetch })
    await discord.send({ chatId: "5", text: "c", replyTo: "77" }, discordBot, { fetch })
    expect(calls.map((c) => `${c.method} ${c.url.replace(discordBot.apiBase, "")}`)).toEqual([
      "PATCH /webhooks/1234567890123456789/tok/messages/@original",
      "POST /webhooks/1234567890123456789/tok",
      "POST /channels/5/messages",
    ])
    expect(calls[2]?.headers.get("authorization")).toBe(`Bot ${discordBot.credentials.botToken}`)
    expect(calls[2]?.body).toMatchObject({ content: "c", message_reference: { message_id: "77" } })
  })

  it("waits a route 429 out for the channel and a global one for the whole bot, in float seconds", async () => {
    const send = async (global: boolean) => {
      const { fetch } = fakeFetch(() => Response.json({ message: "rl", retry_after: 0.25, global }, { status: 429 }))
      return discord.send({ chatId: "5", text: "x" }, discordBot, { fetch })
    }
    expect(await send(false)).toMatchObject({
      ok: false,
      error: { kind: "rate_limited", scope: "chat", retryAfterMs: 250 },
    })
    expect(await send(true)).toMatchObject({
      ok: false,
      error: { kind: "rate_limited", scope: "bot", retryAfterMs: 250 },
    })
  })

  it("reads an expired interaction token as a lost message, not a revoked bot", async () => {
    const { fetch } = fakeFetch(() => Response.json({ message: "Invalid Webhook Token", code: 50027 }, { status: 401 }))
    const result = await discord.send({ chatId: "5", text: "x", replyTo: `${INTERACTION_MARKER}old` }, discordBot, {
      fetch,
    })
    expect(result).toMatchObject({ ok: false, error: { kind: "not_found" } })
  })

  it("refuses what Discord cannot carry at the door", () => {
    expect(discord.checkMessage({ chatId: "5", text: "x".repeat(2001) })?.path).toBe("text")
    expect(discord.checkMessage({ chatId: "5", template: { name: "t", language: "en" } })?.path).toBe("template")
    const row = Array.from({ length: 6 }, (_, i) => ({ text: `b${i}` }))
    expect(discord.checkMessage({ chatId: "5", text: "x", buttons: [row] })?.path).toBe("buttons")
  })
})

const sent = (actions: GatewayAction[]) =>
  actions.flatMap((a) => (a.type === "send" ? [JSON.parse(a.data) as { op: number; d: unknown }] : []))
const frame = (op: number, d: unknown, s: number | null = null, t: string | null = null) =>
  JSON.stringify({ op, d, s, t })
const message = (id: string, author: Record<string, unknown>, content = "hi") =>
  frame(0, { id, channel_id: "10", author, content }, null, "MESSAGE_CREATE")

describe("Discord Gateway protocol", () => {
  const ready = (conn: DiscordConnection, s = 1) =>
    conn.receive(
      frame(0, { session_id: "sess", resume_gateway_url: "wss://resume.example", user: { id: "777" } }, s, "READY"),
      0,
    )

  it("identifies with the message intents after HELLO, jittering the first heartbeat", () => {
    const conn = new DiscordConnection(discordBot, null, () => 0.5)
    const [identify] = sent(conn.receive(frame(10, { heartbeat_interval: 1000 }), 0))
    expect(identify).toMatchObject({ op: 2, d: { token: discordBot.credentials.botToken, intents: GATEWAY_INTENTS } })
    expect(conn.nextTickAt()).toBe(500)
  })

  it("stores each message with the sequence number, never the bot's own or other bots'", () => {
    const conn = new DiscordConnection(discordBot, null, () => 0)
    conn.receive(frame(10, { heartbeat_interval: 1000 }), 0)
    expect(ready(conn)[0]).toMatchObject({ type: "save" })
    expect(conn.receive(message("1", { id: "777" }).replace('"s":null', '"s":2'), 0)).toEqual([])
    expect(conn.receive(message("2", { id: "8", bot: true }).replace('"s":null', '"s":3'), 0)).toEqual([])
    const [stored] = conn.receive(message("3", { id: "9", username: "al" }).replace('"s":null', '"s":4'), 0)
    if (stored?.type !== "events") throw new Error("expected events")
    expect(stored.events.map((e) => e.eventId)).toEqual(["3"])
    expect(readSession(stored.state)).toEqual({
      sessionId: "sess",
      resumeUrl: "wss://resume.example",
      seq: 4,
      userId: "777",
    })
  })

  it("beats with the last sequence number and reconnects (resumably) when an ACK is missing", () => {
    const conn = new DiscordConnection(discordBot, null, () => 0)
    conn.receive(frame(10, { heartbeat_interval: 1000 }), 0)
    ready(conn, 5)
    expect(sent(conn.tick(0))).toEqual([{ op: 1, d: 5 }])
    conn.receive(frame(11, null), 10)
    expect(sent(conn.tick(1000))).toEqual([{ op: 1, d: 5 }])
    expect(conn.tick(2000).find((a) => a.type === "reconnect")).toMatchObject({ code: 4000, afterMs: 0 })
  })

  it("resumes a stored session at its URL with its sequence number", async () => {
    const saved = JSON.stringify({ sessionId: "sess", resumeUrl: "wss://resume.example", seq: 42, userId: "777" })
    const url = await gatewayProtocol.url(discordBot, { fetch: fakeFetch(() => Response.json({})).fetch }, saved)
    expect(url).toEqual({ ok: true, value: "wss://resume.example/?v=10&encoding=json" })
    const conn = new DiscordConnection(discordBot, saved, () => 0)
    expect(sent(conn.receive(frame(10, { heartbeat_interval: 1000 }), 0))).toEqual([
      { op: 6, d: { token: discordBot.credentials.botToken, session_id: "sess", seq: 42 } },
    ])
  })

  it("forgets an invalid session and identifies again after 1-5 s; halts on 4004", () => {
    const saved = JSON.stringify({ sessionId: "sess", resumeUrl: "wss://r", seq: 3, userId: "777" })
    const conn = new DiscordConnection(discordBot, saved, () => 1)
    const actions = conn.receive(frame(9, false), 0)
    expect(actions[0]).toMatchObject({ type: "save" })
    expect(readSession((actions[0] as { state: string }).state).sessionId).toBeNull()
    expect(actions[1]).toMatchObject({ type: "reconnect", afterMs: 5000 })
    expect(conn.closed(4004, "Authentication failed.", 0)).toEqual([
      { type: "halt", reason: expect.stringContaining("4004") },
    ])
    expect(conn.closed(1006, "", 0)[0]).toMatchObject({ type: "reconnect", afterMs: 0 })
  })
})
