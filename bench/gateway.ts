// Gateway: how many Discord Gateway events per second one bot takes into its inbox. One active Discord bot (its Durable
// Object holds the fake Gateway's WebSocket), then N MESSAGE_CREATE dispatches pushed through the fake's dispatch
// control as fast as it answers (a few calls in flight), timed from the first dispatch to the moment the bot's stats
// count N more inbound messages; then lost and duplicated against what was dispatched.
import { discordSnowflake } from "../test/fakes/builders.ts"
import { createDiscordBot, discordKeyPair, type FakesHandle, inboundCount, spawnFakes } from "./api.ts"
import { API_LATENCY_MS, type BenchContext } from "./context.ts"
import { client, cpuSeconds } from "./load.ts"
import { round, sleep } from "./stats.ts"
import { type RunningWorker, startWorker } from "./worker.ts"

export interface GatewayRun {
  /** MESSAGE_CREATE dispatches pushed (after one warm-up message, not counted). */
  events: number
  /** Dispatch control calls in flight at once. */
  concurrency: number
  /** New inbound messages the bot's stats counted for them. */
  inbound: number
  /** Dispatched messages the inbox never counted (by the deadline). */
  lost: number
  /** Counted beyond what was dispatched: a message stored twice. */
  duplicated: number
  /** Dispatches the fake could not send at once (no socket on the session: a reconnect during the run). */
  undelivered: number
  /** IDENTIFYs and RESUMEs beyond the first connection: 0 in a clean run. */
  reconnects: number
  /** First dispatch to the last dispatch answered by the fake (it has written the frame to the socket by then). */
  dispatchMs: number
  dispatchPerSecond: number
  /** First dispatch to the stats showing every event stored (the last poll, 20 ms apart). */
  timeToInboxMs: number
  /** events / timeToInboxMs: the figure. */
  eventsPerSecond: number
  /** CPU cores the worker's process used from the first dispatch to the last event counted. */
  serverCores: number
  cpuMsPerEvent: number
  peakMemoryMb: number
  /** Echo replies (REST channel messages) the fake had received when the last event was counted (paced, 50/s). */
  repliesSent: number
  problems: string[]
}

/** 1,000 channels, as the webhook loops' 1,000 chats. */
const CHANNELS = 1000
const POLL_MS = 20

async function fakeCall(origin: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${origin}/__fake/${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`fake discord ${path}: ${res.status} ${text}`)
  const json: unknown = JSON.parse(text)
  if (typeof json !== "object" || json === null) throw new Error(`fake discord ${path}: ${text}`)
  return json as Record<string, unknown>
}

interface GatewayState {
  connections: number
  sessionId: string | null
  identifies: number
  resumes: unknown[]
}

async function gatewayState(origin: string, token: string): Promise<GatewayState> {
  const s = await fakeCall(origin, `gateway/state?account=${encodeURIComponent(token)}`)
  return {
    connections: Number(s.connections),
    sessionId: typeof s.sessionId === "string" ? s.sessionId : null,
    identifies: Number(s.identifies),
    resumes: Array.isArray(s.resumes) ? s.resumes : [],
  }
}

/** Polls `probe` every POLL_MS until it returns a value or `timeoutMs` passes. */
async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = await probe()
    if (found !== undefined) return found
    if (Date.now() > deadline) throw new Error(`gateway bench: no ${what} after ${timeoutMs} ms`)
    await sleep(POLL_MS)
  }
}

function messageCreate(i: number): Record<string, unknown> {
  return {
    id: discordSnowflake(),
    channel_id: String(1_100_000_000_000_000_000n + BigInt(1 + (i % CHANNELS))),
    guild_id: "1100000000000000001",
    author: { id: "200000000000000001", username: "alice", global_name: "Alice" },
    content: `gateway ${i}`,
    type: 0,
  }
}

/** One run on a fresh workerd and the blanked ingest fakes. */
export async function gatewayRun(ctx: BenchContext): Promise<GatewayRun> {
  ctx.ingestFakes ??= await spawnFakes(0)
  const fakes = ctx.ingestFakes
  await Promise.all([fakes.telegram.reset(), fakes.whatsapp.reset(), fakes.slack.reset(), fakes.discord.reset()])
  await fakes.discord.latency(0)
  const worker = await startWorker(ctx.bundle, fakes)
  try {
    return await measure(ctx, fakes, worker)
  } finally {
    await worker.dispose()
  }
}

async function measure(ctx: BenchContext, fakes: FakesHandle, worker: RunningWorker): Promise<GatewayRun> {
  const { events, concurrency, deadlineMs } = ctx.sizes.gateway
  const origin = fakes.discord.origin
  const bot = await createDiscordBot(worker, discordKeyPair().publicKeyHex)
  await until(
    async () => {
      const s = await gatewayState(origin, bot.token)
      return s.connections >= 1 && s.sessionId !== null ? s : undefined
    },
    15_000,
    "Gateway connection",
  )
  await fakes.discord.latency(API_LATENCY_MS)
  // Warm-up: one message through the socket into the inbox before the clock starts.
  await fakeCall(origin, "gateway/dispatch", { account: bot.token, d: messageCreate(-1) })
  const base = await until(
    async () => ((await inboundCount(worker, bot.id)) >= 1 ? 1 : undefined),
    15_000,
    "warm-up message",
  )

  const http = client(concurrency)
  const url = `${origin}/__fake/gateway/dispatch`
  const headers = { "content-type": "application/json" }
  const bodies = Array.from({ length: events }, (_, i) => JSON.stringify({ account: bot.token, d: messageCreate(i) }))
  let next = 0
  let undelivered = 0
  let failedDispatches = 0
  const cpu0 = cpuSeconds(worker.pid)
  const t0 = performance.now()
  let dispatchedAt = t0
  const sender = async () => {
    for (let i = next++; i < events; i = next++) {
      const answer = await http.request("POST", url, headers, bodies[i])
      if (answer.status !== 200) failedDispatches++
      else if (!answer.body.includes('"delivered":true')) undelivered++
    }
    dispatchedAt = Math.max(dispatchedAt, performance.now())
  }
  const sending = Promise.all(Array.from({ length: concurrency }, sender))
  // The stats are polled while the dispatches go out: the clock stops at the first poll that shows them all.
  let inbound = 0
  let seenAt = t0
  let changedAt = t0
  const deadline = t0 + deadlineMs
  for (;;) {
    const now = await inboundCount(worker, bot.id)
    const at = performance.now()
    if (now - base !== inbound) changedAt = at
    inbound = now - base
    seenAt = at
    // Stop when everything is in, at the deadline, or after 10 s without progress once the sending has ended.
    if (inbound >= events || at > deadline || (next >= events && at - changedAt > 10_000)) break
    await sleep(POLL_MS)
  }
  const cpu1 = cpuSeconds(worker.pid)
  await sending
  http.close()
  if (failedDispatches > 0) throw new Error(`gateway bench: ${failedDispatches} dispatch calls failed`)
  // A duplicate could only show up after the last one: look once more, a moment later.
  await sleep(200)
  const settled = (await inboundCount(worker, bot.id)) - base
  const state = await gatewayState(origin, bot.token)
  const replies = (await fakes.discord.requests({ account: bot.token, method: "messages" })).length
  const ms = seenAt - t0
  const seconds = ms / 1000
  const cores = (cpu1 - cpu0) / seconds
  return {
    events,
    concurrency,
    inbound: settled,
    lost: Math.max(0, events - settled),
    duplicated: Math.max(0, settled - events),
    undelivered,
    reconnects: Math.max(0, state.identifies + state.resumes.length - 1),
    dispatchMs: round(dispatchedAt - t0, 1),
    dispatchPerSecond: round(events / ((dispatchedAt - t0) / 1000), 1),
    timeToInboxMs: round(ms, 1),
    eventsPerSecond: round(inbound >= events ? events / seconds : Number.NaN, 1),
    serverCores: round(cores),
    cpuMsPerEvent: round((cores * ms) / Math.max(1, inbound), 3),
    peakMemoryMb: round(worker.peakMemoryMb(), 1),
    repliesSent: replies,
    problems: worker.problems.slice(0, 5),
  }
}
