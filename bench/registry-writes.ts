// Registry writes (issue 15): how many D1 batches the registry takes from many active bots, before and after registry
// hubs, in one run. Each bot's object reports its numbers (hourly counts, queue depth, the people who wrote) to one of
// the hubs at most once per REGISTRY_FLUSH_MS (15 s in production); before hubs each such report was a D1 batch of its
// own, now each hub writes ONE batch per two thirds of that interval for all its bots. The hubs count both
// (`stats()`: reports received, batches written), so the run gives before (Σ reports) and after (Σ batches) at once.
//
// The shape: Telegram echo bots created through the API over several businesses; in each interval every bot gets one
// update, the posts spread evenly over the interval (so every bot has inbound and an outbound reply each interval);
// then the last reports and flushes. REGISTRY_FLUSH_MS is shortened to compress the run (7.5 s: 10 minutes of 15 s
// intervals in 5). Read at the end: the hubs' counters (RPC on their stubs through Miniflare's proxy), each bot's
// report count (GET /api/bots/:id/stats, `registryWrites`), what D1 holds (the rollups' sums, identities).
import { z } from "zod"
import { createTelegramBots, type FakesHandle, pool, SECRET_HEADER, spawnFakes, telegramUpdate } from "./api.ts"
import { API_LATENCY_MS, type BenchContext } from "./context.ts"
import { client, cpuSeconds } from "./load.ts"
import { type Extrapolated, extrapolate, PRODUCTION_FLUSH_MS } from "./registry-writes-report.ts"
import { percentile, round, sleep } from "./stats.ts"
import { type RunningWorker, startWorker } from "./worker.ts"

export interface RegistryWritesSizes {
  bots: number
  /** The bots are spread evenly over this many businesses. */
  businesses: number
  /** Intervals measured: each bot gets one update in each. */
  intervals: number
  /** REGISTRY_FLUSH_MS: the bots' coalescing interval (15,000 in production); hubs flush at two thirds of it. */
  flushMs: number
  /** REGISTRY_HUBS. */
  hubs: number
  /** Bots created through the API at a time. */
  createConcurrency: number
  /** Keep-alive connections the updates are posted over. */
  connections: number
  /** How long the last reports and flushes may take after the last interval. */
  drainDeadlineMs: number
}

/**
 * 1,000 active bots for 10 minutes of 15 s intervals (40), compressed 2x: 7.5 s intervals, 5 minutes, 133 updates/s.
 * Compressed 5x (3 s, 333 updates/s) this 2-core machine fell behind: 138 updates/s, the posts queued for minutes
 * (local workerd runs every object on one thread, here 4-5 CPU ms per update with its reply and report).
 */
export const fullRegistryWritesSizes: RegistryWritesSizes = {
  bots: 1000,
  businesses: 10,
  intervals: 40,
  flushMs: 7500,
  hubs: 16,
  createConcurrency: 8,
  connections: 32,
  drainDeadlineMs: 60_000,
}

export const smokeRegistryWritesSizes: RegistryWritesSizes = {
  bots: 20,
  businesses: 10,
  intervals: 3,
  flushMs: 600,
  hubs: 16,
  createConcurrency: 8,
  connections: 8,
  drainDeadlineMs: 20_000,
}

export interface HubTotals {
  /** Reports the hubs received from bots' objects: each one was a D1 batch of its own before hubs. */
  reports: number
  /** D1 batches the hubs wrote. */
  batches: number
  /** Facts the hubs wrote to D1 (a later report of the same hour, bot or chat replaces the earlier one). */
  facts: number
  /** Facts waiting for a hub's next flush. */
  pending: number
}

export interface RegistryWritesRun {
  bots: number
  businesses: number
  hubs: number
  intervals: number
  flushMs: number
  /** 15,000 / flushMs: how much faster than production the run's clock goes. */
  compression: number
  /** What the run stands for: intervals × 15 s. */
  representsMinutes: number
  /** intervals × flushMs: the posting window, wall clock. */
  windowMs: number
  createMs: number
  /** Updates posted (one per bot and interval), answered 2xx, and failed attempts (re-sent, as Telegram does). */
  posted: number
  accepted: number
  failedAttempts: number
  /** What the schedule asked (bots per interval) and what was achieved (2xx from the first post to the last). */
  scheduledPerSecond: number
  updatesPerSecond: number
  /** How far behind its slot each post left the bench (a machine that keeps up: a few ms). */
  lateP50Ms: number
  lateP99Ms: number
  lateMaxMs: number
  ackP50Ms: number
  ackP99Ms: number
  /** Echo replies the fake Telegram accepted, and those identical to an earlier one (a send repeated). */
  replies: number
  duplicateReplies: number
  /** From the first post to the hubs' counters at the end (Δ over the run; the bots' creation not counted). */
  before: number
  after: number
  /** before / after. */
  ratio: number
  facts: number
  pendingAtEnd: number
  /** Σ reports and Σ batches in each interval's window (each bot reports about once an interval). */
  reportsByInterval: number[]
  batchesByInterval: number[]
  /** From the window's sums: per second of wall clock, and per second at 15 s intervals (÷ compression). */
  beforePerSecond: number
  afterPerSecond: number
  beforePerSecondAt15s: number
  afterPerSecondAt15s: number
  /**
   * before / (bots × intervals): about 1 when every bot reported once an interval (a bot reports at most once per
   * interval, each report a little later than the last: over a run one fewer than the intervals is usual).
   */
  coverage: number
  /** Reports per bot over the run (its object's own count): min, median, max. */
  perBotMin: number
  perBotMedian: number
  perBotMax: number
  /** What D1 holds at the end: the rollups' inbound and outbound sums and rows, the people learned. */
  d1: { inbound: number; outbound: number; rollupRows: number; identities: number }
  /** From the last post's answer to the hubs holding nothing (and the bots' last reports in D1). */
  drainMs: number
  serverCores: number
  peakMemoryMb: number
  problems: string[]
  /** D1 batches/s before and after at 1,000, 10,000, 100,000 active bots (the arithmetic, not measured). */
  extrapolation: Extrapolated[]
}

const hubTotalsSchema = z.object({
  hubs: z.number(),
  reports: z.number(),
  batches: z.number(),
  facts: z.number(),
  pending: z.number(),
})

/**
 * Σ `stats()` over the hubs, from the bench-only route `GET /__bench/registry` (src/app.ts, with BENCH_BARE=1). Not
 * RPC on the stubs through Miniflare's proxy: that works, but its calls block this process's event loop
 * (Atomics.wait) until workerd answers, which under load held the posting schedule back by seconds.
 */
async function hubTotals(worker: RunningWorker, hubs: number): Promise<HubTotals> {
  const res = await fetch(`${worker.origin}/__bench/registry`)
  if (!res.ok) throw new Error(`GET /__bench/registry: ${res.status}`)
  const t = hubTotalsSchema.parse(await res.json())
  if (t.hubs !== hubs) throw new Error(`the worker runs ${t.hubs} registry hubs, not ${hubs}`)
  return { reports: t.reports, batches: t.batches, facts: t.facts, pending: t.pending }
}

const d1Schema = z.object({ inbound: z.number(), outbound: z.number(), rollupRows: z.number() })

async function d1Figures(worker: RunningWorker): Promise<RegistryWritesRun["d1"]> {
  const db = await worker.mf.getD1Database("DB")
  const sums = await db
    .prepare(
      "SELECT COALESCE(SUM(inbound), 0) AS inbound, COALESCE(SUM(outbound), 0) AS outbound, COUNT(*) AS rollupRows FROM bot_rollups",
    )
    .first()
  const people = await db.prepare("SELECT COUNT(*) AS n FROM contact_identities").first()
  return { ...d1Schema.parse(sums), identities: z.object({ n: z.number() }).parse(people).n }
}

const botStatsSchema = z.object({ registryWrites: z.number() })

/** Each bot's report count, from its object (GET /api/bots/:id/stats). */
async function reportsPerBot(worker: RunningWorker, bots: Bot[]): Promise<number[]> {
  return pool(bots, 8, async (bot) => {
    const res = await fetch(`${worker.origin}/api/bots/${bot.id}/stats`, {
      headers: { authorization: `Bearer ${worker.token(bot.business)}` },
    })
    if (!res.ok) throw new Error(`stats of ${bot.id}: ${res.status}`)
    return botStatsSchema.parse(await res.json()).registryWrites
  })
}

interface Bot {
  id: string
  business: string
  token: string
  secret: string
  webhookUrl: string
}

async function createBots(worker: RunningWorker, fakes: FakesHandle, sizes: RegistryWritesSizes): Promise<Bot[]> {
  const out: Bot[] = []
  for (let b = 0; b < sizes.businesses; b++) {
    const count =
      Math.floor(((b + 1) * sizes.bots) / sizes.businesses) - Math.floor((b * sizes.bots) / sizes.businesses)
    const business = `rw-${b}`
    const refs = await createTelegramBots(worker, fakes.telegram, count, business, sizes.createConcurrency)
    out.push(...refs.map((r) => ({ ...r, business })))
  }
  return out
}

/** Polls until `done` holds or the deadline passes; true if it held. */
async function until(deadline: number, everyMs: number, done: () => Promise<boolean>): Promise<boolean> {
  for (;;) {
    if (await done()) return true
    if (Date.now() > deadline) return false
    await sleep(everyMs)
  }
}

/** Waits until the hubs hold nothing and no report came for `quietMs` (the bots said all they had to say). */
async function quiet(worker: RunningWorker, hubs: number, quietMs: number, deadline: number): Promise<HubTotals> {
  let last = await hubTotals(worker, hubs)
  let since = Date.now()
  await until(deadline, Math.min(500, quietMs / 4), async () => {
    const now = await hubTotals(worker, hubs)
    if (now.reports !== last.reports || now.pending > 0) since = Date.now()
    last = now
    return now.pending === 0 && Date.now() - since >= quietMs
  })
  return last
}

export async function registryWritesRun(ctx: BenchContext, sizes: RegistryWritesSizes): Promise<RegistryWritesRun> {
  const F = sizes.flushMs
  const hubMs = Math.round((F * 10_000) / PRODUCTION_FLUSH_MS)
  const fakes = await spawnFakes(API_LATENCY_MS)
  const worker = await startWorker(ctx.bundle, {
    ...fakes,
    vars: { REGISTRY_FLUSH_MS: String(F), REGISTRY_HUBS: String(sizes.hubs) },
    businesses: Array.from({ length: sizes.businesses }, (_, b) => `rw-${b}`),
  })
  const http = client(sizes.connections)
  try {
    const created = performance.now()
    const bots = await createBots(worker, fakes, sizes)
    const createMs = Math.round(performance.now() - created)
    ctx.log(`registry-writes: ${bots.length} bots over ${sizes.businesses} businesses created in ${createMs} ms`)
    // Whatever creating them reported is flushed before the clock starts.
    const start = await quiet(worker, sizes.hubs, F + hubMs, Date.now() + sizes.drainDeadlineMs)
    const perBotStart = await reportsPerBot(worker, bots)

    // One update per bot and interval, bot i at i/bots of each interval; the hubs' sums at each interval's edge.
    const t0 = performance.now() + 200
    const edges: HubTotals[] = []
    const sampler = (async () => {
      for (let k = 0; k <= sizes.intervals; k++) {
        const wait = t0 + k * F - performance.now()
        if (wait > 0) await sleep(wait)
        edges.push(await hubTotals(worker, sizes.hubs))
      }
    })()
    const late: number[] = []
    const acks: number[] = []
    let failedAttempts = 0
    let lastAck = 0
    const deliver = async (bot: Bot, i: number, k: number) => {
      const body = telegramUpdate(k + 1, 700_000 + i, `b${i} i${k}`)
      const headers = { "content-type": "application/json", [SECRET_HEADER]: bot.secret }
      for (let attempt = 0; attempt < 5; attempt++) {
        const answer = await http.request("POST", bot.webhookUrl, headers, body)
        if (answer.status >= 200 && answer.status < 300) {
          acks.push(answer.ms)
          lastAck = Math.max(lastAck, performance.now())
          return true
        }
        failedAttempts++
        await sleep(1000 * 2 ** attempt) // Telegram re-sends a failed delivery, backing off
      }
      return false
    }
    const cpuAtStart = cpuSeconds(worker.pid)
    const sent: Promise<boolean>[] = []
    for (let k = 0; k < sizes.intervals; k++) {
      for (const [i, bot] of bots.entries()) {
        const due = t0 + k * F + (i * F) / bots.length
        const wait = due - performance.now()
        if (wait > 1) await sleep(wait)
        late.push(Math.max(0, performance.now() - due))
        sent.push(deliver(bot, i, k))
      }
    }
    const accepted = (await Promise.all(sent)).filter(Boolean).length
    await sampler
    const serverCpuS = cpuSeconds(worker.pid) - cpuAtStart
    const elapsedS = (performance.now() - t0) / 1000
    const windowMs = sizes.intervals * F

    // The last replies' counts reach the bots' last reports, then the hubs' last flushes: until the hubs are quiet
    // and D1 has every update and reply counted (or the deadline).
    const drained = performance.now()
    const drainDeadline = Date.now() + sizes.drainDeadlineMs
    let end = await quiet(worker, sizes.hubs, F + hubMs, drainDeadline)
    let d1 = await d1Figures(worker)
    while ((d1.inbound < accepted || d1.outbound < accepted) && Date.now() < drainDeadline) {
      await sleep(1000)
      end = await quiet(worker, sizes.hubs, F + hubMs, drainDeadline)
      d1 = await d1Figures(worker)
    }
    const drainMs = Math.round(performance.now() - drained)
    const perBot = (await reportsPerBot(worker, bots)).map((n, i) => n - (perBotStart[i] ?? 0))
    const fake = await pool(bots, 16, (bot) => fakes.telegram.stats(bot.token))
    const replies = fake.reduce((n, s) => n + s.accepted, 0)
    const duplicateReplies = fake.reduce((n, s) => n + s.duplicates, 0)

    const before = end.reports - start.reports
    const after = end.batches - start.batches
    const deltas = (key: "reports" | "batches") =>
      edges.slice(1).map((e, k) => e[key] - (edges[k]?.[key] ?? Number.NaN))
    const reportsByInterval = deltas("reports")
    const batchesByInterval = deltas("batches")
    const sum = (xs: number[]) => xs.reduce((n, x) => n + x, 0)
    const compression = PRODUCTION_FLUSH_MS / F
    const seconds = windowMs / 1000
    const sorted = [...perBot].sort((a, b) => a - b)
    const postingS = (lastAck - t0) / 1000
    return {
      bots: bots.length,
      businesses: sizes.businesses,
      hubs: sizes.hubs,
      intervals: sizes.intervals,
      flushMs: F,
      compression: round(compression, 2),
      representsMinutes: round((sizes.intervals * PRODUCTION_FLUSH_MS) / 60_000, 2),
      windowMs,
      createMs,
      posted: bots.length * sizes.intervals,
      accepted,
      failedAttempts,
      scheduledPerSecond: round(bots.length / (F / 1000), 1),
      updatesPerSecond: round(accepted / postingS, 1),
      lateP50Ms: round(percentile(late, 50), 1),
      lateP99Ms: round(percentile(late, 99), 1),
      lateMaxMs: round(Math.max(...late), 1),
      ackP50Ms: round(percentile(acks, 50), 1),
      ackP99Ms: round(percentile(acks, 99), 1),
      replies,
      duplicateReplies,
      before,
      after,
      ratio: round(before / after, 1),
      coverage: round(before / (bots.length * sizes.intervals), 3),
      facts: end.facts - start.facts,
      pendingAtEnd: end.pending,
      reportsByInterval,
      batchesByInterval,
      beforePerSecond: round(sum(reportsByInterval) / seconds, 2),
      afterPerSecond: round(sum(batchesByInterval) / seconds, 2),
      beforePerSecondAt15s: round(sum(reportsByInterval) / seconds / compression, 2),
      afterPerSecondAt15s: round(sum(batchesByInterval) / seconds / compression, 2),
      perBotMin: sorted[0] ?? 0,
      perBotMedian: sorted[Math.floor(sorted.length / 2)] ?? 0,
      perBotMax: sorted.at(-1) ?? 0,
      d1,
      drainMs,
      serverCores: round(serverCpuS / elapsedS, 2),
      peakMemoryMb: round(worker.peakMemoryMb(), 1),
      problems: worker.problems.slice(0, 5),
      extrapolation: extrapolate(sizes.hubs),
    }
  } finally {
    http.close()
    await worker.dispose()
    await fakes.close()
  }
}
