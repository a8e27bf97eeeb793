// Queue heads: what choosing the next sendable messages costs at a small and a large queue, the head index
// (src/bot/queue-heads.ts, through Outbox.heads) against the query it replaced (a correlated MIN per chat over the
// outbox), in the same workerd and the same run. bench/queue-heads-worker.js holds the queues: two Durable Objects
// with the bot's schema, filled through Outbox.enqueue. Each sample is one request that runs one way K times;
// timed from here (workerd's clock is not for timing inside a call) minus an empty call's time, divided by K.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { build } from "esbuild"
import type { BenchContext } from "./context.ts"
import { type Client, client } from "./load.ts"
import { percentile, round } from "./stats.ts"
import { type Bundle, root, startWorker } from "./worker.ts"

export interface QueueHeadsSizes {
  /** Messages queued in the small and the large queue (over half as many chats: two per chat). */
  small: number
  large: number
  rounds: number
  /** Timed requests per way, size and round (the round's figure is their median). */
  samples: number
  /** Messages chosen per call, as the drain asks (HEADS_BATCH). */
  limit: number
  /** Chats with a send in flight (left out of both ways' choice). */
  inFlight: number
  /** About how long one timed request runs (K calls), so the request's own cost is small beside it. */
  sampleMs: number
}

export const fullQueueHeadsSizes: QueueHeadsSizes = {
  small: 1_000,
  large: 100_000,
  rounds: 5,
  samples: 9,
  limit: 100,
  inFlight: 100,
  sampleMs: 40,
}

export const smokeQueueHeadsSizes: QueueHeadsSizes = {
  small: 100,
  large: 1_000,
  rounds: 3,
  samples: 3,
  limit: 100,
  inFlight: 10,
  // Long enough that an empty request's jitter (about a millisecond) can't outweigh the calls being timed.
  sampleMs: 20,
}

/** `heads`: Outbox.heads (the index's pick, then the rows); `pick`: the index alone; `old`: the query it replaced. */
export const ways = ["heads", "pick", "old"] as const
export type Way = (typeof ways)[number]
/** One figure per way: µs per call, or calls per sample, or rows chosen. */
export type PerWay = Record<Way, number>

export interface QueueDepth {
  messages: number
  queued: number
  sending: number
  chats: number
  /** Rows of the head index: chats whose oldest open message waits. */
  heads: number
}

export interface QueueHeadsSetup {
  small: QueueDepth
  large: QueueDepth
  /** Filling the large queue through Outbox.enqueue. */
  fillMs: number
  /** K: calls per timed request, set once from a first timing. */
  callsPerSample: { small: PerWay; large: PerWay }
  /** Messages each way chose in one call (the limit, when alive). */
  picked: { small: PerWay; large: PerWay }
  peakMemoryMb: number
}

export interface QueueHeadsRound {
  /** Median µs per call over the round's samples. */
  small: PerWay
  large: PerWay
  /** The median time of an empty request, taken away from every sample. */
  callMs: number
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v)
}

/** bench/queue-heads-worker.js bundled with esbuild (as the floor worker is), with the main bundle's settings. */
export async function buildQueueHeadsBundle(main: Bundle): Promise<Bundle> {
  const outdir = mkdtempSync(join(tmpdir(), "switchboard-bench-heads-"))
  await build({
    entryPoints: [join(root, "bench", "queue-heads-worker.js")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    external: ["cloudflare:*"],
    outfile: join(outdir, "heads.js"),
    logLevel: "warning",
  })
  return {
    ...main,
    dir: outdir,
    main: "heads.js",
    durableObjects: { HEADS: { className: "HeadsBench", useSQLite: true } },
    registry: false,
    cleanup: () => rmSync(outdir, { recursive: true, force: true }),
  }
}

export interface QueueHeadsResult {
  setup: QueueHeadsSetup
  runs: QueueHeadsRound[]
}

/** One workerd, both queues filled once, then `rounds` rounds timing every way on both, sizes in alternating order. */
export async function queueHeadsRuns(ctx: BenchContext, sizes: QueueHeadsSizes): Promise<QueueHeadsResult> {
  const bundle = await buildQueueHeadsBundle(ctx.bundle)
  // No platform is called: the API bases point nowhere.
  const worker = await startWorker(bundle, {
    telegramApiBase: "http://127.0.0.1:9",
    whatsappApiBase: "http://127.0.0.1:9",
  })
  const http: Client = client(1)
  const names = { small: `q${sizes.small}`, large: `q${sizes.large}` } as const
  const post = async (name: string, op: string, params: unknown): Promise<{ ms: number; body: unknown }> => {
    const res = await http.request(
      "POST",
      `${worker.origin}/heads/${name}/${op}`,
      { "content-type": "application/json" },
      JSON.stringify(params),
    )
    if (res.status !== 200) throw new Error(`queue-heads ${op}: ${res.status} ${res.body.slice(0, 300)}`)
    return { ms: res.ms, body: JSON.parse(res.body) }
  }
  const depth = (body: unknown): QueueDepth => {
    const n = (k: string) => (isRecord(body) && typeof body[k] === "number" ? body[k] : Number.NaN)
    return { messages: n("messages"), queued: n("queued"), sending: n("sending"), chats: n("chats"), heads: n("heads") }
  }
  try {
    // Filled at `t0`, chosen at a `now` when every message is due except the paced chats' (ready a minute later).
    const t0 = Date.now()
    const now = t0 + sizes.large + 1_000
    const pacedUntil = now + 60_000
    const fill = async (name: string, n: number) => {
      const started = performance.now()
      for (let from = 0; from < n; from += 10_000)
        await post(name, "fill", { n, from, to: Math.min(n, from + 10_000), now: t0, pacedUntil })
      const ms = performance.now() - started
      return { ms, depth: depth((await post(name, "inFlight", { count: sizes.inFlight, now })).body) }
    }
    const small = await fill(names.small, sizes.small)
    const large = await fill(names.large, sizes.large)
    ctx.log(
      `queue-heads: ${large.depth.messages} messages over ${large.depth.chats} chats filled in ${Math.round(large.ms)} ms; ${large.depth.heads} heads, ${large.depth.sending} in flight`,
    )
    const time = (name: string, way: Way | "none", calls: number) =>
      post(name, "time", { way, calls, now, limit: sizes.limit })
    const count = (body: unknown) => (isRecord(body) && typeof body.count === "number" ? body.count : 0)

    // Warm-up (JIT, SQLite's page cache), the empty call's cost, then K per way and size from one timing.
    const callsPerSample = { small: { heads: 1, pick: 1, old: 1 }, large: { heads: 1, pick: 1, old: 1 } }
    const picked = { small: { heads: 0, pick: 0, old: 0 }, large: { heads: 0, pick: 0, old: 0 } }
    const emptyMs = async (n: number) => {
      const ms: number[] = []
      for (let i = 0; i < n; i++) ms.push((await time(names.small, "none", 1)).ms)
      return percentile(ms, 50)
    }
    for (let i = 0; i < 20; i++) await time(names.small, "none", 1)
    const overhead = await emptyMs(sizes.samples)
    for (const size of ["small", "large"] as const) {
      for (const way of ways) {
        for (let i = 0; i < 3; i++) await time(names[size], way, 3)
        const one = await time(names[size], way, 5)
        picked[size][way] = count(one.body)
        const perCall = Math.max(0.002, (one.ms - overhead) / 5)
        callsPerSample[size][way] = Math.max(1, Math.min(5_000, Math.round(sizes.sampleMs / perCall)))
      }
    }

    const runs: QueueHeadsRound[] = []
    for (let round_ = 1; round_ <= sizes.rounds; round_++) {
      const callMs = await emptyMs(sizes.samples)
      const figures = { small: { heads: 0, pick: 0, old: 0 }, large: { heads: 0, pick: 0, old: 0 } }
      const order = round_ % 2 === 1 ? (["small", "large"] as const) : (["large", "small"] as const)
      for (const size of order) {
        for (const way of ways) {
          const k = callsPerSample[size][way]
          const us: number[] = []
          for (let s = 0; s < sizes.samples; s++) us.push((((await time(names[size], way, k)).ms - callMs) / k) * 1000)
          figures[size][way] = round(percentile(us, 50), 1)
        }
      }
      const run = { small: figures.small, large: figures.large, callMs: round(callMs, 3) }
      ctx.log(
        `queue-heads round ${round_}: heads ${run.small.heads} → ${run.large.heads} µs, old query ${run.small.old} → ${run.large.old} µs (${sizes.small} → ${sizes.large} queued)`,
      )
      runs.push(run)
    }
    return {
      setup: {
        small: small.depth,
        large: large.depth,
        fillMs: Math.round(large.ms),
        callsPerSample,
        picked,
        peakMemoryMb: round(worker.peakMemoryMb(), 1),
      },
      runs,
    }
  } finally {
    http.close()
    await worker.dispose()
    bundle.cleanup()
  }
}
