// Broadcast: one WhatsApp number sends a template to N chats that never wrote, paced at the number's rate (the bot
// configured to 1,000/s, the fake enforcing 1,000/s), while a few people write to it and get the echo handler's
// replies. Recipients go up as NDJSON (POST /api/bots/:id/broadcasts, then .../recipients). From the fake's records:
// accepted sends per second over the allowed rate (whole send and per tenth of it), lost, duplicated, 429s; each
// inbound post to the fake receiving its echo reply, during the broadcast and on the idle bot just before; the worker's
// peak memory.
import { createHmac, randomBytes } from "node:crypto"
import { whatsappTextEvent } from "../test/fakes/builders.ts"
import { type FakeControl, randomPhoneNumberId } from "../test/fakes/client.ts"
import type { RecordedRequest } from "../test/fakes/types.ts"
import { type FakesHandle, spawnFakes } from "./api.ts"
import { API_LATENCY_MS, type BenchContext } from "./context.ts"
import { type Client, client, cpuSeconds } from "./load.ts"
import { percentile, round, roundSpread, type Spread, sleep, spread } from "./stats.ts"
import { type RunningWorker, startWorker } from "./worker.ts"

const BUSINESS = "bench"
const TEMPLATE = { name: "bench_broadcast", language: "en_US", parameters: ["bench"] }

export interface BroadcastSizes {
  /** Chats the broadcast goes to (none of them ever wrote: a WhatsApp template). */
  recipients: number
  /** The bot's `limits.perBotPerSecond` and the fake's per-number limit. */
  perSecond: number
  /**
   * People writing to the number during the broadcast, one inbound post every `echoEveryMs`, chat after chat: each
   * chat writes every `echoChats × echoEveryMs` ms, which must stay above the bot's 1 s per-chat gap.
   */
  echoChats: number
  echoEveryMs: number
  /**
   * Inbound posts on the idle bot before the broadcast, one every `idleEveryMs` (the baseline of the reply times):
   * far enough apart that each finds nothing in flight (a send takes the fake's 100 ms), so it times the path alone.
   */
  idleEchoes: number
  idleEveryMs: number
  /** How long the whole send may take. */
  deadlineMs: number
}

export const fullBroadcastSizes: BroadcastSizes = {
  recipients: 100_000,
  perSecond: 1000,
  echoChats: 20,
  echoEveryMs: 100,
  idleEchoes: 20,
  idleEveryMs: 300,
  deadlineMs: 600_000,
}

/** The same writers (each chat must write less often than WhatsApp's 1 s per-chat gap lets the bot answer). */
export const smokeBroadcastSizes: BroadcastSizes = {
  recipients: 2_000,
  perSecond: 1000,
  echoChats: 20,
  echoEveryMs: 100,
  idleEchoes: 20,
  idleEveryMs: 300,
  deadlineMs: 60_000,
}

/** Echo replies: each inbound post to the fake receiving the reply (one clock: the same machine). */
export interface EchoFigures {
  posted: number
  /** Posts answered by an echo the fake accepted (by the deadline). */
  answered: number
  p50Ms: number
  p95Ms: number
  minMs: number
  maxMs: number
}

export interface BroadcastRun {
  recipients: number
  /** The fake's limit and the bot's configured rate. */
  allowedPerSecond: number
  /** The NDJSON upload: first request to the 202 that released the broadcast. */
  uploadMs: number
  /** Broadcast sends the fake accepted. */
  accepted: number
  /** Accepted sends per second from the first accepted send to the last. */
  achievedPerSecond: number
  ratio: number
  /** Achieved/allowed in each tenth of the time from the first accepted send to the last. */
  ratioByTenth: number[]
  ratioTenths: Spread
  /** Median gap between consecutive accepted broadcast sends, against the limit's 1000 / allowed ms. */
  medianGapMs: number
  /** Sends the fake refused for the number's rate (WhatsApp's 130429). */
  rejected429: number
  /** Recipients the fake never accepted a send for / accepted sends beyond one per recipient. */
  lost: number
  duplicated: number
  /** From the release (202) to the first and to the last accepted broadcast send. */
  firstSendMs: number
  totalMs: number
  /** GET /api/bots/:id/broadcasts/:bid once the fake had them all. */
  api: { status: string; sent: number; failed: number; skipped: number; queued: number }
  /** Replies on the idle bot, before the broadcast. */
  idleEcho: EchoFigures
  /** Replies to what was posted between the release and the last broadcast send. */
  echo: EchoFigures
  /** p50 during the broadcast minus p50 idle, in send slots of the allowed rate (1000 / allowed ms each). */
  echoWaitSlots: number
  /** CPU cores the worker and the fakes' process used from the release to the last send. */
  serverCores: number
  fakeCores: number
  peakMemoryMb: number
  problems: string[]
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v)
}

interface Api {
  worker: RunningWorker
  http: Client
  auth: Record<string, string>
}

async function call(a: Api, method: string, path: string, status: number, body?: unknown): Promise<unknown> {
  const headers = { ...a.auth, "content-type": "application/json" }
  const res = await a.http.request(
    method,
    `${a.worker.origin}${path}`,
    headers,
    body === undefined ? undefined : JSON.stringify(body),
  )
  if (res.status !== status) throw new Error(`${method} ${path}: ${res.status} ${res.body.slice(0, 300)}`)
  return JSON.parse(res.body)
}

function field(json: unknown, ...path: string[]): unknown {
  return path.reduce<unknown>((v, k) => (isRecord(v) ? v[k] : undefined), json)
}

/** Waits until the fake accepted `count` sends of `account` (or nothing moved for 20 s, or the deadline passed). */
async function settle(fake: FakeControl, account: string, count: number, deadline: number): Promise<number> {
  let seen = -1
  let movedAt = Date.now()
  for (;;) {
    const { accepted } = await fake.stats(account)
    if (accepted >= count || Date.now() > deadline || Date.now() - movedAt > 20_000) return accepted
    if (accepted !== seen) {
      seen = accepted
      movedAt = Date.now()
    }
    await sleep(100)
  }
}

interface Posted {
  chat: string
  text: string
  at: number
  status: number
}

/** People writing to the number: one signed inbound post every `everyMs`, chat after chat, each text unique. */
class Writers {
  readonly posted: Posted[] = []
  private n = 0

  private readonly a: Api
  private readonly botId: string
  private readonly phoneNumberId: string
  private readonly appSecret: string
  private readonly chats: string[]

  constructor(a: Api, botId: string, phoneNumberId: string, appSecret: string, chats: string[]) {
    this.a = a
    this.botId = botId
    this.phoneNumberId = phoneNumberId
    this.appSecret = appSecret
    this.chats = chats
  }

  /** Posts one every `everyMs` (not waiting for answers, so the cadence holds) until `stop()` says so or `count`. */
  async run(everyMs: number, stop: () => boolean, count = Number.POSITIVE_INFINITY, tag = "echo"): Promise<void> {
    const start = performance.now()
    const inFlight: Promise<void>[] = []
    for (let k = 0; k < count && !stop(); k++) {
      while (!stop() && performance.now() < start + k * everyMs)
        await sleep(Math.max(1, Math.min(50, start + k * everyMs - performance.now())))
      if (stop()) break
      inFlight.push(this.post(tag))
    }
    await Promise.all(inFlight)
  }

  private async post(tag: string): Promise<void> {
    const i = this.n++
    const chat = this.chats[i % this.chats.length] ?? ""
    const text = `${tag} ${i}`
    const body = JSON.stringify(whatsappTextEvent({ phoneNumberId: this.phoneNumberId, from: chat, text }))
    const signature = `sha256=${createHmac("sha256", this.appSecret).update(body).digest("hex")}`
    const entry: Posted = { chat, text, at: Date.now(), status: 0 }
    this.posted.push(entry)
    const res = await this.a.http.request(
      "POST",
      `${this.a.worker.origin}/webhooks/whatsapp/${this.botId}`,
      { "content-type": "application/json", "x-hub-signature-256": signature },
      body,
    )
    entry.status = res.status
  }
}

const to = (r: RecordedRequest) => (isRecord(r.body) ? String(r.body.to) : "")
const textOf = (r: RecordedRequest) => {
  const t = field(r.body, "text", "body")
  return typeof t === "string" ? t : undefined
}
const isBroadcast = (r: RecordedRequest) => field(r.body, "template", "name") === TEMPLATE.name

function echoFigures(posts: Posted[], replies: Map<string, number>): EchoFigures {
  const waits: number[] = []
  for (const p of posts) {
    const at = replies.get(`${p.chat}\u0000${p.text}`)
    if (at !== undefined) waits.push(at - p.at)
  }
  return {
    posted: posts.length,
    answered: waits.length,
    p50Ms: round(percentile(waits, 50), 1),
    p95Ms: round(percentile(waits, 95), 1),
    minMs: round(percentile(waits, 0), 1),
    maxMs: round(percentile(waits, 100), 1),
  }
}

/** Accepted sends per second over `allowed`, in `parts` equal slices of time from the first send to the last. */
function ratioBySlice(times: number[], allowed: number, parts: number): number[] {
  const first = times[0]
  const last = times.at(-1)
  if (first === undefined || last === undefined || last <= first) return []
  const width = (last - first) / parts
  const counts = new Array<number>(parts).fill(0)
  for (const t of times) {
    const slice = Math.min(parts - 1, Math.floor((t - first) / width))
    counts[slice] = (counts[slice] ?? 0) + 1
  }
  return counts.map((c) => round(c / (width / 1000) / allowed, 3))
}

/** One run on a fresh worker and fakes. */
export async function broadcastRun(ctx: BenchContext, sizes: BroadcastSizes): Promise<BroadcastRun> {
  const { recipients, perSecond, echoChats, echoEveryMs, idleEchoes, idleEveryMs, deadlineMs } = sizes
  if (echoChats * echoEveryMs <= 1000 || echoChats * idleEveryMs <= 1000)
    throw new Error("broadcast bench: each chat would write faster than the bot may answer it (1 s per chat)")
  const fakes: FakesHandle = await spawnFakes(API_LATENCY_MS)
  const worker = await startWorker(ctx.bundle, fakes)
  const a: Api = { worker, http: client(16), auth: { authorization: `Bearer ${worker.token(BUSINESS)}` } }
  try {
    const phoneNumberId = randomPhoneNumberId()
    const appSecret = randomBytes(16).toString("hex")
    const created = await call(a, "POST", "/api/bots", 201, {
      platform: "whatsapp",
      name: "bench broadcast",
      credentials: { accessToken: `EAAGbench${phoneNumberId}`, phoneNumberId, verifyToken: "bench-verify", appSecret },
      // The number's rate raised to 1,000/s (Meta's higher throughput tier); a chat's 1 s gap is WhatsApp's default.
      limits: { perBotPerSecond: perSecond, perChatIntervalMs: 1000 },
    })
    const botId = field(created, "bot", "id")
    if (typeof botId !== "string" || field(created, "setup", "ok") !== true)
      throw new Error(`broadcast bench: bot setup failed: ${JSON.stringify(created).slice(0, 300)}`)
    await fakes.whatsapp.limits({ account: phoneNumberId, perSecond })

    // The idle bot: the same writers, before the broadcast, each post alone in the bot (also starts the bot's object
    // and opens their windows).
    const chats = Array.from({ length: echoChats }, (_, i) => String(4_917_700_000_000 + i))
    const writers = new Writers(a, botId, phoneNumberId, appSecret, chats)
    await writers.run(idleEveryMs, () => false, idleEchoes, "idle")
    await settle(fakes.whatsapp, phoneNumberId, idleEchoes, Date.now() + 30_000)
    const idlePosts = writers.posted.slice()
    const base = (await fakes.whatsapp.stats(phoneNumberId)).accepted
    await sleep(1_200) // a chat's 1 s gap since its last reply: the broadcast starts clear of it

    // The broadcast: created as a draft, its recipients as NDJSON; the upload's 202 releases it.
    const view = await call(a, "POST", `/api/bots/${botId}/broadcasts`, 202, {
      name: "bench broadcast",
      template: TEMPLATE,
      recipients: [],
      more: true,
    })
    const broadcastId = field(view, "broadcast", "id")
    if (typeof broadcastId !== "string") throw new Error(`broadcast bench: no id in ${JSON.stringify(view)}`)
    const ndjson = Array.from({ length: recipients }, (_, i) => `{"chatId":"${4_915_200_000_000 + i}"}\n`).join("")
    const uploadStart = performance.now()
    const upload = await a.http.request(
      "POST",
      `${worker.origin}/api/bots/${botId}/broadcasts/${broadcastId}/recipients`,
      { ...a.auth, "content-type": "application/x-ndjson" },
      ndjson,
    )
    const uploadMs = performance.now() - uploadStart
    const released = Date.now()
    if (upload.status !== 202) throw new Error(`NDJSON upload: ${upload.status} ${upload.body.slice(0, 300)}`)
    if (field(JSON.parse(upload.body), "broadcast", "status") !== "running")
      throw new Error(`broadcast bench: not running after the upload: ${upload.body.slice(0, 300)}`)
    const cpu0 = cpuSeconds(worker.pid)
    const fakeCpu0 = cpuSeconds(fakes.pid)

    // Meanwhile, people write. Done once the fake has every broadcast send and an echo for each post so far.
    let done = false
    const during = writers.run(echoEveryMs, () => done)
    const deadline = released + deadlineMs
    let seen = -1
    let movedAt = Date.now()
    let loggedAt = Date.now()
    for (;;) {
      const { accepted } = await fakes.whatsapp.stats(phoneNumberId)
      const echoes = writers.posted.length - idlePosts.length
      if (accepted - base >= recipients + echoes) break
      if (Date.now() > deadline || Date.now() - movedAt > 20_000) break
      if (accepted !== seen) {
        seen = accepted
        movedAt = Date.now()
      }
      if (Date.now() - loggedAt > 10_000) {
        loggedAt = Date.now()
        ctx.log(`broadcast: ${accepted - base} at the fake after ${Math.round((Date.now() - released) / 1000)} s`)
      }
      await sleep(250)
    }
    done = true
    const cpuWindowS = (Date.now() - released) / 1000
    const serverCores = (cpuSeconds(worker.pid) - cpu0) / cpuWindowS
    const fakeCores = (cpuSeconds(fakes.pid) - fakeCpu0) / cpuWindowS
    await during
    await settle(fakes.whatsapp, phoneNumberId, base + recipients + writers.posted.length - idlePosts.length, deadline)
    await sleep(API_LATENCY_MS + 300) // anything sent twice shows up after the first; outcomes settle after latency

    // The API's view, once the bot's object has seen the last send back.
    let api: BroadcastRun["api"] = { status: "?", sent: 0, failed: 0, skipped: 0, queued: 0 }
    for (const until = Date.now() + 10_000; Date.now() < until; ) {
      const b = field(await call(a, "GET", `/api/bots/${botId}/broadcasts/${broadcastId}`, 200), "broadcast")
      const n = (k: string) => Number(field(b, k))
      api = {
        status: String(field(b, "status")),
        sent: n("sent"),
        failed: n("failed"),
        skipped: n("skipped"),
        queued: n("queued"),
      }
      if (api.status === "done") break
      await sleep(200)
    }

    const [requests, stats] = await Promise.all([
      fakes.whatsapp.requests({ account: phoneNumberId, method: "messages" }),
      fakes.whatsapp.stats(phoneNumberId),
    ])
    const ok = requests.filter((r) => r.outcome === "ok")
    const sends = ok.filter(isBroadcast)
    const times = sends.map((r) => r.at).sort((x, y) => x - y)
    const wanted = new Set(Array.from({ length: recipients }, (_, i) => String(4_915_200_000_000 + i)))
    const reached = new Set(sends.map(to).filter((c) => wanted.has(c)))
    const first = times[0] ?? Number.NaN
    const last = times.at(-1) ?? Number.NaN
    const achieved = (times.length - 1) / ((last - first) / 1000)
    const tenths = ratioBySlice(times, perSecond, 10)
    const replies = new Map<string, number>()
    for (const r of ok) {
      const text = textOf(r)
      const key = `${to(r)}\u0000${text}`
      if (text !== undefined && !replies.has(key)) replies.set(key, r.at)
    }
    const echo = echoFigures(
      writers.posted.slice(idlePosts.length).filter((p) => p.at <= last),
      replies,
    )
    const idleEcho = echoFigures(idlePosts, replies)
    return {
      recipients,
      allowedPerSecond: perSecond,
      uploadMs: Math.round(uploadMs),
      accepted: sends.length,
      achievedPerSecond: round(achieved, 1),
      ratio: round(achieved / perSecond, 3),
      ratioByTenth: tenths,
      ratioTenths: roundSpread(spread(tenths), 3),
      medianGapMs: round(
        percentile(
          times.slice(1).map((t, i) => t - (times[i] ?? t)),
          50,
        ),
        2,
      ),
      rejected429: stats.rejected429,
      lost: recipients - reached.size,
      duplicated: sends.length - new Set(sends.map(to)).size,
      firstSendMs: Math.round(first - released),
      totalMs: Math.round(last - released),
      api,
      idleEcho,
      echo,
      echoWaitSlots: round((echo.p50Ms - idleEcho.p50Ms) / (1000 / perSecond), 1),
      serverCores: round(serverCores),
      fakeCores: round(fakeCores),
      peakMemoryMb: round(worker.peakMemoryMb(), 1),
      problems: worker.problems.slice(0, 5),
    }
  } finally {
    a.http.close()
    await worker.dispose()
    await fakes.close()
  }
}
