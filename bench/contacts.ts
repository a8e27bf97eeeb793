// Contact sends (POST /api/contacts/:id/messages): automatic failover, and the cost of routing against a bot send.
//   failover: N contacts, each with a Telegram chat (whose bot the fake answers 403 "bot was blocked by the user")
//             and a WhatsApp chat with an open service window; route ["telegram", "whatsapp"]. Per send, the time from
//             the Telegram fake's 403 to the WhatsApp fake receiving the message, from the fakes' own records; and
//             exactly once: one Telegram attempt and one WhatsApp message per contact, the API's status agreeing.
//   sends:    the same M messages over C chats through POST /api/bots/:id/messages and through the contacts of those
//             chats; accepted sends/s at the API and the time until the fake has them all, each in a fresh worker.
import { createHmac, randomBytes } from "node:crypto"
import { whatsappTextEvent } from "../test/fakes/builders.ts"
import { type FakeControl, randomPhoneNumberId, randomTelegramToken } from "../test/fakes/client.ts"
import type { RecordedRequest } from "../test/fakes/types.ts"
import { type FakesHandle, pool, spawnFakes } from "./api.ts"
import { API_LATENCY_MS, type BenchContext } from "./context.ts"
import { type Client, client, cpuSeconds } from "./load.ts"
import { percentile, round, sleep } from "./stats.ts"
import { type RunningWorker, startWorker } from "./worker.ts"

const BUSINESS = "bench"

export interface ContactSizes {
  /** Contacts of the failover run (one send each per round), and how long a round may take. */
  failover: { contacts: number; deadlineMs: number }
  /** Messages over as many chats (contacts), API requests in flight, how long delivery may take. */
  sends: { messages: number; chats: number; concurrency: number; deadlineMs: number }
}

export const fullContactSizes: ContactSizes = {
  failover: { contacts: 200, deadlineMs: 60_000 },
  sends: { messages: 2000, chats: 200, concurrency: 32, deadlineMs: 90_000 },
}

export const smokeContactSizes: ContactSizes = {
  failover: { contacts: 4, deadlineMs: 20_000 },
  sends: { messages: 40, chats: 4, concurrency: 4, deadlineMs: 20_000 },
}

export interface FailoverRun {
  /** Contacts sent to this round (one send each). */
  contacts: number
  /** Sends whose WhatsApp message reached the fake after the Telegram 403: the samples of the figures. */
  failedOver: number
  /** Failover time: the Telegram fake's 403 answer (arrival + its latency) to the WhatsApp fake receiving the send. */
  p50Ms: number
  p95Ms: number
  minMs: number
  maxMs: number
  /**
   * The same over the sends whose 403 came after the last 202 of the round: failover with the worker no longer busy
   * accepting the burst (in the first second or so, the API's 202s and the failovers share the worker's thread).
   */
  steady: number
  steadyP50Ms: number
  steadyP95Ms: number
  /** How long the API took to accept (202) the round's sends. */
  enqueueMs: number
  /** From the first send posted to the last WhatsApp message at the fake (Telegram's 30/s pacing sets most of it). */
  timeToAllMs: number
  /** Contacts whose WhatsApp chat never got the round's message (by the deadline). */
  lost: number
  /** WhatsApp messages beyond one per contact. */
  duplicated: number
  /** sendMessage calls the Telegram fake saw for the round (one per contact when right). */
  telegramAttempts: number
  /** Contacts whose Telegram chat did not get exactly one attempt. */
  telegramOff: number
  /** Sends the API does not show as sent after [telegram failed (blocked), whatsapp sent]. */
  statusWrong: number
  peakMemoryMb: number
  problems: string[]
}

export type SendsTarget = "bot" | "contact"

export interface SendsRun {
  target: SendsTarget
  messages: number
  chats: number
  /** API requests in flight at once (a closed loop). */
  concurrency: number
  /** First request to the last 202. */
  enqueueMs: number
  /** Accepted sends per second at the API: the figure. */
  sendsPerSecond: number
  apiP50Ms: number
  apiP99Ms: number
  /** From the first request to the last message the fake accepted. */
  timeToAllMs: number
  /** Messages the fake never accepted / accepted twice (same chat and text). */
  lost: number
  duplicated: number
  /** CPU cores the worker used and its CPU per message, from the first request to the last message delivered. */
  serverCores: number
  cpuMsPerMessage: number
  peakMemoryMb: number
  problems: string[]
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v)
}

interface Api {
  worker: RunningWorker
  http: Client
  headers: Record<string, string>
}

function api(worker: RunningWorker, connections: number): Api {
  return {
    worker,
    http: client(connections),
    headers: { authorization: `Bearer ${worker.token(BUSINESS)}`, "content-type": "application/json" },
  }
}

/** One API call that must answer `status`; its JSON body. */
async function call(a: Api, method: string, path: string, status: number, body?: unknown): Promise<unknown> {
  const res = await a.http.request(
    method,
    `${a.worker.origin}${path}`,
    a.headers,
    body === undefined ? undefined : JSON.stringify(body),
  )
  if (res.status !== status) throw new Error(`${method} ${path}: ${res.status} ${res.body.slice(0, 300)}`)
  return JSON.parse(res.body)
}

function idOf(json: unknown, key?: string): string {
  const obj = key === undefined ? json : isRecord(json) ? json[key] : undefined
  const id = isRecord(obj) ? obj.id : undefined
  if (typeof id !== "string") throw new Error(`no id in ${JSON.stringify(json).slice(0, 300)}`)
  return id
}

async function createBot(a: Api, body: Record<string, unknown>): Promise<string> {
  const json = await call(a, "POST", "/api/bots", 201, body)
  const setup = isRecord(json) ? json.setup : undefined
  if (!isRecord(setup) || setup.ok !== true) throw new Error(`bot setup failed: ${JSON.stringify(json)}`)
  return idOf(json, "bot")
}

async function createContact(a: Api, name: string, identities: { botId: string; chatId: string }[]): Promise<string> {
  return idOf(await call(a, "POST", "/api/contacts", 201, { name, identities }), "contact")
}

/** Polls `probe` every `everyMs` until it returns a value, or throws after `timeoutMs`. */
async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string, everyMs = 50) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = await probe()
    if (found !== undefined) return found
    if (Date.now() > deadline) throw new Error(`contacts bench: no ${what} after ${timeoutMs} ms`)
    await sleep(everyMs)
  }
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
    await sleep(50)
  }
}

const telegramChat = (r: RecordedRequest) => (isRecord(r.body) ? String(r.body.chat_id) : "")
const telegramText = (r: RecordedRequest) => (isRecord(r.body) ? String(r.body.text) : "")
const whatsappChat = (r: RecordedRequest) => (isRecord(r.body) ? String(r.body.to) : "")
const whatsappText = (r: RecordedRequest) =>
  isRecord(r.body) && isRecord(r.body.text) ? String(r.body.text.body) : undefined

// ---- failover ----

interface FailoverSetup {
  fakes: FakesHandle
  worker: RunningWorker
  a: Api
  telegram: { id: string; token: string }
  whatsapp: { id: string; phoneNumberId: string }
  contacts: { id: string; telegramChat: string; whatsappChat: string }[]
}

/**
 * A fresh worker and fakes: one Telegram bot and one WhatsApp number of the same business, N contacts with one chat on
 * each, and one inbound WhatsApp message per contact through the webhook, so each service window is open. The echo
 * replies reaching the fake prove the bot's object handled each message (the chat's last-inbound time is written in
 * the transaction that queues the reply); then every contact's route preview must keep both channels.
 */
async function failoverSetup(ctx: BenchContext, sizes: ContactSizes): Promise<FailoverSetup> {
  const { contacts: n } = sizes.failover
  const fakes = await spawnFakes(API_LATENCY_MS)
  const worker = await startWorker(ctx.bundle, fakes)
  const a = api(worker, 16)
  try {
    const token = randomTelegramToken()
    const tgId = await createBot(a, {
      platform: "telegram",
      name: "bench failover telegram",
      credentials: { botToken: token },
    })
    const phoneNumberId = randomPhoneNumberId()
    const appSecret = randomBytes(16).toString("hex")
    const waId = await createBot(a, {
      platform: "whatsapp",
      name: "bench failover whatsapp",
      credentials: { accessToken: `EAAGbench${phoneNumberId}`, phoneNumberId, verifyToken: "bench-verify", appSecret },
    })
    const contacts = await pool(Array.from({ length: n }), 8, async (_, i) => {
      const telegramChat = String(600_000 + i)
      const whatsappChat = String(4_917_600_000_000 + i)
      const id = await createContact(a, `failover ${i}`, [
        { botId: tgId, chatId: telegramChat },
        { botId: waId, chatId: whatsappChat },
      ])
      return { id, telegramChat, whatsappChat }
    })
    // The person writes on WhatsApp: the 24 h window opens.
    await pool(contacts, 8, async (c, i) => {
      const body = JSON.stringify(whatsappTextEvent({ phoneNumberId, from: c.whatsappChat, text: `hi ${i}` }))
      const signature = `sha256=${createHmac("sha256", appSecret).update(body).digest("hex")}`
      const res = await a.http.request(
        "POST",
        `${worker.origin}/webhooks/whatsapp/${waId}`,
        { "content-type": "application/json", "x-hub-signature-256": signature },
        body,
      )
      if (res.status !== 200) throw new Error(`WhatsApp webhook: ${res.status} ${res.body.slice(0, 300)}`)
    })
    await settle(fakes.whatsapp, phoneNumberId, n, Date.now() + 60_000)
    const echoed = (await fakes.whatsapp.stats(phoneNumberId)).accepted
    if (echoed < n) throw new Error(`failover setup: ${echoed}/${n} inbound WhatsApp messages handled`)
    await pool(contacts, 8, async (c) => {
      await until(
        async () => {
          const preview = await call(a, "POST", `/api/contacts/${c.id}/route-preview`, 200, {
            text: "preview",
            route: { channels: ["telegram", "whatsapp"] },
          })
          const kept = isRecord(preview) && Array.isArray(preview.candidates) ? preview.candidates : []
          const platforms = kept.filter((k) => isRecord(k) && k.kept === true).map((k) => isRecord(k) && k.platform)
          return platforms.join(",") === "telegram,whatsapp" ? true : undefined
        },
        10_000,
        `open WhatsApp window for contact ${c.id}`,
        100,
      )
    })
    return {
      fakes,
      worker,
      a,
      telegram: { id: tgId, token },
      whatsapp: { id: waId, phoneNumberId },
      contacts,
    }
  } catch (e) {
    a.http.close()
    await worker.dispose()
    await fakes.close()
    throw e
  }
}

/**
 * One round: the Telegram fake is told to answer the next N sendMessage calls with 403 (blocked), then one contact send
 * per contact. Waits until every WhatsApp message arrived and the API shows every send as sent.
 */
async function failoverRound(sizes: ContactSizes, s: FailoverSetup, roundNo: number): Promise<FailoverRun> {
  const { deadlineMs } = sizes.failover
  const n = s.contacts.length
  const { fakes, a } = s
  // A chat's previous message keeps it busy for WhatsApp's 1 s per-chat gap: start clear of it.
  await sleep(1_200)
  const waBase = (await fakes.whatsapp.stats(s.whatsapp.phoneNumberId)).accepted
  await fakes.telegram.fail({ account: s.telegram.token, method: "sendMessage", mode: "403", times: n })
  const text = (i: number) => `failover r${roundNo} c${i}`
  const t0 = Date.now()
  const started = performance.now()
  const ids = await pool(s.contacts, 16, async (c, i) =>
    idOf(
      await call(a, "POST", `/api/contacts/${c.id}/messages`, 202, {
        text: text(i),
        route: { channels: ["telegram", "whatsapp"] },
      }),
    ),
  )
  const enqueueMs = performance.now() - started
  const acceptedAt = Date.now()
  const deadline = t0 + deadlineMs
  await settle(fakes.whatsapp, s.whatsapp.phoneNumberId, waBase + n, deadline)
  // The API's view: every send sent, through a failed Telegram attempt.
  const wrong = new Set<number>()
  await pool(s.contacts, 16, async (c, i) => {
    for (;;) {
      const view = await call(a, "GET", `/api/contacts/${c.id}/messages/${ids[i]}`, 200)
      const v = isRecord(view) ? view : {}
      const attempts = Array.isArray(v.attempts) ? v.attempts.filter(isRecord) : []
      const right =
        v.status === "sent" &&
        attempts.length === 2 &&
        attempts[0]?.platform === "telegram" &&
        attempts[0]?.status === "failed" &&
        String(attempts[0]?.error).includes("blocked") &&
        attempts[1]?.platform === "whatsapp" &&
        attempts[1]?.status === "sent"
      if (right) return
      if (v.status === "failed" || Date.now() > deadline) {
        wrong.add(i)
        return
      }
      await sleep(100)
    }
  })
  // Anything sent twice would show up after the first: look a moment later.
  await sleep(API_LATENCY_MS + 300)
  const [tgRequests, waRequests] = await Promise.all([
    fakes.telegram.requests({ account: s.telegram.token, method: "sendMessage" }),
    fakes.whatsapp.requests({ account: s.whatsapp.phoneNumberId, method: "messages" }),
  ])
  const prefix = `failover r${roundNo} `
  const tgRound = tgRequests.filter((r) => telegramText(r).startsWith(prefix))
  const waRound = waRequests.filter((r) => whatsappText(r)?.startsWith(prefix))
  const samples: number[] = []
  const steady: number[] = []
  let lost = 0
  let duplicated = 0
  let telegramOff = 0
  let lastAt = Number.NaN
  for (const [i, c] of s.contacts.entries()) {
    const tg = tgRound.filter((r) => telegramChat(r) === c.telegramChat && telegramText(r) === text(i))
    const wa = waRound.filter((r) => whatsappChat(r) === c.whatsappChat && whatsappText(r) === text(i))
    if (tg.length !== 1) telegramOff++
    if (wa.length === 0) lost++
    duplicated += Math.max(0, wa.length - 1)
    const refused = tg.find((r) => r.outcome === 403)
    const arrived = wa[0]
    if (refused && arrived) {
      // The fake answers after its latency: the 403 left it at arrival + latency.
      const answeredAt = refused.at + API_LATENCY_MS
      samples.push(arrived.at - answeredAt)
      if (answeredAt > acceptedAt) steady.push(arrived.at - answeredAt)
      lastAt = Number.isNaN(lastAt) ? arrived.at : Math.max(lastAt, arrived.at)
    }
  }
  return {
    contacts: n,
    failedOver: samples.length,
    p50Ms: round(percentile(samples, 50), 1),
    p95Ms: round(percentile(samples, 95), 1),
    minMs: round(percentile(samples, 0), 1),
    maxMs: round(percentile(samples, 100), 1),
    steady: steady.length,
    steadyP50Ms: round(percentile(steady, 50), 1),
    steadyP95Ms: round(percentile(steady, 95), 1),
    enqueueMs: Math.round(enqueueMs),
    timeToAllMs: Math.round(lastAt - t0),
    lost,
    duplicated,
    telegramAttempts: tgRound.length,
    telegramOff,
    statusWrong: wrong.size,
    peakMemoryMb: round(s.worker.peakMemoryMb(), 1),
    problems: s.worker.problems.slice(0, 5),
  }
}

/** Every round on one worker (the same contacts, a new message each round). */
export async function failoverRuns(ctx: BenchContext, sizes: ContactSizes): Promise<FailoverRun[]> {
  const s = await failoverSetup(ctx, sizes)
  try {
    const runs: FailoverRun[] = []
    for (let r = 1; r <= ctx.sizes.rounds; r++) {
      const run = await failoverRound(sizes, s, r)
      ctx.log(
        `failover round ${r}: ${run.failedOver}/${run.contacts} failed over, p50 ${run.p50Ms} ms p95 ${run.p95Ms} ms max ${run.maxMs} ms (after the 202s: ${run.steady} sends, p50 ${run.steadyP50Ms} ms p95 ${run.steadyP95Ms} ms), lost ${run.lost}, dup ${run.duplicated}, telegram off ${run.telegramOff}, status wrong ${run.statusWrong}`,
      )
      runs.push(run)
    }
    return runs
  } finally {
    s.a.http.close()
    await s.worker.dispose()
    await s.fakes.close()
  }
}

// ---- contact sends vs bot sends ----

/**
 * The bot's pacing raised to what the API allows (1,000/s, no per-chat gap) and the fake enforcing nothing: with
 * Telegram's 30/s both runs would take M/30 s to deliver and time only the pacer.
 */
const UNPACED = { perBotPerSecond: 1000, perChatIntervalMs: 0 }

/** One run on a fresh worker and fakes: M messages over C chats, through the bot or through the chats' contacts. */
export async function sendsRun(ctx: BenchContext, sizes: ContactSizes, target: SendsTarget): Promise<SendsRun> {
  const { messages, chats, concurrency, deadlineMs } = sizes.sends
  const fakes = await spawnFakes(API_LATENCY_MS)
  const worker = await startWorker(ctx.bundle, fakes)
  const a = api(worker, concurrency)
  try {
    const token = randomTelegramToken()
    const botId = await createBot(a, {
      platform: "telegram",
      name: "bench sends",
      credentials: { botToken: token },
      limits: UNPACED,
    })
    const chatIds = Array.from({ length: chats }, (_, i) => String(700_000 + i))
    const warmChat = "699999"
    // Contacts are made before the clock (as a business would have them): one per chat, and one for the warm-up.
    const contactOf = new Map<string, string>()
    if (target === "contact") {
      const all = [warmChat, ...chatIds]
      const ids = await pool(all, 8, (chatId) => createContact(a, `sends ${chatId}`, [{ botId, chatId }]))
      for (const [i, chatId] of all.entries()) contactOf.set(chatId, ids[i] ?? "")
    }
    const send = (chatId: string, text: string) =>
      target === "bot"
        ? a.http.request(
            "POST",
            `${worker.origin}/api/bots/${botId}/messages`,
            a.headers,
            JSON.stringify({ chatId, text }),
          )
        : a.http.request(
            "POST",
            `${worker.origin}/api/contacts/${contactOf.get(chatId)}/messages`,
            a.headers,
            JSON.stringify({ text }),
          )
    // Warm-up: one message through the same path to the fake before the clock starts.
    const warm = await send(warmChat, "warm-up")
    if (warm.status !== 202) throw new Error(`${target} send: ${warm.status} ${warm.body.slice(0, 300)}`)
    await settle(fakes.telegram, token, 1, Date.now() + 15_000)

    const texts = Array.from({ length: messages }, (_, i) => `send ${i}`)
    const latencies: number[] = []
    let failed = 0
    let lastFailure = ""
    const t0 = Date.now()
    const cpu0 = cpuSeconds(worker.pid)
    const started = performance.now()
    await pool(texts, concurrency, async (text, i) => {
      const res = await send(chatIds[i % chats] ?? warmChat, text)
      latencies.push(res.ms)
      if (res.status !== 202) {
        failed++
        lastFailure = `${res.status} ${res.body.slice(0, 300)}`
      }
    })
    const enqueueMs = performance.now() - started
    if (failed > 0) throw new Error(`${target} sends: ${failed} not accepted, last ${lastFailure}`)
    await settle(fakes.telegram, token, messages + 1, t0 + deadlineMs)
    const cpu1 = cpuSeconds(worker.pid)
    const cpuWindowS = (Date.now() - t0) / 1000
    await sleep(API_LATENCY_MS + 200)
    const ok = (await fakes.telegram.requests({ account: token, method: "sendMessage" })).filter(
      (r) => r.outcome === "ok" && telegramText(r).startsWith("send "),
    )
    const distinct = new Set(ok.map((r) => `${telegramChat(r)}\u0000${telegramText(r)}`))
    const lastAt = Math.max(...ok.map((r) => r.at))
    return {
      target,
      messages,
      chats,
      concurrency,
      enqueueMs: Math.round(enqueueMs),
      sendsPerSecond: round(messages / (enqueueMs / 1000), 1),
      apiP50Ms: round(percentile(latencies, 50), 1),
      apiP99Ms: round(percentile(latencies, 99), 1),
      timeToAllMs: distinct.size >= messages ? Math.round(lastAt - t0) : Number.NaN,
      lost: messages - distinct.size,
      duplicated: ok.length - distinct.size,
      serverCores: round((cpu1 - cpu0) / cpuWindowS),
      cpuMsPerMessage: round(((cpu1 - cpu0) * 1000) / messages, 3),
      peakMemoryMb: round(worker.peakMemoryMb(), 1),
      problems: worker.problems.slice(0, 5),
    }
  } finally {
    a.http.close()
    await worker.dispose()
    await fakes.close()
  }
}
