// Fake Discord: REST API v10 (/api/v10/...), signed interactions (/__fake/deliver) and the Gateway (a WebSocket server
// on the same port), with the control API of every fake plus Discord's own endpoints:
//
//   GET  /__fake/public-key              -> { publicKey }: the hex Ed25519 key deliver signs with (create the bot with it)
//   POST /__fake/deliver                 { url, body, headers?, account? } signs and posts an interaction; fills id,
//                                        token, application_id (= account) and version when missing; answers
//                                        DeliverResult + { publicKey }
//   POST /__fake/gateway/config          { heartbeatMs? } (HELLO's interval for new connections; default 41250),
//                                        { account, ack: false } stops ACKing that token's heartbeats (true resumes)
//   POST /__fake/gateway/dispatch        { account, t?: "MESSAGE_CREATE", d } -> { s, delivered }: a dispatch on the
//                                        token's latest session (kept for a RESUME's replay when nobody is connected)
//   POST /__fake/gateway/drop            { account, code?, holdResumeMs? }: terminates the token's sockets (no close
//                                        frame), or closes them with `code` (e.g. 4004, 4009); dispatches from then
//                                        on wait for the RESUME, answered no sooner than holdResumeMs
//   POST /__fake/sign                    { body, account?, headers? } -> { sent, headers, publicKey }: deliver's
//                                        signing without posting (tests inside workerd post it themselves)
//   POST /__fake/gateway/invalidate      { account, resumable? }: INVALID_SESSION (op 9); not resumable forgets it
//   GET  /__fake/gateway/state?account=  { connections, sessionId, seq, identifies, resumes: [{ sessionId, seq }],
//                                        heartbeats, closes: [codes the client closed with], intents }
//
// Failures (/__fake/fail, account = bot token, or the application id for interaction follow-ups): "429" answers
// `{ message, retry_after, global }` with `retryAfter` seconds (a float is kept as is); `description: "global"` or
// `code: 1` make it the global limit (global: true, X-RateLimit-Global). "401" is 401: Unauthorized, "403" Missing
// Access (50001), "400" Invalid Form Body (50035) or, with `httpStatus: 404`, Unknown Channel (10003); "500", "502"
// (an nginx page) and "timeout" as in the other fakes. A revoked token (/__fake/revoke) gets 401 from REST and close
// 4004 from the Gateway. Limits: `perChatIntervalMs` per channel (429, global false) and `perSecond` per bot (429,
// global true).
import type { IncomingMessage } from "node:http"
import { createRequire } from "node:module"
import type { Duplex } from "node:stream"
import { discordSignature, discordSnowflake, discordUserIdOf } from "./builders.ts"
import {
  type ApiCall,
  badGatewayHtml,
  type FailRule,
  type FakeDefinition,
  type FakeState,
  holdMs,
  type Platform,
  type RunningFake,
  startFake,
} from "./control.ts"
import {
  type Answer,
  type ApiRequest,
  isRecord,
  json,
  type Params,
  parseJson,
  post,
  type Reply,
  randomToken,
} from "./http.ts"
import type { DeliverResult } from "./types.ts"

// ---- a minimal typed view of the `ws` package (v8, present through wrangler; no @types/ws) ----

interface WsSocket {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  terminate(): void
  on(event: "message", listener: (data: Buffer, isBinary: boolean) => void): void
  on(event: "close", listener: (code: number, reason: Buffer) => void): void
  on(event: "error", listener: (error: Error) => void): void
}
interface WsServer {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, done: (ws: WsSocket) => void): void
  close(): void
}
interface WsModule {
  WebSocketServer: new (options: { noServer: true }) => WsServer
}
const OPEN = 1
const { WebSocketServer } = createRequire(import.meta.url)("ws") as WsModule

export const fake: FakeDefinition = {
  platform: "discord",
  apiBaseEnv: "DISCORD_API_BASE",
  devPort: 8085,
  start: (port, latencyMs) => startDiscordFake(port, latencyMs),
  apiBase: (origin) => `${origin}/api/v10`,
}

// ---- REST ----

const unauthorized = () => json(401, { message: "401: Unauthorized", code: 0 })
const formError = (message: string) =>
  json(400, {
    message: "Invalid Form Body",
    code: 50035,
    errors: { _errors: [{ code: "BASE_TYPE_INVALID", message }] },
  })

function rateLimited(retryAfter: number, global: boolean): Reply {
  const headers: Record<string, string> = {
    "Retry-After": String(Math.ceil(retryAfter)),
    "X-RateLimit-Scope": global ? "global" : "user",
  }
  if (global) headers["X-RateLimit-Global"] = "true"
  return json(429, { message: "You are being rate limited.", retry_after: retryAfter, global }, headers)
}

function failure(rule: FailRule): Answer {
  switch (rule.mode) {
    case "429":
      return rateLimited(rule.retryAfter ?? 1, rule.description === "global" || rule.code === 1)
    case "500":
      return json(500, { message: "500: Internal Server Error", code: 0 })
    case "502":
      return { status: 502, text: badGatewayHtml, headers: { "content-type": "text/html" } }
    case "timeout":
      return { hold: holdMs(rule) }
    case "401":
      return unauthorized()
    case "403":
      return json(403, { message: rule.description ?? "Missing Access", code: rule.code ?? 50001 })
    default:
      return rule.httpStatus === 404
        ? json(404, { message: rule.description ?? "Unknown Channel", code: rule.code ?? 10003 })
        : json(rule.httpStatus ?? 400, { message: rule.description ?? "Invalid Form Body", code: rule.code ?? 50035 })
  }
}

interface Gateway {
  heartbeatMs: number
  /** Tokens whose heartbeats go unanswered. */
  noAck: Set<string>
  sessions: Map<string, Session>
  /** The latest session of each token. */
  latest: Map<string, string>
  conns: Set<Conn>
  stats: Map<string, GatewayStats>
}

interface Session {
  id: string
  token: string
  userId: string
  seq: number
  log: { s: number; text: string }[]
  conn: Conn | null
  /** A RESUME is answered no sooner than this (drop's holdResumeMs: dispatches meanwhile wait for the replay). */
  holdResumeUntil: number
}

interface Conn {
  ws: WsSocket
  token: string | null
  session: Session | null
}

interface GatewayStats {
  identifies: number
  resumes: { sessionId: string; seq: number | null }[]
  heartbeats: number
  closes: number[]
  intents: number | null
}

export function startDiscordFake(port = 0, latencyMs = 0): Promise<RunningFake> {
  const gateway: Gateway = {
    heartbeatMs: 41_250,
    noAck: new Set(),
    sessions: new Map(),
    latest: new Map(),
    conns: new Set(),
    stats: new Map(),
  }
  /** Interaction tokens handed out by deliver, with their application. */
  const interactions = new Map<string, string>()
  const keys = crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]) as Promise<CryptoKeyPair>
  const publicKeyHex = keys.then(async (k) =>
    Buffer.from(await crypto.subtle.exportKey("raw", k.publicKey)).toString("hex"),
  )
  const wss = new WebSocketServer({ noServer: true })
  let state: FakeState | null = null

  const platform: Platform = {
    name: "discord",
    failModes: ["429", "500", "502", "timeout", "401", "403", "400"],
    identify: (req, s) => {
      state = s
      return identify(req, s, interactions)
    },
    control: async (name, params, s) => {
      state = s
      switch (name) {
        case "public-key":
          return json(200, { publicKey: await publicKeyHex })
        case "deliver":
        case "sign": {
          const signed = await sign(params, interactions, (await keys).privateKey)
          if ("status" in signed) return signed
          if (name === "sign") return json(200, { ...signed, publicKey: await publicKeyHex })
          return deliver(params, signed, await publicKeyHex)
        }
        default:
          return name.startsWith("gateway/") ? gatewayControl(gateway, name.slice(8), params) : undefined
      }
    },
    reset: (account) => {
      for (const conn of [...gateway.conns]) if (account === undefined || conn.token === account) conn.ws.terminate()
      if (account === undefined) {
        gateway.sessions.clear()
        gateway.latest.clear()
        gateway.stats.clear()
        gateway.noAck.clear()
        gateway.heartbeatMs = 41_250
        return
      }
      gateway.latest.delete(account)
      gateway.stats.delete(account)
      gateway.noAck.delete(account)
    },
    upgrade: (req, socket, head) => {
      wss.handleUpgrade(req, socket, head, (ws) => {
        const origin = `ws://${req.headers.host ?? "127.0.0.1"}`
        serveGateway(gateway, ws, origin, () => state)
      })
    },
  }
  return startFake(platform, port, latencyMs).then((running) => ({
    ...running,
    close: async () => {
      for (const conn of gateway.conns) conn.ws.terminate()
      wss.close()
      await running.close()
    },
  }))
}

function tokenOf(req: ApiRequest): string {
  return /^Bot\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1]?.trim() ?? ""
}

function identify(req: ApiRequest, state: FakeState, interactions: Map<string, string>): ApiCall {
  const path = req.url.pathname.replace(/^\/api\/v\d+/, "")
  const body = req.text === "" ? undefined : (parseJson(req.text) ?? req.text)
  const webhook = /^\/webhooks\/([^/]+)\/([^/]+)(\/messages\/@original)?$/.exec(path)
  if (webhook) {
    const [, app = "", token = "", original] = webhook
    const method = original ? "original" : "followup"
    const run = async (): Promise<Answer> => {
      if (interactions.get(decodeURIComponent(token)) !== app)
        return json(404, { message: "Unknown Webhook", code: 10015 })
      if ((original && req.method !== "PATCH") || (!original && req.method !== "POST"))
        return json(405, { message: "405: Method Not Allowed", code: 0 })
      const checked = checkMessage(body)
      if (checked) return checked
      const content = isRecord(body) ? body : {}
      state.accept(app, `interaction:${token.slice(0, 12)}`, JSON.stringify(content))
      return json(200, messageObject(discordSnowflake(), "0", app, content))
    }
    return { account: app, method, body, run, fail: failure }
  }
  const token = tokenOf(req)
  const channel = /^\/channels\/([^/]+)\/messages$/.exec(path)
  const commands = /^\/applications\/([^/]+)\/commands$/.exec(path)
  const method = channel
    ? "messages"
    : commands
      ? "commands"
      : path === "/users/@me"
        ? "me"
        : path === "/gateway/bot"
          ? "gateway"
          : path
  const run = async (): Promise<Answer> => {
    const userId = discordUserIdOf(token)
    if (userId === null || state.isRevoked(token, token)) return unauthorized()
    if (method === "me" && req.method === "GET")
      return json(200, { id: userId, username: "fakebot", discriminator: "0", bot: true, global_name: null })
    if (method === "gateway" && req.method === "GET") {
      const host = req.headers.host ?? "127.0.0.1"
      return json(200, {
        url: `ws://${host}`,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency: 1 },
      })
    }
    if (commands && req.method === "PUT") {
      if (!Array.isArray(body)) return formError("expected an array of commands")
      return json(
        200,
        body.map((c) => ({
          ...(isRecord(c) ? c : {}),
          id: discordSnowflake(),
          application_id: commands[1],
          version: "1",
        })),
      )
    }
    if (channel && req.method === "POST") return sendMessage(token, userId, channel[1] ?? "", body, state)
    return json(404, { message: "404: Not Found", code: 0 })
  }
  return { account: token, method, body, run, fail: failure }
}

function checkMessage(body: unknown): Reply | undefined {
  if (!isRecord(body)) return formError("body must be a JSON object")
  const content = body.content
  if (content !== undefined && (typeof content !== "string" || content.length > 2000))
    return formError("content: Must be 2000 or fewer in length.")
  if (!content && body.embeds === undefined && body.components === undefined)
    return json(400, { message: "Cannot send an empty message", code: 50006 })
  if (body.components !== undefined) {
    const rows = body.components
    if (!Array.isArray(rows) || rows.length > 5) return formError("components: at most 5 action rows")
    for (const row of rows) {
      const buttons = isRecord(row) ? row.components : undefined
      if (!isRecord(row) || row.type !== 1 || !Array.isArray(buttons) || buttons.length < 1 || buttons.length > 5)
        return formError("components: action rows hold 1-5 buttons")
      for (const b of buttons) {
        if (!isRecord(b) || b.type !== 2 || typeof b.label !== "string" || b.label.length > 80)
          return formError("components: a button needs a label of at most 80 characters")
        if (b.style === 5 ? typeof b.url !== "string" : typeof b.custom_id !== "string")
          return formError("components: link buttons need a url, others a custom_id")
      }
    }
  }
  return undefined
}

function messageObject(id: string, channelId: string, authorId: string, body: Record<string, unknown>) {
  return {
    id,
    type: 0,
    channel_id: channelId,
    content: typeof body.content === "string" ? body.content : "",
    embeds: Array.isArray(body.embeds) ? body.embeds : [],
    components: Array.isArray(body.components) ? body.components : [],
    author: { id: authorId, username: "fakebot", bot: true },
    timestamp: new Date().toISOString(),
    ...(isRecord(body.message_reference) ? { message_reference: body.message_reference } : {}),
  }
}

function sendMessage(token: string, userId: string, channel: string, body: unknown, state: FakeState): Answer {
  if (!/^\d{1,20}$/.test(channel)) return formError("channel_id: Value is not snowflake.")
  const checked = checkMessage(body)
  if (checked) return checked
  const content = isRecord(body) ? body : {}
  const limits = state.limitsFor(token)
  const now = Date.now()
  if (limits.perSecond && state.recentSends(token, 1_000).length >= limits.perSecond) {
    state.rejectByLimit(token)
    const oldest = state.recentSends(token, 1_000)[0] ?? now
    return rateLimited(Math.max(0.001, (oldest + 1_000 - now) / 1000), true)
  }
  if (limits.perChatIntervalMs) {
    const last = state.recentSends(token, limits.perChatIntervalMs, channel).at(-1)
    if (last !== undefined) {
      state.rejectByLimit(token)
      return rateLimited(Math.max(0.001, (last + limits.perChatIntervalMs - now) / 1000), false)
    }
  }
  state.accept(token, channel, JSON.stringify([content.content, content.components, content.embeds]))
  const used = state.recentSends(token, 5_000, channel).length
  const headers = {
    "X-RateLimit-Limit": "5",
    "X-RateLimit-Remaining": String(Math.max(0, 5 - used)),
    "X-RateLimit-Reset": ((now + 5_000) / 1000).toFixed(3),
    "X-RateLimit-Reset-After": "5.000",
    "X-RateLimit-Bucket": `channel-${channel}`,
  }
  return json(200, messageObject(discordSnowflake(), channel, userId, content), headers)
}

/** The interaction as Discord would send it (id, token, application_id = account filled in) and its signed headers. */
async function sign(
  params: Params,
  interactions: Map<string, string>,
  privateKey: CryptoKey,
): Promise<{ sent: string; headers: Record<string, string> } | Reply> {
  if (params.body === undefined) return json(400, { error: "deliver and sign need a body" })
  let sent: string
  if (isRecord(params.body)) {
    const interaction: Record<string, unknown> = { ...params.body }
    interaction.id ??= discordSnowflake()
    interaction.application_id ??= typeof params.account === "string" ? params.account : discordSnowflake()
    interaction.token ??= `aW50ZXJhY3Rpb246${randomToken(120)}`
    interaction.version ??= 1
    if (interaction.type !== 1) interactions.set(String(interaction.token), String(interaction.application_id))
    sent = JSON.stringify(interaction)
  } else sent = typeof params.body === "string" ? params.body : JSON.stringify(params.body)
  const timestamp = String(Math.floor(Date.now() / 1000))
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "Discord-Interactions/1.0 (+https://discord.com)",
    "x-signature-timestamp": timestamp,
    "x-signature-ed25519": await discordSignature(privateKey, timestamp, sent),
  }
  if (isRecord(params.headers))
    for (const [k, v] of Object.entries(params.headers)) headers[k.toLowerCase()] = String(v)
  return { sent, headers }
}

/** Posts a signed interaction to the Interactions Endpoint URL. */
async function deliver(
  params: Params,
  signed: { sent: string; headers: Record<string, string> },
  publicKey: string,
): Promise<Answer> {
  if (typeof params.url !== "string") return json(400, { error: "deliver needs a url (the bot's webhookUrl)" })
  const result: DeliverResult & { publicKey: string } = {
    ...(await post(params.url, new TextEncoder().encode(signed.sent), signed.headers)),
    sent: signed.sent,
    publicKey,
  }
  return json(200, result)
}

// ---- Gateway ----

function statsOf(gateway: Gateway, token: string): GatewayStats {
  let s = gateway.stats.get(token)
  if (!s) {
    s = { identifies: 0, resumes: [], heartbeats: 0, closes: [], intents: null }
    gateway.stats.set(token, s)
  }
  return s
}

function sendFrame(conn: Conn, frame: unknown): void {
  if (conn.ws.readyState === OPEN) conn.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame))
}

/** Appends a dispatch to the session (for a later replay) and sends it if someone is connected to it. */
function dispatch(session: Session, t: string, d: unknown): { s: number; delivered: boolean } {
  session.seq += 1
  const text = JSON.stringify({ op: 0, t, s: session.seq, d })
  session.log.push({ s: session.seq, text })
  const conn = session.conn
  const delivered = conn !== null && conn.ws.readyState === OPEN
  if (conn && delivered) sendFrame(conn, text)
  return { s: session.seq, delivered }
}

function serveGateway(gateway: Gateway, ws: WsSocket, origin: string, state: () => FakeState | null): void {
  const conn: Conn = { ws, token: null, session: null }
  gateway.conns.add(conn)
  sendFrame(conn, { op: 10, d: { heartbeat_interval: gateway.heartbeatMs }, s: null, t: null })
  ws.on("error", () => {})
  ws.on("close", (code) => {
    gateway.conns.delete(conn)
    if (conn.token !== null) statsOf(gateway, conn.token).closes.push(code)
    if (conn.session?.conn === conn) conn.session.conn = null
  })
  ws.on("message", (data) => {
    const frame = parseJson(data.toString("utf8"))
    if (!isRecord(frame) || typeof frame.op !== "number") return ws.close(4002, "Error while decoding payload.")
    const d = isRecord(frame.d) ? frame.d : {}
    const revoked = (token: string) => discordUserIdOf(token) === null || (state()?.isRevoked(token, token) ?? false)
    switch (frame.op) {
      case 1: {
        if (conn.token !== null) statsOf(gateway, conn.token).heartbeats += 1
        if (conn.token === null || !gateway.noAck.has(conn.token))
          sendFrame(conn, { op: 11, d: null, s: null, t: null })
        return
      }
      case 2: {
        const token = typeof d.token === "string" ? d.token : ""
        conn.token = token
        const stats = statsOf(gateway, token)
        stats.identifies += 1
        stats.intents = typeof d.intents === "number" ? d.intents : null
        if (revoked(token)) return ws.close(4004, "Authentication failed.")
        const userId = discordUserIdOf(token) ?? "0"
        const session: Session = {
          id: randomToken(32, "0123456789abcdef"),
          token,
          userId,
          seq: 0,
          log: [],
          conn,
          holdResumeUntil: 0,
        }
        gateway.sessions.set(session.id, session)
        gateway.latest.set(token, session.id)
        conn.session = session
        dispatch(session, "READY", {
          v: 10,
          user: { id: userId, username: "fakebot", discriminator: "0", bot: true },
          guilds: [],
          session_id: session.id,
          resume_gateway_url: origin,
          application: { id: userId, flags: 0 },
        })
        return
      }
      case 6: {
        const token = typeof d.token === "string" ? d.token : ""
        conn.token = token
        const sessionId = typeof d.session_id === "string" ? d.session_id : ""
        const seq = typeof d.seq === "number" ? d.seq : null
        statsOf(gateway, token).resumes.push({ sessionId, seq })
        if (revoked(token)) return ws.close(4004, "Authentication failed.")
        const session = gateway.sessions.get(sessionId)
        if (!session || session.token !== token) return sendFrame(conn, { op: 9, d: false, s: null, t: null })
        const replay = () => {
          if (ws.readyState !== OPEN) return
          const previous = session.conn
          if (previous && previous !== conn) previous.ws.terminate()
          session.conn = conn
          conn.session = session
          for (const entry of session.log) if (seq === null || entry.s > seq) sendFrame(conn, entry.text)
          dispatch(session, "RESUMED", {})
        }
        const wait = session.holdResumeUntil - Date.now()
        if (wait > 0) setTimeout(replay, wait).unref()
        else replay()
        return
      }
      default:
        return
    }
  })
}

function gatewayControl(gateway: Gateway, name: string, params: Params): Answer | undefined {
  const account = typeof params.account === "string" ? params.account : undefined
  const live = () => [...gateway.conns].filter((c) => c.token === account)
  const latest = () => (account === undefined ? undefined : gateway.sessions.get(gateway.latest.get(account) ?? ""))
  switch (name) {
    case "config": {
      const ms = Number(params.heartbeatMs)
      if (params.heartbeatMs !== undefined) {
        if (!Number.isFinite(ms) || ms < 50) return json(400, { error: "heartbeatMs must be >= 50" })
        gateway.heartbeatMs = ms
      }
      if (account !== undefined && params.ack !== undefined) {
        if (params.ack === false) gateway.noAck.add(account)
        else gateway.noAck.delete(account)
      }
      return json(200, { ok: true, heartbeatMs: gateway.heartbeatMs })
    }
    case "dispatch": {
      const session = latest()
      if (!session) return json(409, { error: "no session for this account: the bot never identified" })
      const t = typeof params.t === "string" ? params.t : "MESSAGE_CREATE"
      const d = isRecord(params.d) ? { ...params.d } : {}
      if (t === "MESSAGE_CREATE") {
        d.id ??= discordSnowflake()
        d.channel_id ??= "100000000000000001"
        d.author ??= { id: "200000000000000001", username: "alice", global_name: "Alice" }
        d.content ??= ""
        d.timestamp ??= new Date().toISOString()
        d.type ??= 0
      }
      return json(200, { ...dispatch(session, t, d), id: d.id })
    }
    case "drop": {
      if (account === undefined) return json(400, { error: "drop needs an account" })
      const code = params.code === undefined ? undefined : Number(params.code)
      const hold = Number(params.holdResumeMs ?? 0)
      const session = latest()
      if (session) {
        session.holdResumeUntil = Date.now() + (Number.isFinite(hold) ? hold : 0)
        session.conn = null // from now on dispatches wait in the log for the RESUME's replay
      }
      const conns = live()
      for (const c of conns) {
        if (code === undefined) c.ws.terminate()
        else c.ws.close(code, code === 4004 ? "Authentication failed." : "dropped")
      }
      return json(200, { ok: true, dropped: conns.length })
    }
    case "invalidate": {
      const session = latest()
      if (!session || account === undefined) return json(409, { error: "no session for this account" })
      const resumable = params.resumable === true
      if (!resumable) gateway.sessions.delete(session.id)
      if (session.conn) sendFrame(session.conn, { op: 9, d: resumable, s: null, t: null })
      return json(200, { ok: true })
    }
    case "state": {
      if (account === undefined) return json(400, { error: "state needs an account" })
      const session = latest()
      return json(200, {
        connections: live().filter((c) => c.ws.readyState === OPEN).length,
        sessionId: session?.id ?? null,
        seq: session?.seq ?? null,
        ...statsOf(gateway, account),
      })
    }
    default:
      return undefined
  }
}
