// What every scenario gets: the bundle, the fakes, the sizes of this run (full or --smoke), and a progress logger.
import type { FakesHandle } from "./api.ts"
import type { Bundle } from "./worker.ts"

export interface Sizes {
  /** Rounds of every throughput figure (min/median/max are over these). */
  rounds: number
  /** Per ingest run: not counted (JIT, Durable Object start), then measured. */
  warmupMs: number
  durationMs: number
  /** Concurrent webhook connections: Telegram's default max_connections, and more. */
  connections: number[]
  /** Bots the scale run spreads ingest over (the other run has one). */
  scaleBots: number
  e2e: { bots: number; chatsPerBot: number; updatesPerChat: number; maxConnections: number; deadlineMs: number }
  pacing: { messages: number; telegramPerSecond: number; whatsappPerSecond: number; deadlineMs: number }
  registry: { businessBots: number; totalBots: number; samplesPerRound: number; pageSize: number }
  /** Discord Gateway: MESSAGE_CREATE dispatches per run, dispatch calls in flight, how long to wait for the inbox. */
  gateway: { events: number; concurrency: number; deadlineMs: number }
}

export const fullSizes: Sizes = {
  rounds: 3,
  warmupMs: 300,
  durationMs: 1500,
  connections: [40, 64],
  scaleBots: 200,
  e2e: { bots: 10, chatsPerBot: 50, updatesPerChat: 10, maxConnections: 40, deadlineMs: 90_000 },
  pacing: { messages: 3000, telegramPerSecond: 30, whatsappPerSecond: 80, deadlineMs: 180_000 },
  registry: { businessBots: 10_000, totalBots: 100_000, samplesPerRound: 100, pageSize: 25 },
  gateway: { events: 5000, concurrency: 16, deadlineMs: 60_000 },
}

/** Every scenario for about a second, with tiny sizes: proves the bench starts, runs and writes what it parses. */
export const smokeSizes: Sizes = {
  rounds: 3,
  warmupMs: 100,
  durationMs: 400,
  connections: [4, 8],
  scaleBots: 4,
  e2e: { bots: 2, chatsPerBot: 3, updatesPerChat: 2, maxConnections: 4, deadlineMs: 20_000 },
  pacing: { messages: 40, telegramPerSecond: 30, whatsappPerSecond: 80, deadlineMs: 30_000 },
  registry: { businessBots: 200, totalBots: 1_000, samplesPerRound: 5, pageSize: 25 },
  gateway: { events: 100, concurrency: 4, deadlineMs: 20_000 },
}

/** The platform API latency the fakes add to every call (DESIGN.md §7: a real Bot API call takes tens to hundreds of ms). */
export const API_LATENCY_MS = 100

/** Telegram's published limits (shared/platforms.md), which the fake enforces in the end-to-end and pacing runs. */
export const telegramLimits = { perChatIntervalMs: 1000, retryAfterSeconds: 1 }

export interface BenchContext {
  bundle: Bundle
  sizes: Sizes
  log(line: string): void
  /** bench/floor-worker.js, built when --floor asks for it. */
  floorBundle?: Bundle
  /** The worker with its bots' alarms off (--handlers-off): ingest with no handler, reply or report work. */
  handlersOffBundle?: Bundle
  /** The fakes process the (sequential) ingest runs share, reset before each run. */
  ingestFakes?: FakesHandle
}
