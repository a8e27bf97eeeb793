// Load generation over node:http keep-alive connections: a closed loop of N connections (time-to-200 per request),
// and Telegram's webhook delivery (per-bot max_connections, one update of a chat at a time, redelivery on failure).
import { readFileSync } from "node:fs"
import { Agent, request as httpRequest } from "node:http"
import { sleep } from "./stats.ts"

export interface HttpAnswer {
  status: number
  body: string
  ms: number
}

export interface Client {
  request(method: string, url: string, headers: Record<string, string>, body?: string | Buffer): Promise<HttpAnswer>
  close(): void
}

/** A keep-alive client holding at most `connections` sockets (0 status = transport error). */
export function client(connections: number): Client {
  const agent = new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections })
  return {
    request: (method, url, headers, body) =>
      new Promise((resolve) => {
        const start = performance.now()
        const u = new URL(url)
        const payload = body === undefined ? undefined : typeof body === "string" ? Buffer.from(body) : body
        const req = httpRequest(
          {
            host: u.hostname,
            port: u.port,
            path: u.pathname + u.search,
            method,
            agent,
            headers: payload ? { ...headers, "content-length": String(payload.length) } : headers,
          },
          (res) => {
            const chunks: Buffer[] = []
            res.on("data", (c: Buffer) => chunks.push(c))
            res.on("end", () =>
              resolve({
                status: res.statusCode ?? 0,
                body: Buffer.concat(chunks).toString("utf8"),
                ms: performance.now() - start,
              }),
            )
            res.on("error", () => resolve({ status: 0, body: "", ms: performance.now() - start }))
          },
        )
        req.on("error", (e) => resolve({ status: 0, body: e.message, ms: performance.now() - start }))
        req.end(payload)
      }),
    close: () => agent.destroy(),
  }
}

export interface Shot {
  url: string
  headers: Record<string, string>
  body: string
}

export interface LoopResult {
  /** Requests answered 2xx inside the measured window. */
  ok: number
  /** Non-2xx answers and transport errors inside the window. */
  failed: number
  /** Status counts of the failures, for the report. */
  failures: Record<string, number>
  windowMs: number
  /** Time-to-200 of each successful request in the window, ms. */
  latencies: number[]
  /** CPU cores the server process used during the window (its CPU seconds / window seconds), NaN if unknown. */
  serverCores: number
  /** The same for this process (load generator and fakes). */
  benchCores: number
}

/**
 * `connections` loops each send a request, wait for its answer, send the next. The first `warmupMs` are not
 * counted (JIT, Durable Object start, decrypting the bot's secrets), then `durationMs` are measured.
 */
export async function closedLoop(opts: {
  connections: number
  warmupMs: number
  durationMs: number
  next: (seq: number) => Shot
  /** The server's pid, to read the CPU it used in the window. */
  serverPid?: number
}): Promise<LoopResult> {
  const http = client(opts.connections)
  const start = performance.now()
  const from = start + opts.warmupMs
  const to = from + opts.durationMs
  const cpu = { server: [Number.NaN, Number.NaN], bench: [0, 0] }
  const sample = (i: 0 | 1) => {
    cpu.server[i] = opts.serverPid === undefined ? Number.NaN : cpuSeconds(opts.serverPid)
    const own = process.cpuUsage()
    cpu.bench[i] = (own.user + own.system) / 1e6
  }
  const timers = [
    setTimeout(() => sample(0), opts.warmupMs),
    setTimeout(() => sample(1), opts.warmupMs + opts.durationMs),
  ]
  let seq = 0
  let ok = 0
  let failed = 0
  const failures: Record<string, number> = {}
  const latencies: number[] = []
  const loop = async () => {
    for (;;) {
      const sent = performance.now()
      if (sent >= to) return
      const shot = opts.next(seq++)
      const answer = await http.request("POST", shot.url, shot.headers, shot.body)
      // A request counts in the window it was sent in: the window is a sample of steady state.
      if (sent < from) continue
      if (answer.status >= 200 && answer.status < 300) {
        ok++
        latencies.push(answer.ms)
      } else {
        failed++
        const key = String(answer.status)
        failures[key] = (failures[key] ?? 0) + 1
      }
    }
  }
  await Promise.all(Array.from({ length: opts.connections }, loop))
  for (const t of timers) clearTimeout(t)
  if (cpu.bench[1] === 0) sample(1) // the loops can end a tick before the window's timer fires
  http.close()
  const seconds = opts.durationMs / 1000
  const used = (pair: number[]) => ((pair[1] ?? Number.NaN) - (pair[0] ?? Number.NaN)) / seconds
  return {
    ok,
    failed,
    failures,
    windowMs: opts.durationMs,
    latencies,
    serverCores: used(cpu.server),
    benchCores: used(cpu.bench),
  }
}

/** User + system CPU seconds a process has used so far (Linux /proc), NaN when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    // After "pid (comm) ": state is field 0, utime field 11, stime field 12, in clock ticks (USER_HZ = 100).
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return Number.NaN
  }
}

export interface DeliveryBot {
  url: string
  headers: Record<string, string>
  /** Updates per chat, in the order Telegram must deliver them. */
  chats: string[][]
}

export interface DeliveryResult {
  delivered: number
  /** Non-2xx answers and transport errors (each one redelivered, as Telegram does). */
  failedAttempts: number
  /** Updates still not acknowledged when the deadline passed. */
  abandoned: number
  /** Time-to-200 of every acknowledged delivery, ms. */
  latencies: number[]
  /** When each of those deliveries was posted (epoch ms), in the same order. */
  postedAt: number[]
  /** And the index of the bot each went to. */
  botOf: number[]
}

/**
 * Telegram's webhook delivery (shared/platforms.md): at most `maxConnections` requests in flight per bot, one update
 * of a chat at a time (the next only after the previous got a 2xx), a failed delivery re-sent at once, then after
 * 2, 4, 8 ... s.
 */
export async function deliverLikeTelegram(
  bots: DeliveryBot[],
  maxConnections: number,
  deadline: number,
): Promise<DeliveryResult> {
  const result: DeliveryResult = {
    delivered: 0,
    failedAttempts: 0,
    abandoned: 0,
    latencies: [],
    postedAt: [],
    botOf: [],
  }
  const perBot = async (bot: DeliveryBot, botIndex: number) => {
    const http = client(maxConnections)
    const pending = bot.chats.map((updates) => [...updates])
    const worker = async () => {
      for (let chat = pending.shift(); chat; chat = pending.shift()) {
        for (const body of chat) {
          let failures = 0
          for (;;) {
            if (Date.now() > deadline) return
            const postedAt = Date.now()
            const answer = await http.request("POST", bot.url, bot.headers, body)
            if (answer.status >= 200 && answer.status < 300) {
              result.delivered++
              result.latencies.push(answer.ms)
              result.postedAt.push(postedAt)
              result.botOf.push(botIndex)
              break
            }
            result.failedAttempts++
            failures++
            if (failures > 1) await sleep(Math.min(60_000, 1000 * 2 ** (failures - 1)))
          }
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(maxConnections, pending.length) }, worker))
    http.close()
  }
  await Promise.all(bots.map((bot, i) => perBot(bot, i)))
  result.abandoned = bots.reduce((n, b) => n + b.chats.flat().length, 0) - result.delivered
  return result
}
