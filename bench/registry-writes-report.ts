// What the registry-writes scenario (bench/registry-writes.ts) becomes: the arithmetic at 1,000 to 100,000 active
// bots, its targets, and its section of the printed table (9).

import { num, row } from "./format.ts"
import type { RegistryWritesRun, RegistryWritesSizes } from "./registry-writes.ts"
import type { Target } from "./results-schema.ts"
import { round } from "./stats.ts"

/** A bot's coalescing interval in production (ROLLUP_EVERY_MS); a hub flushes every 10 s (HUB_EVERY_MS). */
export const PRODUCTION_FLUSH_MS = 15_000
export const PRODUCTION_HUB_MS = 10_000
/** A hub writes at most one batch per its interval: measured batches per hub and interval may only exceed it by this. */
export const HUB_RATE_SLACK = 1.05
/** Σ reports over bots × intervals at least this: the machine kept up, every bot reported about once an interval. */
export const COVERAGE = 0.95

export interface Extrapolated {
  activeBots: number
  /** Before hubs: one D1 batch per active bot every 15 s. */
  beforePerSecond: number
  /** After: one per hub every 10 s, whatever the number of bots. */
  afterPerSecond: number
  /** Bot reports each hub takes per second. */
  reportsPerHubPerSecond: number
}

export function extrapolate(hubs: number): Extrapolated[] {
  return [1_000, 10_000, 100_000].map((activeBots) => ({
    activeBots,
    beforePerSecond: round(activeBots / (PRODUCTION_FLUSH_MS / 1000), 1),
    afterPerSecond: round(hubs / (PRODUCTION_HUB_MS / 1000), 2),
    reportsPerHubPerSecond: round(activeBots / (PRODUCTION_FLUSH_MS / 1000) / hubs, 1),
  }))
}

/** Σ batches in the window over what the hubs may write in it (one per hub and hub interval). */
export function hubRate(r: RegistryWritesRun): number {
  const hubMs = (r.flushMs * PRODUCTION_HUB_MS) / PRODUCTION_FLUSH_MS
  const batches = r.batchesByInterval.reduce((n, x) => n + x, 0)
  return round(batches / ((r.hubs * r.windowMs) / hubMs), 3)
}

export function judgeRegistryWrites(r: RegistryWritesRun): Target[] {
  const rate = hubRate(r)
  // Each update's and each distinct reply's count in D1 (a repeated send is counted by the bot once).
  const d1Off = Math.abs(r.d1.inbound - r.accepted) + Math.abs(r.d1.outbound - (r.replies - r.duplicateReplies))
  return [
    {
      id: "registry-writes-hub-rate",
      text: `registry: D1 batches per hub and hub interval (${r.bots} bots)`,
      value: rate,
      threshold: `<= ${HUB_RATE_SLACK}`,
      pass: rate <= HUB_RATE_SLACK,
    },
    {
      id: "registry-writes-every-interval",
      text: "registry: bot reports / (bots × intervals)",
      value: r.coverage,
      threshold: `>= ${COVERAGE}`,
      pass: r.coverage >= COVERAGE,
    },
    {
      id: "registry-writes-exact",
      text: "registry: D1 in/out counts off the updates and replies",
      value: d1Off,
      threshold: "= 0",
      pass: d1Off === 0,
    },
  ]
}

// ---- the table ----

export function renderRegistryWrites(r: RegistryWritesRun, sizes: RegistryWritesSizes): string[] {
  const hubMs = (r.flushMs * PRODUCTION_HUB_MS) / PRODUCTION_FLUSH_MS
  const sorted = [...r.reportsByInterval].sort((a, b) => a - b)
  const out: string[] = []
  out.push(
    `9. Registry writes: ${num(r.bots)} Telegram echo bots over ${r.businesses} businesses, one update each per interval (and its reply), ${r.hubs} registry hubs`,
  )
  out.push(
    `   ${num(r.representsMinutes, 1)} minutes of ${PRODUCTION_FLUSH_MS / 1000} s intervals compressed ${num(r.compression, 1)}x: ${r.intervals} intervals of ${num(r.flushMs / 1000, 1)} s (REGISTRY_FLUSH_MS=${r.flushMs}; hubs flush every ${num(hubMs / 1000, 2)} s), ${num(r.windowMs / 1000)} s`,
  )
  out.push(
    `   updates: ${num(r.posted)} posted, ${num(r.accepted)} 2xx (${num(r.failedAttempts)} attempts re-sent); ${num(r.scheduledPerSecond, 1)}/s asked, ${num(r.updatesPerSecond, 1)}/s achieved; posts late p50 ${num(r.lateP50Ms, 1)} ms p99 ${num(r.lateP99Ms, 1)} ms max ${num(r.lateMaxMs)} ms; 2xx p50 ${num(r.ackP50Ms, 1)} ms p99 ${num(r.ackP99Ms, 1)} ms`,
  )
  out.push(
    `   replies at the fake ${num(r.replies)} (${num(r.duplicateReplies)} repeated sends); bots created in ${num(r.createMs / 1000, 1)} s (${sizes.createConcurrency} at a time); worker ${num(r.serverCores, 2)} cores, peak ${num(r.peakMemoryMb)} MB`,
  )
  out.push(
    `   reports per interval (all bots): min ${num(sorted[0] ?? Number.NaN)}, median ${num(sorted[Math.floor(sorted.length / 2)] ?? Number.NaN)}, max ${num(sorted.at(-1) ?? Number.NaN)}; per bot over the run: min ${r.perBotMin}, median ${r.perBotMedian}, max ${r.perBotMax}; reports / (bots × intervals) ${num(r.coverage, 3)}`,
  )
  out.push(
    row([
      ["", 5],
      ["D1 batches", 36],
      ["over the run", 13],
      ["per s (wall)", 13],
      ["per s at 15 s intervals", 24],
    ]),
  )
  for (const [name, total, wall, at15] of [
    ["before: one per bot report", r.before, r.beforePerSecond, r.beforePerSecondAt15s],
    ["after: one per hub flush", r.after, r.afterPerSecond, r.afterPerSecondAt15s],
  ] as const) {
    out.push(
      row([
        ["", 5],
        [name, 36],
        [num(total), 13],
        [num(wall, 2), 13],
        [num(at15, 2), 24],
      ]),
    )
  }
  out.push(
    `      before / after ${num(r.ratio, 1)}x; facts written ${num(r.facts)} (pending at the end ${r.pendingAtEnd}); batches per hub and hub interval ${num(hubRate(r), 3)}`,
  )
  out.push(
    `      D1 at the end: inbound ${num(r.d1.inbound)}, outbound ${num(r.d1.outbound)}, ${num(r.d1.rollupRows)} rollup rows, ${num(r.d1.identities)} people; drained ${num(r.drainMs / 1000, 1)} s after the last post`,
  )
  out.push(
    `      the arithmetic at ${PRODUCTION_FLUSH_MS / 1000} s intervals (${r.hubs} hubs, one batch per 10 s each):`,
  )
  out.push(
    row([
      ["", 5],
      ["active bots", 13],
      ["before batches/s", 18],
      ["after batches/s", 17],
      ["reports a hub takes/s", 22],
    ]),
  )
  for (const e of r.extrapolation)
    out.push(
      row([
        ["", 5],
        [num(e.activeBots), 13],
        [num(e.beforePerSecond, 1), 18],
        [num(e.afterPerSecond, 2), 17],
        [num(e.reportsPerHubPerSecond, 1), 22],
      ]),
    )
  return out
}
