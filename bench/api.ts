// The management API as the bench uses it (create bots, read a bot's stats), the update payloads Telegram, Slack and
// Discord would post, and the bench's child processes: the fake platforms and the grammY peer.
import { fork, type Serializable } from "node:child_process"
import { createHmac, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto"
import { join } from "node:path"
import { discordSnowflake, randomDiscordToken } from "../test/fakes/builders.ts"
import { type FakeControl, fakeControl, randomPhoneNumberId, randomTelegramToken } from "../test/fakes/client.ts"
import type { FakesReady } from "./fakes-process.ts"
import type { PeerStart } from "./grammy-peer.ts"
import { peakMemoryMb, type RunningWorker } from "./worker.ts"

export interface TelegramBotRef {
  id: string
  token: string
  /** The secret_token our setup gave setWebhook, as the fake recorded it. */
  secret: string
  webhookUrl: string
}

export interface SlackBotRef {
  id: string
  token: string
  /** The app's signing secret: every request to the bot's Request URL is signed with it. */
  signingSecret: string
  webhookUrl: string
}

export interface DiscordBotRef {
  id: string
  /** The application id (Discord's fake also names the bot user after it). */
  appId: string
  /** The bot token: REST sends and the Gateway (the fake's controls take it as the account). */
  token: string
  /** The Interactions Endpoint URL. */
  webhookUrl: string
}

export interface WhatsAppBotRef {
  id: string
  phoneNumberId: string
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v)
}

async function createBot(worker: RunningWorker, business: string, body: unknown): Promise<string> {
  const res = await fetch(`${worker.origin}/api/bots`, {
    method: "POST",
    headers: { authorization: `Bearer ${worker.token(business)}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  })
  const json: unknown = await res.json()
  const bot = isRecord(json) ? json.bot : undefined
  const setup = isRecord(json) ? json.setup : undefined
  if (res.status !== 201 || !isRecord(bot) || typeof bot.id !== "string" || !isRecord(setup) || setup.ok !== true) {
    throw new Error(`creating a bot failed: ${res.status} ${JSON.stringify(json)}`)
  }
  return bot.id
}

/** Runs `task` over `items`, `concurrency` at a time, keeping the order of the results. */
export async function pool<T, R>(items: T[], concurrency: number, task: (item: T, i: number) => Promise<R>) {
  const out: R[] = new Array(items.length)
  const queue = items.entries() // one iterator shared by the workers: each entry is taken once
  const worker = async () => {
    for (const [i, item] of queue) out[i] = await task(item, i)
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
  return out
}

/** Creates echo bots through the API (each runs setWebhook on the fake) and reads back their secret tokens. */
export async function createTelegramBots(
  worker: RunningWorker,
  telegram: FakeControl,
  count: number,
  business = "bench",
  concurrency = 16,
): Promise<TelegramBotRef[]> {
  return pool(Array.from({ length: count }), concurrency, async () => {
    const token = randomTelegramToken()
    const id = await createBot(worker, business, {
      platform: "telegram",
      name: `bench ${token.slice(0, 6)}`,
      credentials: { botToken: token },
    })
    const calls = await telegram.requests({ account: token, method: "setWebhook" })
    const body = calls.at(-1)?.body
    const secret = isRecord(body) && typeof body.secret_token === "string" ? body.secret_token : undefined
    if (!secret) throw new Error(`bot ${id}: the fake recorded no setWebhook secret_token`)
    return { id, token, secret, webhookUrl: `${worker.origin}/webhooks/telegram/${id}` }
  })
}

export async function createWhatsAppBot(worker: RunningWorker, business = "bench"): Promise<WhatsAppBotRef> {
  const phoneNumberId = randomPhoneNumberId()
  const id = await createBot(worker, business, {
    platform: "whatsapp",
    name: "bench whatsapp",
    credentials: { accessToken: `EAAGbench${phoneNumberId}`, phoneNumberId, verifyToken: "bench-verify" },
  })
  return { id, phoneNumberId }
}

/**
 * A bot token the Slack fake's auth.test accepts (`xoxb-{team digits}-{bot user digits}-{secret}`): unique workspace
 * and bot user per call, so two bench bots never share a Slack account.
 */
export function randomSlackToken(): string {
  const digits = (n: number) => String(10 ** (n - 1) + (randomBytes(4).readUInt32BE() % (9 * 10 ** (n - 1))))
  return `xoxb-${digits(10)}-${digits(9)}-${randomBytes(12).toString("hex")}`
}

/** Creates echo bots for Slack through the API (auth.test on the fake checks each token). */
export async function createSlackBots(
  worker: RunningWorker,
  count: number,
  business = "bench",
): Promise<SlackBotRef[]> {
  return pool(Array.from({ length: count }), 16, async () => {
    const token = randomSlackToken()
    const signingSecret = randomBytes(16).toString("hex")
    const id = await createBot(worker, business, {
      platform: "slack",
      name: `bench slack ${token.slice(5, 11)}`,
      credentials: { botToken: token, signingSecret },
    })
    return { id, token, signingSecret, webhookUrl: `${worker.origin}/webhooks/slack/${id}` }
  })
}

/**
 * The application's Ed25519 key pair, made by the bench: the fake Discord keeps its private key to itself, so the
 * bench creates its bot with this public key and signs every interaction in its own process (the fake stays off the
 * measured path). `publicKeyHex` is what the Developer Portal shows (the raw 32 bytes, hex).
 */
export function discordKeyPair(): { privateKey: KeyObject; publicKeyHex: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519")
  const jwk = publicKey.export({ format: "jwk" })
  if (typeof jwk.x !== "string") throw new Error("no raw Ed25519 public key")
  return { privateKey, publicKeyHex: Buffer.from(jwk.x, "base64url").toString("hex") }
}

/**
 * Creates one echo bot for Discord through the API (the fake's GET /users/@me checks the token, which names the
 * application as its bot user): interactions verified with `publicKeyHex`; the bot's Durable Object connects to the
 * fake Gateway (GET /gateway/bot) once it is active.
 */
export async function createDiscordBot(
  worker: RunningWorker,
  publicKeyHex: string,
  business = "bench",
): Promise<DiscordBotRef> {
  const appId = discordSnowflake()
  const token = randomDiscordToken(appId)
  const id = await createBot(worker, business, {
    platform: "discord",
    name: `bench discord ${appId.slice(-6)}`,
    credentials: { applicationId: appId, publicKey: publicKeyHex, botToken: token },
  })
  return { id, appId, token, webhookUrl: `${worker.origin}/webhooks/discord/${id}` }
}

/**
 * A slash command (APPLICATION_COMMAND, type 2) as Discord posts it to the Interactions Endpoint URL: `/echo text`
 * by a guild member in `channel`, with its own interaction `id` and `token`.
 */
export function discordCommand(appId: string, id: string, token: string, channel: string, text: string): string {
  return JSON.stringify({
    id,
    application_id: appId,
    type: 2,
    token,
    version: 1,
    guild_id: "1100000000000000001",
    channel_id: channel,
    member: { user: { id: "1000000000000000001", username: "bench", global_name: "Bench" } },
    data: { id: "1200000000000000001", name: "echo", type: 1, options: [{ name: "text", type: 3, value: text }] },
  })
}

/**
 * The headers Discord signs an interaction with: `X-Signature-Timestamp` (now, in seconds) and `X-Signature-Ed25519`,
 * the hex Ed25519 signature of timestamp + raw body by the application's key. Synchronous (node:crypto).
 */
export function discordHeaders(privateKey: KeyObject, body: string): Record<string, string> {
  const timestamp = String(Math.floor(Date.now() / 1000))
  return {
    "content-type": "application/json",
    "x-signature-timestamp": timestamp,
    "x-signature-ed25519": sign(null, Buffer.from(timestamp + body), privateKey).toString("hex"),
  }
}

/** A bot's inbound messages of the last 24 hours, from GET /api/bots/:id/stats (the counters of its Durable Object). */
export async function inboundCount(worker: RunningWorker, botId: string, business = "bench"): Promise<number> {
  const res = await fetch(`${worker.origin}/api/bots/${botId}/stats`, {
    headers: { authorization: `Bearer ${worker.token(business)}` },
  })
  const json: unknown = await res.json()
  const last = isRecord(json) ? json.last24h : undefined
  if (!res.ok || !isRecord(last) || typeof last.inbound !== "number")
    throw new Error(`stats of ${botId}: ${res.status} ${JSON.stringify(json)}`)
  return last.inbound
}

/**
 * An Events API `event_callback` carrying one channel message from a person, as Slack posts it to a Request URL.
 * `ts` is the message's id in its channel (Slack's `"seconds.sequence"`), `eventId` the delivery's.
 */
export function slackMessageEvent(eventId: string, channel: string, ts: string, text: string): string {
  return JSON.stringify({
    token: "bench-verification-token",
    team_id: "T0BENCH001",
    api_app_id: "A0BENCH001",
    event: {
      type: "message",
      channel,
      channel_type: "channel",
      user: "U0BENCH001",
      text,
      ts,
      event_ts: ts,
      team: "T0BENCH001",
    },
    type: "event_callback",
    event_id: eventId,
    event_time: Math.floor(Number(ts)),
  })
}

/**
 * The headers Slack signs a request with: `X-Slack-Request-Timestamp` (now, in seconds) and `X-Slack-Signature`,
 * `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}` with the app's signing secret. Synchronous (node:crypto), so a
 * closed loop can sign each request as it builds it.
 */
export function slackHeaders(signingSecret: string, body: string): Record<string, string> {
  const timestamp = String(Math.floor(Date.now() / 1000))
  const signature = createHmac("sha256", signingSecret).update(`v0:${timestamp}:${body}`).digest("hex")
  return {
    "content-type": "application/json",
    "x-slack-request-timestamp": timestamp,
    "x-slack-signature": `v0=${signature}`,
  }
}

/** A Telegram Update carrying one private text message, as the Bot API posts it to a webhook. */
export function telegramUpdate(updateId: number, chatId: number, text: string): string {
  return JSON.stringify({
    update_id: updateId,
    message: {
      message_id: updateId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, first_name: "Bench", type: "private" },
      from: { id: chatId, is_bot: false, first_name: "Bench", language_code: "en" },
      text,
    },
  })
}

export const SECRET_HEADER = "x-telegram-bot-api-secret-token"

type Child = ReturnType<typeof fork>

/** Forks a bench process on this Node and waits for its first IPC message that `ready` accepts. */
function forkReady<T>(
  file: string,
  ready: (msg: unknown) => T | undefined,
  start?: Serializable,
): Promise<{ child: Child; msg: T }> {
  const child = fork(join(import.meta.dirname, file), [], {
    execPath: process.execPath,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  })
  return new Promise((resolve, reject) => {
    const early = (code: number | null) => reject(new Error(`${file} exited early (${code})`))
    child.once("exit", early)
    child.on("message", (raw: unknown) => {
      const msg = ready(raw)
      if (msg !== undefined) {
        child.off("exit", early)
        resolve({ child, msg })
      } else if (isRecord(raw) && raw.type === "failed") {
        child.kill()
        reject(new Error(`${file} failed: ${String(raw.message)}`))
      }
    })
    if (start !== undefined) child.send(start)
  })
}

function stopper(child: Child): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      child.once("exit", () => resolve())
      child.kill()
    })
}

export interface FakesHandle {
  telegramApiBase: string
  whatsappApiBase: string
  slackApiBase: string
  discordApiBase: string
  telegram: FakeControl
  whatsapp: FakeControl
  slack: FakeControl
  discord: FakeControl
  pid: number
  close(): Promise<void>
}

/** A fresh pair of fake platforms in their own process, with `latencyMs` on every platform API answer. */
export async function spawnFakes(latencyMs: number): Promise<FakesHandle> {
  const { child, msg } = await forkReady<FakesReady>("fakes-process.ts", (raw) =>
    isRecord(raw) &&
    raw.type === "ready" &&
    typeof raw.telegramOrigin === "string" &&
    typeof raw.whatsappOrigin === "string" &&
    typeof raw.slackOrigin === "string" &&
    typeof raw.discordOrigin === "string"
      ? {
          type: "ready",
          telegramApiBase: String(raw.telegramApiBase),
          whatsappApiBase: String(raw.whatsappApiBase),
          slackApiBase: String(raw.slackApiBase),
          telegramOrigin: raw.telegramOrigin,
          whatsappOrigin: raw.whatsappOrigin,
          slackOrigin: raw.slackOrigin,
          discordApiBase: String(raw.discordApiBase),
          discordOrigin: raw.discordOrigin,
        }
      : undefined,
  )
  const handle: FakesHandle = {
    telegramApiBase: msg.telegramApiBase,
    whatsappApiBase: msg.whatsappApiBase,
    slackApiBase: msg.slackApiBase,
    discordApiBase: msg.discordApiBase,
    telegram: fakeControl(msg.telegramOrigin),
    whatsapp: fakeControl(msg.whatsappOrigin),
    slack: fakeControl(msg.slackOrigin),
    discord: fakeControl(msg.discordOrigin),
    pid: child.pid ?? -1,
    close: stopper(child),
  }
  await Promise.all([
    handle.telegram.latency(latencyMs),
    handle.whatsapp.latency(latencyMs),
    handle.slack.latency(latencyMs),
    handle.discord.latency(latencyMs),
  ])
  return handle
}

export interface RunningPeer {
  origin: string
  pid: number
  peakMemoryMb(): number
  stop(): Promise<void>
}

/** Starts the grammY peer in its own Node process (same Node binary as the bench). */
export async function startGrammyPeer(start: Omit<PeerStart, "type">): Promise<RunningPeer> {
  const { child, msg } = await forkReady(
    "grammy-peer.ts",
    (raw) => (isRecord(raw) && raw.type === "ready" && typeof raw.port === "number" ? raw.port : undefined),
    { type: "start", ...start } satisfies PeerStart,
  )
  const pid = child.pid ?? -1
  return { origin: `http://127.0.0.1:${msg}`, pid, peakMemoryMb: () => peakMemoryMb(pid), stop: stopper(child) }
}
