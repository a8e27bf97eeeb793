// State and control API (/__fake/*) common to both fakes: recordings, injected failures, limits, latency, stats.
import {
  type Answer,
  type ApiRequest,
  isHold,
  isRecord,
  json,
  type Listening,
  listen,
  parseJson,
  redactHeaders,
  sleep,
  type UpgradeHandler,
} from "./http.ts"
import type { FailMode, FailRuleInput, Limits, RecordedRequest, Stats } from "./types.ts"
import { failModes } from "./types.ts"

export interface FailRule extends FailRuleInput {
  times: number
}

/** One platform API call, identified before it is answered so it can be recorded in arrival order. */
export interface ApiCall {
  account: string
  method: string
  body: unknown
  /** Answers the call when no injected failure applies. */
  run(): Promise<Answer>
  /** Renders an injected failure for this call (platform-specific error shapes). */
  fail(rule: FailRule): Answer
}

export interface Platform {
  name: string
  failModes: readonly FailMode[]
  /** Parses method and account from the request; the fake records every call, failed ones too. */
  identify(req: ApiRequest, state: FakeState): ApiCall
  /** Platform-specific control endpoints (e.g. deliver); undefined = not found. */
  control(name: string, params: Record<string, unknown>, state: FakeState): Promise<Answer | undefined>
  /** Forgets an account's platform state (webhooks, counters), or every account's. */
  reset(account: string | undefined): void
  /** WebSocket handshakes on the fake's port (Discord's Gateway); the server's origin is known by then. */
  upgrade?: UpgradeHandler
}

interface Windows {
  /** Accepted send times per account, for the per-second limit. */
  sends: number[]
  /** Accepted send times per chat, for per-chat, group and pair limits. */
  chats: Map<string, number[]>
  seen: Set<string>
}

const maxRecorded = 200_000

export class FakeState {
  requests: RecordedRequest[] = []
  rules: FailRule[] = []
  limits = new Map<string, Limits>()
  latencyMs = 0
  accountLatency = new Map<string, number>()
  stats = new Map<string, Stats>()
  windows = new Map<string, Windows>()
  /** Revoked credentials per account (Telegram: the token itself; WhatsApp: access tokens). */
  revoked = new Map<string, Set<string>>()
  /** WhatsApp: the access tokens that own a phone number; a number without owners accepts any token. */
  owners = new Map<string, Set<string>>()

  record(req: ApiRequest, call: ApiCall): RecordedRequest {
    const entry: RecordedRequest = {
      account: call.account,
      method: call.method,
      path: req.url.pathname,
      body: call.body,
      headers: redactHeaders(req.headers),
      at: Date.now(),
      outcome: "pending",
    }
    this.requests.push(entry)
    if (this.requests.length > maxRecorded) this.requests.splice(0, this.requests.length - maxRecorded)
    return entry
  }

  takeFailure(account: string, method: string): FailRule | undefined {
    const m = method.toLowerCase()
    const rule = this.rules.find(
      (r) => r.account === account && (r.method === undefined || r.method.toLowerCase() === m),
    )
    if (!rule) return undefined
    rule.times -= 1
    if (rule.times <= 0) this.rules.splice(this.rules.indexOf(rule), 1)
    this.statsOf(account).injected += 1
    return rule
  }

  limitsFor(account: string): Limits {
    return this.limits.get(account) ?? this.limits.get("*") ?? {}
  }

  latencyFor(account: string): number {
    return this.accountLatency.get(account) ?? this.latencyMs
  }

  statsOf(account: string): Stats {
    let s = this.stats.get(account)
    if (!s) {
      s = { accepted: 0, rejected429: 0, byChat: {}, duplicates: 0, injected: 0 }
      this.stats.set(account, s)
    }
    return s
  }

  windowsOf(account: string): Windows {
    let w = this.windows.get(account)
    if (!w) {
      w = { sends: [], chats: new Map(), seen: new Set() }
      this.windows.set(account, w)
    }
    return w
  }

  /** Accepted sends of `account` (to `chat`, if given) in the last `windowMs`; prunes entries older than a minute. */
  recentSends(account: string, windowMs: number, chat?: string): number[] {
    const w = this.windowsOf(account)
    const now = Date.now()
    const list = chat === undefined ? w.sends : (w.chats.get(chat) ?? [])
    while (list.length > 0 && (list[0] ?? now) < now - Math.max(60_000, windowMs)) list.shift()
    return list.filter((t) => t > now - windowMs)
  }

  /** Counts an accepted send; `content` identifies it for duplicate detection. */
  accept(account: string, chat: string, content: string): void {
    const now = Date.now()
    const w = this.windowsOf(account)
    w.sends.push(now)
    const list = w.chats.get(chat) ?? []
    list.push(now)
    w.chats.set(chat, list)
    const s = this.statsOf(account)
    s.accepted += 1
    s.byChat[chat] = (s.byChat[chat] ?? 0) + 1
    const key = `${chat}\u0000${content}`
    if (w.seen.has(key)) s.duplicates += 1
    else w.seen.add(key)
  }

  rejectByLimit(account: string): void {
    this.statsOf(account).rejected429 += 1
  }

  isRevoked(account: string, credential: string): boolean {
    return this.revoked.get(account)?.has(credential) ?? false
  }

  /** Whether `credential` may act for `account`: any may, until owners are set for it. */
  owns(account: string, credential: string): boolean {
    const owners = this.owners.get(account)
    return owners === undefined || owners.has(credential)
  }

  reset(account: string | undefined): void {
    if (account === undefined) {
      this.requests = []
      this.rules = []
      this.limits.clear()
      this.accountLatency.clear()
      this.stats.clear()
      this.windows.clear()
      this.revoked.clear()
      this.owners.clear()
      return
    }
    this.requests = this.requests.filter((r) => r.account !== account)
    this.rules = this.rules.filter((r) => r.account !== account)
    for (const map of [this.limits, this.accountLatency, this.stats, this.windows, this.revoked, this.owners])
      map.delete(account)
  }
}

export interface RunningFake extends Listening {
  state: FakeState
}

/**
 * What a `test/fakes/<platform>.fake.ts` file exports as `fake`: the index finds every such file, so a new
 * platform's fake is one file and nothing lists it.
 */
export interface FakeDefinition {
  /** The provider's platform name. */
  platform: string
  /** The worker's env variable for this platform's API base (the provider's `apiBaseEnv`). */
  apiBaseEnv: string
  /** The port `npm run dev` starts it on, stable so local commands and docs can name it. */
  devPort: number
  start(port: number, latencyMs: number): Promise<RunningFake>
  /** The API base for the worker, from the server's origin (WhatsApp adds its Graph version). */
  apiBase(origin: string): string
}

/** Starts a fake: `/__fake/*` is the control API, everything else goes to the platform. */
export async function startFake(platform: Platform, port = 0, latencyMs = 0): Promise<RunningFake> {
  const state = new FakeState()
  state.latencyMs = latencyMs
  const server = await listen(
    async (req) => {
      if (req.url.pathname.startsWith("/__fake/")) return control(platform, state, req)
      const call = platform.identify(req, state)
      const entry = state.record(req, call)
      const rule = state.takeFailure(call.account, call.method)
      const answer = rule ? call.fail(rule) : await call.run()
      if (isHold(answer)) {
        entry.outcome = "timeout"
        return answer
      }
      await sleep(state.latencyFor(call.account))
      entry.outcome = answer.status >= 200 && answer.status < 300 ? "ok" : answer.status
      return answer
    },
    port,
    platform.upgrade,
  )
  return { ...server, state }
}

function bad(message: string): Answer {
  return json(400, { error: message })
}

function optionalNumber(v: unknown): number | undefined {
  if (v === undefined || v === null || v === "") return undefined
  const n = typeof v === "number" ? v : Number(v)
  return Number.isFinite(n) ? n : Number.NaN
}

function optionalString(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined
  return typeof v === "string" ? v : String(v)
}

async function control(platform: Platform, state: FakeState, req: ApiRequest): Promise<Answer> {
  const name = req.url.pathname.slice("/__fake/".length)
  const params: Record<string, unknown> = {}
  for (const [k, v] of req.url.searchParams) params[k] = v
  if (req.raw.length > 0) {
    const body = parseJson(req.text)
    if (!isRecord(body)) return bad("control bodies are JSON objects")
    Object.assign(params, body)
  }
  const account = optionalString(params.account)
  switch (name) {
    case "health":
      return json(200, { ok: true, platform: platform.name })
    case "reset":
      state.reset(account)
      platform.reset(account)
      return json(200, { ok: true })
    case "requests": {
      const method = optionalString(params.method)?.toLowerCase()
      const requests = state.requests.filter(
        (r) =>
          (account === undefined || r.account === account) &&
          (method === undefined || r.method.toLowerCase() === method),
      )
      return json(200, { requests })
    }
    case "stats":
      if (account === undefined) return bad("stats needs an account")
      return json(200, state.statsOf(account))
    case "fail":
      return addRule(platform, state, params, account)
    case "limits":
      return setLimits(state, params, account)
    case "latency": {
      const ms = optionalNumber(params.ms)
      if (ms === undefined || Number.isNaN(ms) || ms < 0) return bad("latency needs ms >= 0")
      if (account === undefined) state.latencyMs = ms
      else state.accountLatency.set(account, ms)
      return json(200, { ok: true, ms })
    }
    case "revoke": {
      if (account === undefined) return bad("revoke needs an account")
      const credential = optionalString(params.token) ?? account
      const set = state.revoked.get(account) ?? new Set<string>()
      set.add(credential)
      state.revoked.set(account, set)
      return json(200, { ok: true })
    }
    case "own": {
      if (account === undefined) return bad("own needs an account")
      const token = optionalString(params.token)
      if (token === undefined) return bad("own needs a token")
      const set = state.owners.get(account) ?? new Set<string>()
      set.add(token)
      state.owners.set(account, set)
      return json(200, { ok: true })
    }
    case "echo":
      return json(200, { method: req.method, path: req.url.pathname, headers: req.headers, body: req.text })
    default: {
      const answer = await platform.control(name, params, state)
      return answer ?? json(404, { error: `unknown control endpoint /__fake/${name}` })
    }
  }
}

function addRule(platform: Platform, state: FakeState, params: Record<string, unknown>, account?: string): Answer {
  if (account === undefined) return bad("fail needs an account")
  const mode = failModes.find((m) => m === String(params.mode))
  if (mode === undefined || !platform.failModes.includes(mode)) {
    return bad(`fail mode must be one of ${platform.failModes.join(", ")}`)
  }
  const times = optionalNumber(params.times) ?? 1
  if (!Number.isInteger(times) || times < 1) return bad("times must be an integer >= 1")
  const numbers: Record<string, number | undefined> = {}
  for (const key of ["retryAfter", "code", "httpStatus", "migrateTo", "holdMs"] as const) {
    const n = optionalNumber(params[key])
    if (Number.isNaN(n)) return bad(`${key} must be a number`)
    numbers[key] = n
  }
  const rule: FailRule = { account, mode, times }
  const method = optionalString(params.method)
  if (method !== undefined) rule.method = method
  const description = optionalString(params.description)
  if (description !== undefined) rule.description = description
  if (numbers.retryAfter !== undefined) rule.retryAfter = numbers.retryAfter
  if (numbers.code !== undefined) rule.code = numbers.code
  if (numbers.httpStatus !== undefined) rule.httpStatus = numbers.httpStatus
  if (numbers.migrateTo !== undefined) rule.migrateTo = numbers.migrateTo
  if (numbers.holdMs !== undefined) rule.holdMs = numbers.holdMs
  state.rules.push(rule)
  return json(200, { ok: true })
}

const limitKeys = [
  "perChatIntervalMs",
  "perSecond",
  "groupPerMinute",
  "retryAfterSeconds",
  "pairPerWindow",
  "pairWindowMs",
] as const

function setLimits(state: FakeState, params: Record<string, unknown>, account?: string): Answer {
  const limits: Limits = {}
  for (const key of limitKeys) {
    const n = optionalNumber(params[key])
    if (n === undefined) continue
    if (Number.isNaN(n) || n < 0) return bad(`${key} must be a number >= 0`)
    limits[key] = n
  }
  if (
    limits.retryAfterSeconds !== undefined &&
    (!Number.isInteger(limits.retryAfterSeconds) || limits.retryAfterSeconds < 1)
  ) {
    return bad("retryAfterSeconds must be an integer >= 1")
  }
  state.limits.set(account ?? "*", limits)
  return json(200, { ok: true, limits })
}

/** Seconds for a Telegram-style retry_after: an integer >= 1. */
export function retrySeconds(v: number | undefined): number {
  return Math.max(1, Math.ceil(v ?? 1))
}

/** Where a hold ends: the rule's holdMs, capped at 30 s so the process can always exit. */
export function holdMs(rule: FailRule): number {
  return Math.min(30_000, Math.max(0, rule.holdMs ?? 30_000))
}

/** nginx's answer when the backend is down: HTML, not JSON, as clients meet it in the wild. */
export const badGatewayHtml =
  "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
