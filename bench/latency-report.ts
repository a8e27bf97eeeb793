// What issue 17's figures become: the reply-latency and cold-bot sections of the printed table (10 and 11), the
// extra lines of sections 2 and 4 (the end-to-end run's time to 2xx, the 200-bot CPU against the floor worker with
// and without handlers), and the targets of the issue.
import type { ColdRun, ColdSizes } from "./cold.ts"
import { num, sp } from "./format.ts"
import type { LatencyRun, LatencySizes } from "./latency.ts"
import type { LatencyResults } from "./latency-schema.ts"
import type { BenchResults, Target } from "./results-schema.ts"
import { ratioSpread, round, roundSpread, type Spread } from "./stats.ts"

/** Ours minus grammY's, reply latency at light load (ms). */
export const LATENCY_P50_MS = 10
export const LATENCY_P99_MS = 50
/** A cold bot's first webhook, p50, at most this many times a warm webhook's p50. */
export const COLD_FACTOR = 3
/** The end-to-end run's webhook time to 2xx, p99 (ms). */
export const ACK_P99_MS = 250
/** End to end: replies/s over the allowed rate (bots × 30/s). */
export const E2E_RATE = 0.9
/** End to end: 429s in a run, at most. */
export const E2E_429 = 10
/** Ingest: router / floor updates/s. */
export const INGEST_FLOOR = 0.9
/** CPU ms per update over 200 bots, ours / the floor worker's over 200 objects. */
export const CPU_FLOOR = 1.2

export function latencyResults(runs: LatencyRun[]): LatencyResults {
  const router = runs.find((r) => r.target === "router")
  const grammy = runs.find((r) => r.target === "grammy")
  if (!router || !grammy) throw new Error("latency: a target did not run")
  return {
    router,
    grammy,
    diffP50Ms: round(router.p50Ms - grammy.p50Ms, 1),
    diffP99Ms: round(router.p99Ms - grammy.p99Ms, 1),
  }
}

/** Per round, CPU ms per update of `runs` over `floor`'s. */
export function cpuOverFloor(runs: { cpuMsPerUpdate: number }[], floor: { cpuMsPerUpdate: number }[]): Spread {
  return roundSpread(
    ratioSpread(
      runs.map((r) => r.cpuMsPerUpdate),
      floor.map((r) => r.cpuMsPerUpdate),
    ),
    3,
  )
}

const target = (id: string, text: string, value: number, threshold: string, pass: boolean): Target => ({
  id,
  text,
  value: round(value, 3),
  threshold,
  pass,
})

export function judgeLatency(l: LatencyResults): Target[] {
  return [
    target(
      "latency-p50",
      "reply latency p50 at light load: ours − grammY's (ms)",
      l.diffP50Ms,
      `<= ${LATENCY_P50_MS}`,
      l.diffP50Ms <= LATENCY_P50_MS,
    ),
    target(
      "latency-p99",
      "reply latency p99 at light load: ours − grammY's (ms)",
      l.diffP99Ms,
      `<= ${LATENCY_P99_MS}`,
      l.diffP99Ms <= LATENCY_P99_MS,
    ),
  ]
}

export function judgeCold(c: ColdRun): Target[] {
  return [
    target(
      "cold-vs-warm",
      `first webhook to ${c.bots} cold bots, p50 / a warm one's`,
      c.ratioP50,
      `<= ${COLD_FACTOR}`,
      c.ratioP50 <= COLD_FACTOR,
    ),
  ]
}

/** The issue's figures of sections 1, 2 and 4 that are judged when their sections ran (and the floor did). */
export function judgeIssue17(r: Partial<Pick<BenchResults, "ingest" | "scale" | "e2e">>, allowed: number): Target[] {
  const t: Target[] = []
  if (r.e2e) {
    const e = r.e2e.router
    const ack = e.ackP99Ms.median
    t.push(
      target("e2e-ack-p99", "end-to-end: webhook time to 2xx p99 (ms)", ack, `<= ${ACK_P99_MS}`, ack <= ACK_P99_MS),
    )
    const rate = e.repliesPerSecond.median / allowed
    t.push(
      target("e2e-allowed", `end-to-end replies/s / allowed ${allowed}/s`, rate, `>= ${E2E_RATE}`, rate >= E2E_RATE),
    )
    const worst = Math.max(0, ...e.runs.map((x) => x.rejected429))
    t.push(target("e2e-429", "end-to-end: 429s (worst round)", worst, `<= ${E2E_429}`, worst <= E2E_429))
  }
  for (const i of r.ingest ?? []) {
    const v = i.routerOverFloor?.median
    if (v !== undefined)
      t.push(
        target(
          `ingest-vs-floor-${i.connections}`,
          `ingest at ${i.connections} conns / floor worker`,
          v,
          `>= ${INGEST_FLOOR}`,
          v >= INGEST_FLOOR,
        ),
      )
    // The floor worker runs no handler: with the bot's alarm off both do the same work, ingest alone. Judged on the
    // alternating turns (bench/floor-pairs.ts), which a slower minute of the machine does not tilt.
    const off = i.inTurns?.ratio.median
    if (off !== undefined)
      t.push(
        target(
          `ingest-off-vs-floor-${i.connections}`,
          `ingest at ${i.connections} conns, handlers off / floor worker, in turns`,
          off,
          `>= ${INGEST_FLOOR}`,
          off >= INGEST_FLOOR,
        ),
      )
  }
  const cpu = r.scale?.cpuOverFloor?.median
  if (r.scale && cpu !== undefined)
    t.push(
      target(
        "scale-cpu-vs-floor",
        `CPU ms/update over ${r.scale.bots} bots / floor's`,
        cpu,
        `<= ${CPU_FLOOR}`,
        cpu <= CPU_FLOOR,
      ),
    )
  const cpuOff = r.scale?.cpuHandlersOffOverFloor?.median
  if (r.scale && cpuOff !== undefined)
    t.push(
      target(
        "scale-cpu-off-vs-floor",
        `CPU ms/update over ${r.scale.bots} bots, handlers off / floor's`,
        cpuOff,
        `<= ${CPU_FLOOR}`,
        cpuOff <= CPU_FLOOR,
      ),
    )
  return t
}

/** Section 2's lines: the webhooks' time to 2xx in the end-to-end runs, and the floor worker's for that delivery. */
export function e2eAckLines(e: BenchResults["e2e"]): string[] {
  const out = [
    `      time to 2xx ms, p50 / p99: Switchboard ${sp(e.router.ackP50Ms, 1)} / ${sp(e.router.ackP99Ms, 1)}   grammY + auto-retry ${sp(e.grammy.ackP50Ms, 1)} / ${sp(e.grammy.ackP99Ms, 1)}`,
  ]
  if (e.ackFloor && e.ackP99OverFloor)
    out.push(
      `      the same webhooks to the floor worker (alone): p50 / p99 ${sp(e.ackFloor.ackP50Ms, 1)} / ${sp(e.ackFloor.ackP99Ms, 1)}; Switchboard's p99 / floor's ${sp(e.ackP99OverFloor, 2)}`,
    )
  return out
}

/** Section 4's lines: CPU per update over the bots against the floor worker, with handlers and without. */
export function scaleCpuLines(s: BenchResults["scale"]): string[] {
  const out: string[] = []
  if (s.cpuOverFloor)
    out.push(`      CPU ms/update over ${s.bots} bots / floor's over ${s.bots} objects: ${sp(s.cpuOverFloor, 2)}`)
  if (s.handlersOff && s.cpuHandlersOffOverFloor)
    out.push(
      `      handlers off (bots' alarms off: ingest alone): ${sp(s.handlersOff.updatesPerSecond)}/s, p50 ${num(s.handlersOff.p50Ms.median, 1)} ms, CPU ms/update ${num(s.handlersOff.cpuMsPerUpdate.median, 3)}, / floor's ${sp(s.cpuHandlersOffOverFloor, 2)}`,
    )
  return out
}

export function renderLatency(l: LatencyResults, sizes: LatencySizes): string[] {
  const chats = sizes.bots * sizes.chatsPerBot
  const out = [
    `10. Reply latency at light load: ${sizes.bots} bots × ${sizes.chatsPerBot} chats, each chat an update every ${num(sizes.chatIntervalMs)} ms (${num((chats * 1000) / sizes.chatIntervalMs, 1)} updates/s per target), the fake's latency and limits; both targets at once`,
    "    from the POST's start to the fake receiving the reply's sendMessage",
    [
      "target".padEnd(22),
      "updates".padEnd(8),
      "p50 ms".padEnd(8),
      "p90 ms".padEnd(8),
      "p99 ms".padEnd(8),
      "min–max ms".padEnd(12),
      "2xx p50/p99 ms".padEnd(16),
      "lost/dup/failed".padEnd(16),
      "429s".padEnd(5),
      "cores".padEnd(6),
      "peak MB",
    ].join(" "),
  ]
  for (const [name, r] of [
    ["Switchboard", l.router],
    ["grammY (reply inline)", l.grammy],
  ] as const)
    out.push(
      [
        name.padEnd(22),
        num(r.updates).padEnd(8),
        num(r.p50Ms, 1).padEnd(8),
        num(r.p90Ms, 1).padEnd(8),
        num(r.p99Ms, 1).padEnd(8),
        `${num(r.minMs)}–${num(r.maxMs)}`.padEnd(12),
        `${num(r.ackP50Ms, 1)} / ${num(r.ackP99Ms, 1)}`.padEnd(16),
        `${r.lost}/${r.duplicated}/${r.failedPosts}`.padEnd(16),
        num(r.rejected429).padEnd(5),
        num(r.serverCores, 2).padEnd(6),
        num(r.peakMemoryMb),
      ].join(" "),
    )
  out.push(
    `      ours − grammY's: p50 ${num(l.diffP50Ms, 1)} ms, p99 ${num(l.diffP99Ms, 1)} ms; posts late p99 ${num(Math.max(l.router.lateP99Ms, l.grammy.lateP99Ms), 1)} ms`,
  )
  return out
}

export function renderCold(c: ColdRun, sizes: ColdSizes): string[] {
  const line = (name: string, p: ColdRun["cold"]) =>
    [
      name.padEnd(22),
      num(p.webhooks).padEnd(9),
      num(p.p50Ms, 1).padEnd(8),
      num(p.p90Ms, 1).padEnd(8),
      num(p.p99Ms, 1).padEnd(8),
      `${num(p.minMs, 1)}–${num(p.maxMs, 1)}`.padEnd(14),
      num(p.cpuMsPerWebhook, 2),
    ].join(" ")
  return [
    `11. Cold bots: ${c.bots} bots created, workerd restarted on their persisted storage (every object unloaded), then in chunks of ${sizes.chunk}: a first webhook to each (cold), a second (warm), ${sizes.gapMs} ms after each; one connection, time to 2xx`,
    ["webhook".padEnd(22), "count".padEnd(9), "p50 ms", " p90 ms", " p99 ms", " min–max ms    ", "CPU ms/webhook"].join(
      " ",
    ),
    line("first (cold object)", c.cold),
    line("second (warm)", c.warm),
    `      cold/warm p50 ${num(c.ratioP50, 2)}, p99 ${num(c.ratioP99, 2)}; failed ${c.failed}, replies ${num(c.replies)}; objects with an alarm at the restart ${c.pendingAlarms}`,
    `      restart ${num(c.restartMs)} ms, the isolate's first request ${num(c.isolateFirstMs, 1)} ms, the warm-up bot's webhooks ${c.warmUpBotMs.map((ms) => num(ms, 1)).join(" and ")} ms (not counted); peak ${num(c.peakMemoryMb)} MB`,
  ]
}
