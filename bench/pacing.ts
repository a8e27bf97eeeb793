// Pacing: one send to thousands of chats through POST /api/bots/:id/messages, for a Telegram bot and a WhatsApp
// number at once, with each fake enforcing the platform's per-bot (per-number) rate and answering 429 beyond it.
import type { FakeControl } from "../test/fakes/client.ts"
import type { RecordedRequest } from "../test/fakes/types.ts"
import { createTelegramBots, createWhatsAppBot, pool, spawnFakes } from "./api.ts"
import { API_LATENCY_MS, type BenchContext, telegramLimits } from "./context.ts"
import { cpuSeconds } from "./load.ts"
import { percentile, round, roundSpread, type Spread, sleep, spread } from "./stats.ts"
import { type RunningWorker, startWorker } from "./worker.ts"

export interface PacingRun {
  platform: "telegram" | "whatsapp"
  messages: number
  /** The rate the fake enforces: the platform's published limit, which our pacer is configured to. */
  allowedPerSecond: number
  /** Accepted sends per second from the first accepted send to the last. */
  achievedPerSecond: number
  ratio: number
  /** Achieved/allowed over each third of the send (the run's rounds). */
  ratioByThird: Spread
  rejected429: number
  /** Median gap between consecutive accepted sends, against the limit's 1000 / allowed ms. */
  medianGapMs: number
  lost: number
  duplicated: number
  /** How long the API took to accept (202) all the messages. */
  enqueueMs: number
  /** From the first 202 to the last message accepted by the fake. */
  totalMs: number
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v)
}

/** Text for Telegram; for WhatsApp an approved template, which its 24-hour window allows to chats that never wrote. */
const content = (platform: PacingRun["platform"], i: number) =>
  platform === "telegram"
    ? { text: `pacing ${i}` }
    : { template: { name: "pacing_update", language: "en_US", parameters: [String(i)] } }

async function enqueue(
  worker: RunningWorker,
  botId: string,
  chatIds: string[],
  platform: PacingRun["platform"],
): Promise<number> {
  const started = performance.now()
  const token = worker.token("bench")
  await pool(chatIds, 8, async (chatId, i) => {
    const res = await fetch(`${worker.origin}/api/bots/${botId}/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ chatId, ...content(platform, i) }),
    })
    if (res.status !== 202) throw new Error(`send API answered ${res.status}: ${await res.text()}`)
    await res.arrayBuffer()
  })
  return performance.now() - started
}

/** Waits until the fake accepted `count` sends of `account`, or nothing moved for 20 s, or the deadline passed. */
async function settle(fake: FakeControl, account: string, count: number, deadline: number): Promise<void> {
  let seen = -1
  let movedAt = Date.now()
  while (Date.now() < deadline && Date.now() - movedAt < 20_000) {
    const { accepted } = await fake.stats(account)
    if (accepted >= count) return
    if (accepted !== seen) {
      seen = accepted
      movedAt = Date.now()
    }
    await sleep(250)
  }
}

function figures(
  platform: PacingRun["platform"],
  requests: RecordedRequest[],
  chatField: string,
  messages: number,
  allowed: number,
  rejected429: number,
  enqueueMs: number,
  started: number,
): PacingRun {
  const ok = requests.filter((r) => r.outcome === "ok")
  const times = ok.map((r) => r.at).sort((a, b) => a - b)
  const chats = new Set(ok.map((r) => (isRecord(r.body) ? String(r.body[chatField]) : "")))
  const rate = (from: number, to: number) => {
    const a = times[from]
    const b = times[to]
    return a === undefined || b === undefined || b <= a ? Number.NaN : (to - from) / ((b - a) / 1000)
  }
  const achieved = rate(0, times.length - 1)
  const third = Math.floor(times.length / 3)
  const thirds = [rate(0, third), rate(third, 2 * third), rate(2 * third, times.length - 1)]
  return {
    platform,
    messages,
    allowedPerSecond: allowed,
    achievedPerSecond: round(achieved, 1),
    ratio: round(achieved / allowed, 3),
    ratioByThird: roundSpread(spread(thirds.map((r) => r / allowed)), 3),
    rejected429,
    medianGapMs: round(
      percentile(
        times.slice(1).map((t, i) => t - (times[i] ?? t)),
        50,
      ),
      1,
    ),
    lost: messages - chats.size,
    duplicated: ok.length - chats.size,
    enqueueMs: Math.round(enqueueMs),
    totalMs: Math.round((times.at(-1) ?? Number.NaN) - started),
  }
}

/**
 * Both platforms in one worker at once (each has its own Durable Object and its own fake). Runs alone: its figure is
 * a rate, and a timer or a fake's clock that waits for a core costs slots.
 */
export async function pacingRun(
  ctx: BenchContext,
): Promise<{ runs: PacingRun[]; peakMemoryMb: number; serverCores: number }> {
  const { messages, telegramPerSecond, whatsappPerSecond, deadlineMs } = ctx.sizes.pacing
  const fakes = await spawnFakes(API_LATENCY_MS)
  const worker = await startWorker(ctx.bundle, fakes)
  try {
    const [tg] = await createTelegramBots(worker, fakes.telegram, 1)
    const wa = await createWhatsAppBot(worker)
    if (!tg) throw new Error("no Telegram bot")
    await fakes.telegram.limits({ account: tg.token, ...telegramLimits, perSecond: telegramPerSecond })
    await fakes.whatsapp.limits({ account: wa.phoneNumberId, perSecond: whatsappPerSecond })
    const started = Date.now()
    const cpuAtStart = cpuSeconds(worker.pid)
    const deadline = started + deadlineMs
    const tgChats = Array.from({ length: messages }, (_, i) => String(300_000 + i))
    const waChats = Array.from({ length: messages }, (_, i) => String(4_915_100_000_000 + i))
    const [tgEnqueue, waEnqueue] = await Promise.all([
      enqueue(worker, tg.id, tgChats, "telegram"),
      enqueue(worker, wa.id, waChats, "whatsapp"),
    ])
    await Promise.all([
      settle(fakes.telegram, tg.token, messages, deadline),
      settle(fakes.whatsapp, wa.phoneNumberId, messages, deadline),
    ])
    const serverCores = (cpuSeconds(worker.pid) - cpuAtStart) / ((Date.now() - started) / 1000)
    await sleep(API_LATENCY_MS + 100) // the fake records an outcome once its latency has passed
    const [tgStats, waStats] = await Promise.all([
      fakes.telegram.stats(tg.token),
      fakes.whatsapp.stats(wa.phoneNumberId),
    ])
    const runs = [
      figures(
        "telegram",
        await fakes.telegram.requests({ account: tg.token, method: "sendMessage" }),
        "chat_id",
        messages,
        telegramPerSecond,
        tgStats.rejected429,
        tgEnqueue,
        started,
      ),
      figures(
        "whatsapp",
        await fakes.whatsapp.requests({ account: wa.phoneNumberId, method: "messages" }),
        "to",
        messages,
        whatsappPerSecond,
        waStats.rejected429,
        waEnqueue,
        started,
      ),
    ]
    return { runs, peakMemoryMb: round(worker.peakMemoryMb(), 1), serverCores: round(serverCores) }
  } finally {
    await worker.dispose()
    await fakes.close()
  }
}
