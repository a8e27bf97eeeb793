// Ingest: Telegram webhook updates/s and time-to-200 at N connections, for the router (1 bot or many), the bare route
// of the same build (the runtime's limit) and the grammY peer (which replies inside the request); and the same loop
// of signed Slack Events API messages to one Slack bot, and of signed Discord slash commands (interactions) to one
// Discord bot.
import { type KeyObject, randomBytes } from "node:crypto"
import { join } from "node:path"
import { discordSnowflake } from "../test/fakes/builders.ts"
import { randomTelegramToken } from "../test/fakes/client.ts"
import {
  createDiscordBot,
  createSlackBots,
  createTelegramBots,
  discordCommand,
  discordHeaders,
  discordKeyPair,
  type FakesHandle,
  pool,
  SECRET_HEADER,
  slackHeaders,
  slackMessageEvent,
  spawnFakes,
  startGrammyPeer,
  telegramUpdate,
} from "./api.ts"
import { API_LATENCY_MS, type BenchContext } from "./context.ts"
import { closedLoop, type Shot } from "./load.ts"
import { type ProfileSummary, profiled } from "./profile.ts"
import { percentile, round } from "./stats.ts"
import { startWorker } from "./worker.ts"

/**
 * `router`: Switchboard with Telegram bots; `slack`: Switchboard with one Slack bot (signed Events API requests);
 * `discord`: Switchboard with one Discord bot (Ed25519-signed APPLICATION_COMMAND interactions, answered deferred);
 * `floor`: bench/floor-worker.js, a route + one Durable Object RPC + one SQLite insert (see --floor);
 * `handlers-off`: the router's Telegram bots in the same build with their alarms off (see --handlers-off).
 */
export type IngestTarget = "bare" | "router" | "slack" | "discord" | "grammy" | "floor" | "handlers-off"

export interface IngestRun {
  target: IngestTarget
  connections: number
  bots: number
  updatesPerSecond: number
  p50Ms: number
  p99Ms: number
  ok: number
  failed: number
  /** CPU cores the serving process used in the window (1.0 = one core saturated). */
  serverCores: number
  /** The serving process's CPU time per accepted update: the cost of one, whatever the machine's other load. */
  cpuMsPerUpdate: number
  /** CPU cores of the bench's own process (load generator and fake platform APIs). */
  benchCores: number
  failures: Record<string, number>
  /** Peak resident memory of the process serving the webhooks (workerd, or the grammY peer's Node). */
  peakMemoryMb: number
  problems: string[]
  /**
   * Replies the fake platform received during the run (the router paces them: Telegram 30/s per bot, Slack 5/s per
   * bot and one per second per channel; grammY sends inline). Discord: the interactions' follow-ups (PATCH @original)
   * the fake received, which it refuses as Unknown Webhook (it only knows tokens it signed itself).
   */
  repliesSent: number
  profile?: ProfileSummary
}

/** 1,000 chats, so no two requests in flight are for one chat (Telegram sends a chat's updates one at a time). */
const CHATS = 1000

/** Telegram updates for the closed loop, each in one of the 1,000 chats, with the secret token header. */
export function shot(url: (seq: number) => string, secret: string): (seq: number) => Shot {
  const headers = { "content-type": "application/json", [SECRET_HEADER]: secret }
  return (seq) => ({ url: url(seq), headers, body: telegramUpdate(seq + 1, 1 + (seq % CHATS), `ingest ${seq}`) })
}

function figures(
  target: IngestTarget,
  connections: number,
  bots: number,
  result: Awaited<ReturnType<typeof closedLoop>>,
  peakMemoryMb: number,
  problems: string[],
  repliesSent: number,
): IngestRun {
  return {
    target,
    connections,
    bots,
    updatesPerSecond: round(result.ok / (result.windowMs / 1000), 1),
    p50Ms: round(percentile(result.latencies, 50)),
    p99Ms: round(percentile(result.latencies, 99)),
    ok: result.ok,
    failed: result.failed,
    serverCores: round(result.serverCores),
    cpuMsPerUpdate: round((result.serverCores * result.windowMs) / Math.max(1, result.ok), 3),
    benchCores: round(result.benchCores),
    failures: result.failures,
    peakMemoryMb: round(peakMemoryMb, 1),
    problems: problems.slice(0, 5),
    repliesSent,
  }
}

/**
 * One update to every bot before the clock starts, so each bot's Durable Object has started and decrypted its
 * secrets: the measured window compares steady states, not 200 cold starts with one.
 */
async function warmEveryBot(refs: { webhookUrl: string; secret: string }[]): Promise<void> {
  await pool(refs, 16, async (ref, i) => {
    const res = await fetch(ref.webhookUrl, {
      method: "POST",
      headers: { "content-type": "application/json", [SECRET_HEADER]: ref.secret },
      body: telegramUpdate(1_000_000_000 + i, 1, "warm-up"),
    })
    await res.arrayBuffer()
    if (!res.ok) throw new Error(`warm-up of bot ${i} answered ${res.status}`)
  })
}

/** sendMessage calls the fake Telegram has recorded. */
async function sent(fakes: FakesHandle): Promise<number> {
  return (await fakes.telegram.requests({ method: "sendMessage" })).length
}

/**
 * A message in one of 1,000 channels for each request (as the Telegram loop's 1,000 chats), each with its own
 * event_id and ts, signed with the bot's signing secret at the time it is sent (Slack signs each request).
 */
function slackShots(url: string, signingSecret: string): (seq: number) => Shot {
  const run = Date.now()
  const seconds = Math.floor(run / 1000)
  return (seq) => {
    const ts = `${seconds}.${String(seq + 1).padStart(6, "0")}`
    const body = slackMessageEvent(`Ev${run}B${seq}`, `CBENCH${1 + (seq % CHATS)}`, ts, `ingest ${seq}`)
    return { url, headers: slackHeaders(signingSecret, body), body }
  }
}

/**
 * A slash command in one of 1,000 channels for each request, each with its own interaction id (a snowflake) and
 * token, signed with the application's private key as it is sent (Ed25519 over timestamp + body, in this process).
 */
function discordShots(url: string, appId: string, privateKey: KeyObject): (seq: number) => Shot {
  const prefix = `aW50ZXJhY3Rpb246${randomBytes(48).toString("base64url")}`
  return (seq) => {
    const channel = String(1_100_000_000_000_000_000n + BigInt(1 + (seq % CHATS)))
    const body = discordCommand(appId, discordSnowflake(), `${prefix}.${seq}`, channel, `ingest ${seq}`)
    return { url, headers: discordHeaders(privateKey, body), body }
  }
}

/** One measured run on a fresh server process and blank fakes: nothing of a previous run is left running. */
export async function ingestRun(
  ctx: BenchContext,
  target: IngestTarget,
  connections: number,
  bots = 1,
  profileTo?: string,
): Promise<IngestRun> {
  // The ingest phase's fakes, blank again; setup (setWebhook) at full speed, the platform's latency for the run.
  ctx.ingestFakes ??= await spawnFakes(0)
  const fakes = ctx.ingestFakes
  await Promise.all([fakes.telegram.reset(), fakes.whatsapp.reset(), fakes.slack.reset(), fakes.discord.reset()])
  await Promise.all([fakes.telegram.latency(0), fakes.slack.latency(0), fakes.discord.latency(0)])
  return measure(ctx, fakes, target, connections, bots, profileTo)
}

async function measure(
  ctx: BenchContext,
  fakes: FakesHandle,
  target: IngestTarget,
  connections: number,
  bots: number,
  profileTo: string | undefined,
): Promise<IngestRun> {
  const { warmupMs, durationMs } = ctx.sizes
  const loop = (next: (seq: number) => Shot, serverPid: number) =>
    closedLoop({ connections, warmupMs, durationMs, next, serverPid })
  if (target === "grammy") {
    const secret = "bench-secret-token"
    const peer = await startGrammyPeer({
      apiRoot: fakes.telegramApiBase,
      tokens: Array.from({ length: bots }, randomTelegramToken),
      secret,
      autoRetry: false,
    })
    try {
      await fakes.telegram.latency(API_LATENCY_MS)
      const result = await loop(
        shot((seq) => `${peer.origin}/${seq % bots}`, secret),
        peer.pid,
      )
      return figures(target, connections, bots, result, peer.peakMemoryMb(), [], await sent(fakes))
    } finally {
      await peer.stop()
    }
  }
  if (target === "floor") {
    if (!ctx.floorBundle) throw new Error("the floor target needs --floor (its bundle)")
    const worker = await startWorker(ctx.floorBundle, fakes)
    try {
      const result = await loop(
        shot((seq) => `${worker.origin}/floor/bot-${seq % bots}`, "unused"),
        worker.pid,
      )
      return figures(target, connections, bots, result, worker.peakMemoryMb(), worker.problems, 0)
    } finally {
      await worker.dispose()
    }
  }
  const bundle = target === "handlers-off" ? ctx.handlersOffBundle : ctx.bundle
  if (!bundle) throw new Error("the handlers-off target needs --handlers-off (its bundle)")
  const worker = await startWorker(bundle, { ...fakes, inspect: profileTo !== undefined })
  try {
    if (target === "bare") {
      const result = await loop(
        shot(() => `${worker.origin}/__bench/bare`, "unused"),
        worker.pid,
      )
      return figures(target, connections, bots, result, worker.peakMemoryMb(), worker.problems, 0)
    }
    if (target === "slack") {
      const [bot] = await createSlackBots(worker, 1)
      if (!bot) throw new Error("no Slack bot created")
      await fakes.slack.latency(API_LATENCY_MS)
      // Warm-up: an event outside the loop's run of ts values, as warmEveryBot does for Telegram.
      const warm = slackMessageEvent("EvWarmUp", "CBENCHWARM", `${Math.floor(Date.now() / 1000)}.000000`, "warm-up")
      const res = await fetch(bot.webhookUrl, {
        method: "POST",
        headers: slackHeaders(bot.signingSecret, warm),
        body: warm,
      })
      await res.arrayBuffer()
      if (!res.ok) throw new Error(`warm-up of the Slack bot answered ${res.status}`)
      const result = await loop(slackShots(bot.webhookUrl, bot.signingSecret), worker.pid)
      const replies = (await fakes.slack.requests({ account: bot.token, method: "chat.postMessage" })).length
      return figures(target, connections, 1, result, worker.peakMemoryMb(), worker.problems, replies)
    }
    if (target === "discord") {
      const keys = discordKeyPair()
      const bot = await createDiscordBot(worker, keys.publicKeyHex)
      await fakes.discord.latency(API_LATENCY_MS)
      // Warm-up: one command before the clock starts (the object starts, decrypts its credentials, imports the key).
      const warm = discordCommand(bot.appId, discordSnowflake(), "warm-up", "1100000000000000000", "warm-up")
      const res = await fetch(bot.webhookUrl, {
        method: "POST",
        headers: discordHeaders(keys.privateKey, warm),
        body: warm,
      })
      await res.arrayBuffer()
      if (!res.ok) throw new Error(`warm-up of the Discord bot answered ${res.status}`)
      const result = await loop(discordShots(bot.webhookUrl, bot.appId, keys.privateKey), worker.pid)
      const replies = (await fakes.discord.requests({ account: bot.appId, method: "original" })).length
      return figures(target, connections, 1, result, worker.peakMemoryMb(), worker.problems, replies)
    }
    const refs = await createTelegramBots(worker, fakes.telegram, bots)
    await fakes.telegram.latency(API_LATENCY_MS)
    await warmEveryBot(refs)
    const urls = refs.map((r) => r.webhookUrl)
    const secrets = refs.map((r) => r.secret)
    const next = (seq: number): Shot => {
      const i = seq % refs.length
      return {
        url: urls[i] ?? "",
        headers: { "content-type": "application/json", [SECRET_HEADER]: secrets[i] ?? "" },
        body: telegramUpdate(seq + 1, 1 + (seq % CHATS), `ingest ${seq}`),
      }
    }
    if (profileTo !== undefined && worker.inspectorUrl) {
      const path = join(ctx.bundle.dir, ctx.bundle.main)
      const { result, summary } = await profiled(worker.inspectorUrl, path, profileTo, () => loop(next, worker.pid))
      const run = figures(target, connections, bots, result, worker.peakMemoryMb(), worker.problems, await sent(fakes))
      return { ...run, profile: summary }
    }
    const result = await loop(next, worker.pid)
    return figures(target, connections, bots, result, worker.peakMemoryMb(), worker.problems, await sent(fakes))
  } finally {
    await worker.dispose()
  }
}
