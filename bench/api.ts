// The management API as the bench uses it (create bots), the update payloads Telegram and Slack would post, and the
// bench's child processes: the fake platforms and the grammY peer.
import { fork, type Serializable } from "node:child_process"
import { createHmac, randomBytes } from "node:crypto"
import { join } from "node:path"
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
): Promise<TelegramBotRef[]> {
  return pool(Array.from({ length: count }), 16, async () => {
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
  telegram: FakeControl
  whatsapp: FakeControl
  slack: FakeControl
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
    typeof raw.slackOrigin === "string"
      ? {
          type: "ready",
          telegramApiBase: String(raw.telegramApiBase),
          whatsappApiBase: String(raw.whatsappApiBase),
          slackApiBase: String(raw.slackApiBase),
          telegramOrigin: raw.telegramOrigin,
          whatsappOrigin: raw.whatsappOrigin,
          slackOrigin: raw.slackOrigin,
        }
      : undefined,
  )
  const handle: FakesHandle = {
    telegramApiBase: msg.telegramApiBase,
    whatsappApiBase: msg.whatsappApiBase,
    slackApiBase: msg.slackApiBase,
    telegram: fakeControl(msg.telegramOrigin),
    whatsapp: fakeControl(msg.whatsappOrigin),
    slack: fakeControl(msg.slackOrigin),
    pid: child.pid ?? -1,
    close: stopper(child),
  }
  await Promise.all([
    handle.telegram.latency(latencyMs),
    handle.whatsapp.latency(latencyMs),
    handle.slack.latency(latencyMs),
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
