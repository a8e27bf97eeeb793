// The results sections of issue 17's scenarios (bench/latency.ts, bench/cold.ts), for bench/results-schema.ts: reply
// latency at light load against grammY, and cold bots' first webhooks against warm ones.
import { z } from "zod"
import type { ColdPass, ColdRun, ColdSizes } from "./cold.ts"
import type { LatencyRun, LatencySizes } from "./latency.ts"
import type { ProfileSummary } from "./profile.ts"
import { count, figure, profileSummary } from "./schema-parts.ts"

export const latencySizes = z.strictObject({
  bots: count,
  chatsPerBot: count,
  updatesPerChat: count,
  chatIntervalMs: z.number(),
  deadlineMs: z.number(),
})

export const latencyRun = z.strictObject({
  target: z.enum(["router", "grammy"]),
  updates: count,
  replies: count,
  lost: count,
  duplicated: count,
  failedPosts: count,
  rejected429: count,
  p50Ms: figure,
  p90Ms: figure,
  p99Ms: figure,
  minMs: figure,
  maxMs: figure,
  ackP50Ms: figure,
  ackP99Ms: figure,
  lateP99Ms: figure,
  serverCores: figure,
  peakMemoryMb: figure,
  problems: z.array(z.string()),
})

/** One run, both targets on the same schedule at the same time; the differences are ours minus grammY's. */
export const latencyResults = z.strictObject({
  router: latencyRun,
  grammy: latencyRun,
  diffP50Ms: figure,
  diffP99Ms: figure,
})

export const coldSizes = z.strictObject({
  bots: count,
  chunk: count,
  gapMs: z.number(),
  pauseMs: z.number(),
  settleMs: z.number(),
})

const coldPass = z.strictObject({
  webhooks: count,
  p50Ms: figure,
  p90Ms: figure,
  p99Ms: figure,
  minMs: figure,
  maxMs: figure,
  cpuMsPerWebhook: figure,
})

export const coldRun = z.strictObject({
  bots: count,
  chunk: count,
  createMs: figure,
  restartMs: figure,
  isolateFirstMs: figure,
  warmUpBotMs: z.array(figure),
  pendingAlarms: count,
  cold: coldPass,
  warm: coldPass,
  ratioP50: figure,
  ratioP99: figure,
  failed: count,
  replies: count,
  peakMemoryMb: figure,
  problems: z.array(z.string()),
  profile: profileSummary.optional(),
})

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
type Holds<T extends true> = T
export type LatencySchemaMatchesScenarios = [
  Holds<Same<z.infer<typeof latencySizes>, LatencySizes>>,
  Holds<Same<z.infer<typeof latencyRun>, LatencyRun>>,
  Holds<Same<z.infer<typeof coldSizes>, ColdSizes>>,
  Holds<Same<z.infer<typeof coldPass>, ColdPass>>,
  Holds<Same<z.infer<typeof coldRun>, ColdRun>>,
  Holds<Same<z.infer<typeof profileSummary>, ProfileSummary>>,
]
export type LatencyResults = z.infer<typeof latencyResults>
