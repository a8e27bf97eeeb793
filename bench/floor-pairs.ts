// Ingest against the floor worker, in turns: one bot with its alarm off (ingest alone, no handler and no reply) and
// the floor worker (route + one Durable Object RPC + one insert) both up and warm at once, taking the same closed
// loop in short alternating turns. A round's separate runs (section 1) start a process each a few seconds apart, and
// on this shared two-core machine the same target's rate moved by a fifth from one round to the next: more than the
// 10% the ratio is judged against. A slowdown of the machine lasts seconds, so two turns side by side mostly share
// it; the figure is the median over the pairs of each pair's ratio.
import { createTelegramBots, type FakesHandle } from "./api.ts"
import { API_LATENCY_MS, type BenchContext } from "./context.ts"
import { shot } from "./ingest.ts"
import { closedLoop, type LoopResult, type Shot } from "./load.ts"
import { ratioSpread, round, roundSpread, type Spread, spread } from "./stats.ts"
import { type RunningWorker, startWorker } from "./worker.ts"

export interface FloorPairSizes {
  /** Pairs of turns per connection count (the order within a pair alternates). */
  pairs: number
  /** Each turn's measured window. */
  turnMs: number
  /** Each turn's first milliseconds, not counted: its connections open (a new client per turn). */
  settleMs: number
}

export const fullFloorPairSizes: FloorPairSizes = { pairs: 8, turnMs: 1000, settleMs: 200 }
export const smokeFloorPairSizes: FloorPairSizes = { pairs: 1, turnMs: 200, settleMs: 50 }

export interface FloorPairs {
  connections: number
  /** Updates/s of each turn. */
  floor: Spread
  handlersOff: Spread
  /** Per pair: handlers off / floor, updates/s. */
  ratio: Spread
  /** Per pair: the floor's CPU ms per update / ours (above 1: ours costs less), from /proc's 10 ms ticks. */
  cpuRatio: Spread
  /** Non-2xx answers and transport errors over every turn (a healthy run has none). */
  failed: number
}

/** The ingest loop's updates, their ids going on across turns (each turn's loop counts from 0): no duplicates. */
function shots(url: string, secret: string): () => Shot {
  const next = shot(() => url, secret)
  let n = 0
  return () => next(n++)
}

export async function floorPairsRun(
  ctx: BenchContext,
  fakes: FakesHandle,
  sizes: FloorPairSizes,
): Promise<FloorPairs[]> {
  if (!ctx.floorBundle || !ctx.handlersOffBundle) throw new Error("the paired floor run needs --handlers-off")
  await fakes.telegram.reset()
  await fakes.telegram.latency(0)
  const floor = await startWorker(ctx.floorBundle, fakes)
  let off: RunningWorker | undefined
  try {
    off = await startWorker(ctx.handlersOffBundle, fakes)
    const [bot] = await createTelegramBots(off, fakes.telegram, 1)
    if (!bot) throw new Error("no Telegram bot created")
    await fakes.telegram.latency(API_LATENCY_MS)
    const targets = {
      floor: { worker: floor, next: shots(`${floor.origin}/floor/paired`, "unused") },
      off: { worker: off, next: shots(bot.webhookUrl, bot.secret) },
    }
    const out: FloorPairs[] = []
    for (const connections of ctx.sizes.connections) {
      const turn = (which: keyof typeof targets, durationMs: number): Promise<LoopResult> =>
        closedLoop({
          connections,
          warmupMs: sizes.settleMs,
          durationMs,
          next: targets[which].next,
          serverPid: targets[which].worker.pid,
        })
      // Warm both (JIT, the objects' start, the bot's secrets) before the first counted turn.
      await turn("floor", ctx.sizes.warmupMs)
      await turn("off", ctx.sizes.warmupMs)
      const rates = { floor: [] as number[], off: [] as number[] }
      const cpu = { floor: [] as number[], off: [] as number[] }
      let failed = 0
      for (let pair = 0; pair < sizes.pairs; pair++) {
        const order: (keyof typeof targets)[] = pair % 2 === 0 ? ["floor", "off"] : ["off", "floor"]
        for (const which of order) {
          const r = await turn(which, sizes.turnMs)
          rates[which].push(r.ok / (r.windowMs / 1000))
          cpu[which].push((r.serverCores * r.windowMs) / Math.max(1, r.ok))
          failed += r.failed
        }
      }
      out.push({
        connections,
        floor: roundSpread(spread(rates.floor), 1),
        handlersOff: roundSpread(spread(rates.off), 1),
        ratio: roundSpread(ratioSpread(rates.off, rates.floor), 3),
        cpuRatio: roundSpread(ratioSpread(cpu.floor, cpu.off), 3),
        failed,
      })
      ctx.log(
        `ingest in turns @${connections}: handlers off / floor ${round(out.at(-1)?.ratio.median ?? Number.NaN, 3)} over ${sizes.pairs} pairs`,
      )
    }
    return out
  } finally {
    await off?.dispose()
    await floor.dispose()
  }
}
