// Reply latency at light load (issue 17): 10 bots, 5 chats each, every chat writing about once a second, the fake's
// 100 ms latency and Telegram's limits enforced (none is reached). Per update: the time from the bench starting its
// POST to the fake Telegram receiving the sendMessage that answers it. Switchboard (stores, answers 200, replies from
// the bot's alarm) and grammY on Node (replies inside the webhook request) take the same schedule in the same run,
// each with its own server and fakes processes, their posts interleaved half a slot apart.
import { randomTelegramToken } from "../test/fakes/client.ts"
import type { RecordedRequest } from "../test/fakes/types.ts"
import {
  createTelegramBots,
  type FakesHandle,
  SECRET_HEADER,
  spawnFakes,
  startGrammyPeer,
  telegramUpdate,
} from "./api.ts"
import { API_LATENCY_MS, type BenchContext, telegramLimits } from "./context.ts"
import { client, cpuSeconds } from "./load.ts"
import { percentile, round, sleep } from "./stats.ts"
import { startWorker } from "./worker.ts"

export interface LatencySizes {
  bots: number
  chatsPerBot: number
  updatesPerChat: number
  /**
   * The gap between two updates of one chat. Not 1,000: the pacer keeps a chat's sends Telegram's 1 s plus a 50 ms
   * margin apart (src/bot/pacer.ts), so a chat writing exactly every second has each reply wait 50 ms longer than
   * the one before; at 1,100 no limit, Telegram's or the pacer's, is reached.
   */
  chatIntervalMs: number
  /** After the last post, how long to wait for the last reply. */
  deadlineMs: number
}

/** 50 chats × 36 updates at 1.1 s: 40 s, 1,800 updates per target (45 a second). */
export const fullLatencySizes: LatencySizes = {
  bots: 10,
  chatsPerBot: 5,
  updatesPerChat: 36,
  chatIntervalMs: 1100,
  deadlineMs: 30_000,
}
export const smokeLatencySizes: LatencySizes = {
  bots: 2,
  chatsPerBot: 2,
  updatesPerChat: 2,
  chatIntervalMs: 1100,
  deadlineMs: 10_000,
}

export type LatencyTarget = "router" | "grammy"

export interface LatencyRun {
  target: LatencyTarget
  updates: number
  /** Updates whose reply the fake accepted. */
  replies: number
  /** Updates with no accepted reply by the deadline. */
  lost: number
  /** Accepted replies beyond one per update. */
  duplicated: number
  /** Posts answered non-2xx (not re-sent: a latency run, not a delivery run). */
  failedPosts: number
  /** Sends the fake refused for Telegram's limits (none expected at this load). */
  rejected429: number
  /** From the POST's start to the fake receiving the reply's sendMessage (both Date.now() on this machine). */
  p50Ms: number
  p90Ms: number
  p99Ms: number
  minMs: number
  maxMs: number
  /** The posts' time to 2xx (grammY's includes its reply's round trip to the fake: it replies inside the request). */
  ackP50Ms: number
  ackP99Ms: number
  /** How late posts left against their schedule. */
  lateP99Ms: number
  /** CPU cores the serving process used over the posting window. */
  serverCores: number
  peakMemoryMb: number
  problems: string[]
}

interface Prepared {
  target: LatencyTarget
  fakes: FakesHandle
  bots: { url: string; secret: string; token: string }[]
  pid: number
  memory: () => number
  problems: string[]
  stop: () => Promise<void>
}

interface Post {
  prepared: Prepared
  bot: number
  chat: number
  text: string
  due: number
  postedAt: number
  ackMs: number
  ok: boolean
  late: number
}

const CHAT_BASE = 20_000

/** A server with its bots, on its own fakes (setup at full speed), then the platform's latency and limits. */
async function prepare(ctx: BenchContext, target: LatencyTarget, sizes: LatencySizes): Promise<Prepared> {
  const fakes = await spawnFakes(0)
  let prepared: Prepared
  if (target === "router") {
    const worker = await startWorker(ctx.bundle, fakes)
    const refs = await createTelegramBots(worker, fakes.telegram, sizes.bots)
    prepared = {
      target,
      fakes,
      bots: refs.map((r) => ({ url: r.webhookUrl, secret: r.secret, token: r.token })),
      pid: worker.pid,
      memory: () => worker.peakMemoryMb(),
      problems: worker.problems,
      stop: () => worker.dispose(),
    }
  } else {
    const tokens = Array.from({ length: sizes.bots }, randomTelegramToken)
    const secret = "bench-secret-token"
    const peer = await startGrammyPeer({ apiRoot: fakes.telegramApiBase, tokens, secret, autoRetry: true })
    prepared = {
      target,
      fakes,
      bots: tokens.map((token, i) => ({ url: `${peer.origin}/${i}`, secret, token })),
      pid: peer.pid,
      memory: () => peer.peakMemoryMb(),
      problems: [],
      stop: () => peer.stop(),
    }
  }
  const limits = { ...telegramLimits, perSecond: ctx.sizes.pacing.telegramPerSecond }
  await fakes.telegram.latency(API_LATENCY_MS)
  await Promise.all(prepared.bots.map((b) => fakes.telegram.limits({ account: b.token, ...limits })))
  return prepared
}

const headers = (secret: string) => ({ "content-type": "application/json", [SECRET_HEADER]: secret })

/** One update per bot in a chat of its own before the clock (the object unseals its secrets, the code is compiled). */
async function warmUp(p: Prepared): Promise<void> {
  const http = client(4)
  for (const [i, b] of p.bots.entries()) {
    const answer = await http.request("POST", b.url, headers(b.secret), telegramUpdate(1_000_000 + i, 1, "warm-up"))
    if (answer.status < 200 || answer.status >= 300) throw new Error(`latency warm-up: ${p.target} ${answer.status}`)
  }
  http.close()
}

/** The replies' first accepted arrival per (chat, text), and how many more were accepted. */
function arrivals(requests: RecordedRequest[]): { first: Map<string, number>; extra: number } {
  const first = new Map<string, number>()
  let extra = 0
  for (const r of requests) {
    if (r.outcome !== "ok" || typeof r.body !== "object" || r.body === null) continue
    const key = `${String(Reflect.get(r.body, "chat_id"))}\u0000${String(Reflect.get(r.body, "text"))}`
    const seen = first.get(key)
    if (seen === undefined) first.set(key, r.at)
    else extra++
  }
  return { first, extra }
}

async function figures(p: Prepared, posts: Post[], windowS: number, cpuS: number): Promise<LatencyRun> {
  const mine = posts.filter((x) => x.prepared === p)
  let extra = 0
  let rejected429 = 0
  const latencies: number[] = []
  for (const [i, b] of p.bots.entries()) {
    const { first, extra: more } = arrivals(
      await p.fakes.telegram.requests({ account: b.token, method: "sendMessage" }),
    )
    extra += more
    rejected429 += (await p.fakes.telegram.stats(b.token)).rejected429
    for (const x of mine.filter((x) => x.bot === i)) {
      const at = first.get(`${x.chat}\u0000${x.text}`)
      if (at !== undefined) latencies.push(at - x.postedAt)
    }
  }
  const acks = mine.filter((x) => x.ok).map((x) => x.ackMs)
  return {
    target: p.target,
    updates: mine.length,
    replies: latencies.length,
    lost: mine.length - latencies.length,
    duplicated: extra,
    failedPosts: mine.filter((x) => !x.ok).length,
    rejected429,
    p50Ms: round(percentile(latencies, 50), 1),
    p90Ms: round(percentile(latencies, 90), 1),
    p99Ms: round(percentile(latencies, 99), 1),
    minMs: latencies.length > 0 ? Math.min(...latencies) : Number.NaN,
    maxMs: latencies.length > 0 ? Math.max(...latencies) : Number.NaN,
    ackP50Ms: round(percentile(acks, 50), 1),
    ackP99Ms: round(percentile(acks, 99), 1),
    lateP99Ms: round(
      percentile(
        mine.map((x) => x.late),
        99,
      ),
      1,
    ),
    serverCores: round(cpuS / windowS),
    peakMemoryMb: round(p.memory(), 1),
    problems: p.problems.slice(0, 5),
  }
}

/**
 * Both targets on one schedule: chat j of all 50 at j slots (a slot = the chat interval / 50), every chat again
 * after `chatIntervalMs`; grammY's posts half a slot after ours.
 */
export async function latencyRuns(ctx: BenchContext, sizes: LatencySizes): Promise<LatencyRun[]> {
  const prepared: Prepared[] = []
  try {
    for (const target of ["router", "grammy"] as const) prepared.push(await prepare(ctx, target, sizes))
    for (const p of prepared) await warmUp(p)
    await sleep(API_LATENCY_MS + 300) // the warm-up replies are out of the way
    const chats = sizes.bots * sizes.chatsPerBot
    const slot = sizes.chatIntervalMs / chats
    const start = Date.now() + 200
    const posts: Post[] = []
    for (let k = 0; k < sizes.updatesPerChat; k++)
      for (let j = 0; j < chats; j++)
        for (const [t, p] of prepared.entries()) {
          // Bots take turns: one bot's updates come bots slots apart (220 ms), never within its pacer's bot-wide
          // spacing (1,000 / (30 × 0.97) = 34 ms), which would make the later replies of a burst wait for their slot.
          const bot = j % sizes.bots
          const chat = CHAT_BASE + Math.floor(j / sizes.bots)
          const due = start + k * sizes.chatIntervalMs + j * slot + (t * slot) / 2
          const text = `${p.target} b${bot} c${chat} m${k + 1}`
          posts.push({ prepared: p, bot, chat, text, due, postedAt: 0, ackMs: 0, ok: false, late: 0 })
        }
    const clients = new Map(prepared.map((p) => [p, client(chats)]))
    const cpuAtStart = prepared.map((p) => cpuSeconds(p.pid))
    const inFlight: Promise<void>[] = []
    for (const [seq, x] of posts.entries()) {
      const wait = x.due - Date.now()
      if (wait > 0) await sleep(wait)
      const b = x.prepared.bots[x.bot]
      const http = clients.get(x.prepared)
      if (!b || !http) continue
      x.postedAt = Date.now()
      x.late = Math.max(0, x.postedAt - x.due)
      const body = telegramUpdate(seq + 1, x.chat, x.text)
      inFlight.push(
        http.request("POST", b.url, headers(b.secret), body).then((answer) => {
          x.ackMs = answer.ms
          x.ok = answer.status >= 200 && answer.status < 300
        }),
      )
    }
    await Promise.all(inFlight)
    const windowS = (Date.now() - start) / 1000
    const cpuS = prepared.map((p, i) => cpuSeconds(p.pid) - (cpuAtStart[i] ?? Number.NaN))
    for (const http of clients.values()) http.close()
    // Every update's reply accepted (the warm-ups' too), or the deadline.
    const deadline = Date.now() + sizes.deadlineMs
    for (const p of prepared) {
      const expected = posts.filter((x) => x.prepared === p).length + p.bots.length
      for (;;) {
        const stats = await Promise.all(p.bots.map((b) => p.fakes.telegram.stats(b.token)))
        if (stats.reduce((n, s) => n + s.accepted, 0) >= expected || Date.now() > deadline) break
        await sleep(100)
      }
    }
    await sleep(API_LATENCY_MS + 100) // the fake records an outcome once its latency has passed
    return await Promise.all(prepared.map((p, i) => figures(p, posts, windowS, cpuS[i] ?? Number.NaN)))
  } finally {
    for (const p of prepared) {
      await p.stop()
      await p.fakes.close()
    }
  }
}
