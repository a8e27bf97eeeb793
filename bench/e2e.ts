// End to end: a burst of Telegram updates over many bots and chats, delivered as Telegram would, until every echo
// reply has reached the fake Telegram. Checks that no reply is lost or duplicated and that each chat's order holds.
import { join } from "node:path"
import { randomTelegramToken } from "../test/fakes/client.ts"
import type { RecordedRequest } from "../test/fakes/types.ts"
import { createTelegramBots, SECRET_HEADER, spawnFakes, startGrammyPeer, telegramUpdate } from "./api.ts"
import { API_LATENCY_MS, type BenchContext, telegramLimits } from "./context.ts"
import { cpuSeconds, type DeliveryBot, deliverLikeTelegram } from "./load.ts"
import { profiled } from "./profile.ts"
import { percentile, round, sleep } from "./stats.ts"
import { startWorker } from "./worker.ts"

/** The same burst's webhooks against the floor worker (--floor): the runtime's own time to 2xx for this delivery. */
export interface E2eAckFloorRun {
  delivered: number
  failedDeliveries: number
  ackP50Ms: number
  ackP99Ms: number
}

/** `grammy-unlimited`: the fake enforces no limits, so grammY sends as fast as it likes (a reference, not a target). */
export type E2eTarget = "router" | "grammy" | "grammy-unlimited"

export interface E2eRun {
  target: E2eTarget
  updates: number
  replies: number
  lost: number
  duplicated: number
  /** Chats whose replies reached the fake out of the order their updates were sent in. */
  outOfOrderChats: number
  timeToLastReplyMs: number
  repliesPerSecond: number
  /** Sends the fake refused with 429 (its limits: Telegram's published ones). */
  rejected429: number
  /** Webhook deliveries answered non-2xx (redelivered, as Telegram does). */
  failedDeliveries: number
  /** Time-to-200 of the webhook deliveries. */
  ackP50Ms: number
  ackP99Ms: number
  peakMemoryMb: number
  /** CPU seconds the serving process used from the first update to the last reply. */
  serverCpuS: number
  problems: string[]
}

interface Endpoint {
  url: string
  secret: string
  token: string
}

const textOf = (chat: number, k: number) => `c${chat} m${k}`

/** One bot's share of the burst: per chat, its updates in the order Telegram must deliver them. */
function burstChats({ chatsPerBot, updatesPerChat }: BenchContext["sizes"]["e2e"]): string[][] {
  return Array.from({ length: chatsPerBot }, (_, c) =>
    Array.from({ length: updatesPerChat }, (_, k) =>
      telegramUpdate(c * updatesPerChat + k + 1, 10_000 + c, textOf(10_000 + c, k + 1)),
    ),
  )
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v)
}

/** Counts accepted replies per chat and checks them against what was sent, in arrival order. */
function check(requests: RecordedRequest[], chats: number, perChat: number) {
  const seen = new Map<string, number[]>()
  let accepted = 0
  let last = 0
  for (const r of requests) {
    if (r.outcome !== "ok" || !isRecord(r.body)) continue
    const m = /^c(\d+) m(\d+)$/.exec(String(r.body.text))
    if (!m) continue
    accepted++
    last = Math.max(last, r.at)
    const list = seen.get(String(r.body.chat_id)) ?? []
    list.push(Number(m[2]))
    seen.set(String(r.body.chat_id), list)
  }
  let distinct = 0
  let outOfOrder = 0
  for (const list of seen.values()) {
    const unique = [...new Set(list)]
    distinct += unique.length
    if (unique.some((k, i) => i > 0 && k < (unique[i - 1] ?? 0))) outOfOrder++
  }
  return { accepted, distinct, outOfOrder, last, expected: chats * perChat }
}

/**
 * One run: fresh server process, fresh fakes process, fresh bots, the whole burst, then the replies read back from the
 * fake. Shares nothing with other runs, so runs may overlap.
 */
export async function e2eRun(ctx: BenchContext, target: E2eTarget): Promise<E2eRun> {
  const { bots, chatsPerBot, updatesPerChat, maxConnections, deadlineMs } = ctx.sizes.e2e
  const fakes = await spawnFakes(API_LATENCY_MS)
  let endpoints: Endpoint[]
  let memory: () => number
  let pid: number
  let problems: string[] = []
  let stop: () => Promise<void>
  let inspectorUrl: string | undefined
  const bundlePath = join(ctx.bundle.dir, ctx.bundle.main)
  if (target === "router") {
    const worker = await startWorker(ctx.bundle, { ...fakes, inspect: process.env.BENCH_E2E_PROFILE !== undefined })
    const refs = await createTelegramBots(worker, fakes.telegram, bots)
    endpoints = refs.map((r) => ({ url: r.webhookUrl, secret: r.secret, token: r.token }))
    memory = () => worker.peakMemoryMb()
    pid = worker.pid
    inspectorUrl = worker.inspectorUrl
    problems = worker.problems
    stop = () => worker.dispose()
  } else {
    const tokens = Array.from({ length: bots }, randomTelegramToken)
    const secret = "bench-secret-token"
    const peer = await startGrammyPeer({
      apiRoot: fakes.telegramApiBase,
      tokens,
      secret,
      autoRetry: target === "grammy",
    })
    endpoints = tokens.map((token, i) => ({ url: `${peer.origin}/${i}`, secret, token }))
    memory = () => peer.peakMemoryMb()
    pid = peer.pid
    stop = () => peer.stop()
  }
  try {
    const limits =
      target === "grammy-unlimited" ? {} : { ...telegramLimits, perSecond: ctx.sizes.pacing.telegramPerSecond }
    await Promise.all(endpoints.map((e) => fakes.telegram.limits({ account: e.token, ...limits })))
    const delivery: DeliveryBot[] = endpoints.map((e) => ({
      url: e.url,
      headers: { "content-type": "application/json", [SECRET_HEADER]: e.secret },
      chats: burstChats(ctx.sizes.e2e),
    }))
    const expected = bots * chatsPerBot * updatesPerChat
    const started = Date.now()
    const cpuAtStart = cpuSeconds(pid)
    const deadline = started + deadlineMs
    const delivered = deliverLikeTelegram(delivery, maxConnections, deadline)
    // Wait for the last reply: the fake's accepted count, polled.
    const waitForLast = async () => {
      for (;;) {
        const stats = await Promise.all(endpoints.map((e) => fakes.telegram.stats(e.token)))
        if (stats.reduce((n, s) => n + s.accepted, 0) >= expected || Date.now() > deadline) break
        await sleep(200)
      }
    }
    const profileTo = process.env.BENCH_E2E_PROFILE
    if (profileTo && inspectorUrl) await profiled(inspectorUrl, bundlePath, profileTo, waitForLast)
    else await waitForLast()
    const serverCpuS = cpuSeconds(pid) - cpuAtStart
    const acks = await delivered
    await sleep(API_LATENCY_MS + 100) // the fake records an outcome once its latency has passed
    const perBot = await Promise.all(
      endpoints.map(async (e) => ({
        checked: check(
          await fakes.telegram.requests({ account: e.token, method: "sendMessage" }),
          chatsPerBot,
          updatesPerChat,
        ),
        stats: await fakes.telegram.stats(e.token),
      })),
    )
    if (process.env.BENCH_E2E_TIMELINE === "1" && target === "router") {
      for (const e of endpoints) {
        const reqs = await fakes.telegram.requests({ account: e.token, method: "sendMessage" })
        const ok = reqs.filter((r) => r.outcome === "ok").map((r) => r.at - started)
        const chatOf = (r: RecordedRequest) => (isRecord(r.body) ? String(r.body.chat_id) : "")
        const rej = reqs
          .filter((r) => r.outcome === 429)
          .map((r) => {
            const prior = reqs.filter((q) => q.outcome === "ok" && q.at <= r.at && q.at > r.at - 1000)
            const sameChat = prior.filter((q) => chatOf(q) === chatOf(r)).map((q) => r.at - q.at)
            return `${r.at - started}:${sameChat.length > 0 ? `chat(${sameChat.join("/")}ms)` : `bot(${prior.length})`}`
          })
        const perSec = Array.from(
          { length: Math.ceil(Math.max(...ok) / 1000) },
          (_, i) => ok.filter((t) => t >= i * 1000 && t < (i + 1) * 1000).length,
        )
        console.error(
          `TIMELINE first=${Math.min(...ok)} last=${Math.max(...ok)} 429at=${JSON.stringify(rej)} perSec=${perSec.join(",")}`,
        )
      }
      // Acknowledgements by the second they were posted in: how many, and their p50 / p99 / max.
      const bySecond = new Map<number, number[]>()
      // Acks over a second, per bot: whether one bot's batch was held up as a whole (as in the runtime's own floor).
      const slow = new Map<number, number[]>()
      const add = (m: Map<number, number[]>, key: number, ms: number) => {
        const list = m.get(key)
        if (list) list.push(ms)
        else m.set(key, [ms])
      }
      for (const [i, ms] of acks.latencies.entries()) {
        add(bySecond, Math.floor(((acks.postedAt[i] ?? started) - started) / 1000), ms)
        if (ms > 1000) add(slow, acks.botOf[i] ?? -1, ms)
      }
      console.error(
        `ACKS over 1 s: ${[...slow].map(([bot, list]) => `bot ${bot}: ${list.length} (max ${Math.round(Math.max(...list))} ms)`).join(", ") || "none"}`,
      )
      for (const [second, list] of [...bySecond].sort((a, b) => a[0] - b[0]))
        console.error(
          `ACKS s=${second} n=${list.length} p50=${round(percentile(list, 50))} p99=${round(percentile(list, 99))} max=${round(Math.max(...list))}`,
        )
    }
    const sum = (f: (x: (typeof perBot)[number]) => number) => perBot.reduce((n, x) => n + f(x), 0)
    const distinct = sum((x) => x.checked.distinct)
    const accepted = sum((x) => x.checked.accepted)
    const last = Math.max(...perBot.map((x) => x.checked.last))
    const elapsed = last > 0 ? last - started : Number.NaN
    return {
      target,
      updates: expected,
      replies: accepted,
      lost: expected - distinct,
      duplicated: accepted - distinct,
      outOfOrderChats: sum((x) => x.checked.outOfOrder),
      timeToLastReplyMs: Math.round(elapsed),
      repliesPerSecond: round(distinct / (elapsed / 1000), 1),
      rejected429: sum((x) => x.stats.rejected429),
      failedDeliveries: acks.failedAttempts,
      ackP50Ms: round(percentile(acks.latencies, 50)),
      ackP99Ms: round(percentile(acks.latencies, 99)),
      peakMemoryMb: round(memory(), 1),
      serverCpuS: round(serverCpuS, 1),
      problems: problems.slice(0, 5),
    }
  } finally {
    await stop()
    await fakes.close()
  }
}

/**
 * The end-to-end burst's webhooks, delivered the same way (`maxConnections` per bot, a chat's next update after its
 * previous 2xx), against the floor worker: a route, one Durable Object per bot, one insert through the same group
 * commit, no handler and no reply. What the runtime itself takes to answer this delivery on this machine, alone.
 */
export async function e2eAckFloor(ctx: BenchContext): Promise<E2eAckFloorRun> {
  if (!ctx.floorBundle) throw new Error("the end-to-end ack floor needs --floor (its bundle)")
  const { bots, maxConnections, deadlineMs } = ctx.sizes.e2e
  const fakes = await spawnFakes(API_LATENCY_MS)
  const worker = await startWorker(ctx.floorBundle, fakes)
  try {
    const delivery: DeliveryBot[] = Array.from({ length: bots }, (_, b) => ({
      url: `${worker.origin}/floor/e2e-${b}`,
      headers: { "content-type": "application/json" },
      chats: burstChats(ctx.sizes.e2e),
    }))
    const acks = await deliverLikeTelegram(delivery, maxConnections, Date.now() + deadlineMs)
    return {
      delivered: acks.delivered,
      failedDeliveries: acks.failedAttempts,
      ackP50Ms: round(percentile(acks.latencies, 50)),
      ackP99Ms: round(percentile(acks.latencies, 99)),
    }
  } finally {
    await worker.dispose()
    await fakes.close()
  }
}
