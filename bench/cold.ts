// Cold bots (issue 17): the first webhook to each of 200 bots whose Durable Objects are not loaded, against a second,
// warm one. The bots are created through the API on a worker whose D1 and Durable Object storage persist to a
// temporary directory; that workerd is disposed and a new one started on the same directory (same secrets), so every
// object must start again: open its SQLite, check its schema, restore its state, set its alarm, then unseal its
// secrets on the first webhook. The new isolate is warmed first (the bare route, then one extra bot's webhooks, not
// counted), so what is timed is an object's start, not the isolate's. Then, in chunks of bots: one webhook to each
// bot of the chunk (cold), a second webhook to each (warm), each webhook followed by a gap for its bot's alarm and
// reply. One connection: each figure is one request's time to 2xx, no queueing, nothing else running.
import { mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { createTelegramBots, SECRET_HEADER, spawnFakes, type TelegramBotRef, telegramUpdate } from "./api.ts"
import { API_LATENCY_MS, type BenchContext } from "./context.ts"
import { client, cpuSeconds } from "./load.ts"
import { type ProfileSummary, profiled } from "./profile.ts"
import { percentile, round, sleep } from "./stats.ts"
import { type RunningWorker, startWorker } from "./worker.ts"

export interface ColdSizes {
  bots: number
  /** Bots per chunk: their cold webhooks, then their warm ones (seconds apart at most: nothing is evicted). */
  chunk: number
  /**
   * After each webhook, before the next: the bot's alarm (its handler, its reply's send and the send's outcome, 100
   * ms at the fake) runs alone, so one bot's cold alarm (first queries, opt-out and alert settings from D1) does not
   * share the one workerd thread with the next bot's webhook. Each figure is one object's start on the 200's path.
   */
  gapMs: number
  /** The pause after each pass of a chunk. */
  pauseMs: number
  /**
   * How long the first workerd stays up after the last creation: a new bot's object runs an alarm at once (its
   * start), and an alarm still set at the restart would start the object before its first webhook (`pendingAlarms`
   * counts them: 0 after 300 ms in a trial).
   */
  settleMs: number
}

export const fullColdSizes: ColdSizes = { bots: 200, chunk: 20, gapMs: 150, pauseMs: 300, settleMs: 2000 }
export const smokeColdSizes: ColdSizes = { bots: 4, chunk: 2, gapMs: 50, pauseMs: 100, settleMs: 500 }

export interface ColdPass {
  webhooks: number
  p50Ms: number
  p90Ms: number
  p99Ms: number
  minMs: number
  maxMs: number
  /** The workerd process's CPU over the pass, per webhook: the webhook, its alarm, its reply and the send's outcome. */
  cpuMsPerWebhook: number
}

export interface ColdRun {
  bots: number
  chunk: number
  createMs: number
  /** From disposing the first workerd to the second one answering. */
  restartMs: number
  /** The new isolate's first request (the bare route): its start, not counted below. */
  isolateFirstMs: number
  /** The extra bot's first and second webhooks, not counted (the webhook path's code compiled). */
  warmUpBotMs: number[]
  /**
   * Bot objects whose storage still held an alarm when the first workerd was gone: those start on their own after
   * the restart (an overdue alarm runs at once), so their first webhook may find them warm. 0 in a clean run.
   */
  pendingAlarms: number
  cold: ColdPass
  warm: ColdPass
  /** Cold over warm. */
  ratioP50: number
  ratioP99: number
  /** Webhooks answered non-2xx. */
  failed: number
  /** Echo replies the fake accepted (one per webhook when every bot handled both). */
  replies: number
  peakMemoryMb: number
  problems: string[]
  profile?: ProfileSummary
}

function pass(ms: number[], cpuS: number): ColdPass {
  return {
    webhooks: ms.length,
    p50Ms: round(percentile(ms, 50)),
    p90Ms: round(percentile(ms, 90)),
    p99Ms: round(percentile(ms, 99)),
    minMs: round(ms.length > 0 ? Math.min(...ms) : Number.NaN),
    maxMs: round(ms.length > 0 ? Math.max(...ms) : Number.NaN),
    cpuMsPerWebhook: round((cpuS * 1000) / Math.max(1, ms.length), 2),
  }
}

/**
 * Bot objects' SQLite files under `dir` (Miniflare names each object's directory after its class) whose
 * `_cf_METADATA` holds an alarm time (workerd keeps a Durable Object's alarm there, key 1).
 */
function pendingAlarms(dir: string): number {
  let n = 0
  const files = readdirSync(dir, { recursive: true, encoding: "utf8" })
  for (const file of files.filter((f) => f.endsWith(".sqlite") && f.includes("BotDurableObject"))) {
    const db = new DatabaseSync(join(dir, file), { readOnly: true })
    try {
      const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_cf_METADATA'").get()
      const alarm = table ? db.prepare("SELECT value FROM _cf_METADATA WHERE key = 1").get() : undefined
      if (alarm && alarm.value !== null) n++
    } finally {
      db.close()
    }
  }
  return n
}

/** The timed passes on the restarted worker: chunk by chunk, cold then warm. */
async function passes(worker: RunningWorker, refs: TelegramBotRef[], sizes: ColdSizes) {
  const http = client(1)
  const times = { cold: [] as number[], warm: [] as number[], cpu: { cold: 0, warm: 0 }, failed: 0 }
  const post = async (ref: TelegramBotRef, updateId: number, chat: number, text: string) => {
    const headers = { "content-type": "application/json", [SECRET_HEADER]: ref.secret }
    const answer = await http.request("POST", ref.webhookUrl, headers, telegramUpdate(updateId, chat, text))
    if (answer.status < 200 || answer.status >= 300) times.failed++
    return answer.ms
  }
  for (let from = 0; from < refs.length; from += sizes.chunk) {
    const chunk = refs.slice(from, from + sizes.chunk)
    for (const kind of ["cold", "warm"] as const) {
      const cpu = cpuSeconds(worker.pid)
      for (const [i, ref] of chunk.entries()) {
        const n = from + i
        times[kind].push(await post(ref, kind === "cold" ? 1 : 2, kind === "cold" ? 1 : 2, `${kind} ${n}`))
        await sleep(sizes.gapMs)
      }
      times.cpu[kind] += cpuSeconds(worker.pid) - cpu
      await sleep(sizes.pauseMs)
    }
  }
  http.close()
  return times
}

export async function coldRun(ctx: BenchContext, sizes: ColdSizes, profileTo?: string): Promise<ColdRun> {
  const dir = mkdtempSync(join(tmpdir(), "switchboard-bench-cold-"))
  const fakes = await spawnFakes(0)
  let worker: RunningWorker | undefined
  try {
    const first = await startWorker(ctx.bundle, { ...fakes, persistDir: dir })
    worker = first
    const created = Date.now()
    const [extra, ...refs] = await createTelegramBots(first, fakes.telegram, sizes.bots + 1)
    const createMs = Date.now() - created
    if (!extra) throw new Error("cold: no bot created")
    await sleep(sizes.settleMs) // what the creations scheduled (their alarms) has run before the restart
    const stopped = Date.now()
    await first.dispose()
    worker = undefined
    const pending = pendingAlarms(dir)
    const second = await startWorker(ctx.bundle, {
      ...fakes,
      persistDir: dir,
      keys: first.keys,
      migrated: true,
      inspect: profileTo !== undefined,
    })
    worker = second
    const restartMs = Date.now() - stopped
    await fakes.telegram.latency(API_LATENCY_MS)
    // The new isolate's start, then the webhook path compiled on a bot that is not counted.
    const bare = client(1)
    const isolate = await bare.request("POST", `${second.origin}/__bench/bare`, {}, "{}")
    for (let i = 0; i < 20; i++) await bare.request("POST", `${second.origin}/__bench/bare`, {}, "{}")
    bare.close()
    // The bots' webhook URLs, at the new workerd's address.
    const moved = (r: TelegramBotRef) => ({ ...r, webhookUrl: r.webhookUrl.replace(first.origin, second.origin) })
    const warmUp = await passes(second, [moved(extra)], { ...sizes, chunk: 1 })
    const run = () => passes(second, refs.map(moved), sizes)
    let times: Awaited<ReturnType<typeof run>>
    let profile: ProfileSummary | undefined
    if (profileTo !== undefined && second.inspectorUrl) {
      const path = join(ctx.bundle.dir, ctx.bundle.main)
      const profiledRun = await profiled(second.inspectorUrl, path, profileTo, run)
      times = profiledRun.result
      profile = profiledRun.summary
    } else times = await run()
    await sleep(API_LATENCY_MS + 300) // the last replies reach the fake and are recorded
    const replies = (await fakes.telegram.requests({ method: "sendMessage" })).filter((r) => r.outcome === "ok").length
    const cold = pass(times.cold, times.cpu.cold)
    const warm = pass(times.warm, times.cpu.warm)
    return {
      bots: refs.length,
      chunk: sizes.chunk,
      createMs,
      restartMs,
      isolateFirstMs: round(isolate.ms),
      warmUpBotMs: [...warmUp.cold, ...warmUp.warm].map((ms) => round(ms)),
      pendingAlarms: pending,
      cold,
      warm,
      ratioP50: round(cold.p50Ms / warm.p50Ms, 3),
      ratioP99: round(cold.p99Ms / warm.p99Ms, 3),
      failed: times.failed + warmUp.failed,
      replies,
      peakMemoryMb: round(second.peakMemoryMb(), 1),
      problems: second.problems.slice(0, 5),
      ...(profile ? { profile } : {}),
    }
  } finally {
    await worker?.dispose()
    await fakes.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
