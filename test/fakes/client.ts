// Typed client for the fakes' control API (/__fake/*); fetch only, so it runs in workerd tests and in Node alike.
import type { DeliverInput, DeliverResult, FailRuleInput, LimitsInput, RecordedRequest, Stats } from "./types.ts"

export type { DeliverInput, DeliverResult, FailRuleInput, LimitsInput, RecordedRequest, Stats } from "./types.ts"

export interface RequestFilter {
  account?: string
  method?: string
}

export interface FakeControl {
  readonly origin: string
  /** Forgets recordings, failure rules, limits, stats and platform state of `account`, or of everyone. */
  reset(account?: string): Promise<void>
  /** Recorded platform API calls in arrival order, failed ones included; `authorization` redacted. */
  requests(filter?: RequestFilter): Promise<RecordedRequest[]>
  /** Polls `requests` until at least `count` match (default timeout 5 s), then returns them. */
  waitForRequests(filter: RequestFilter, count: number, timeoutMs?: number): Promise<RecordedRequest[]>
  /** The next `times` matching calls fail as `mode`. */
  fail(rule: FailRuleInput): Promise<void>
  /** Replaces the limits of `account` (or the default for all accounts, without one). */
  limits(limits: LimitsInput): Promise<void>
  /** Latency added to every platform API response, for everyone or one account. */
  latency(ms: number, account?: string): Promise<void>
  /** Posts an update to the worker as the platform would (Telegram secret header / WhatsApp signature). */
  deliver(input: DeliverInput): Promise<DeliverResult>
  stats(account: string): Promise<Stats>
  /** Marks a credential revoked: Telegram the token (= account); WhatsApp an access token of that number. */
  revoke(account: string, token?: string): Promise<void>
  /** WhatsApp: only these access tokens own the number from now on (a number without owners accepts any token). */
  own(account: string, token: string): Promise<void>
  /**
   * WhatsApp's 24-hour window: `enforce` turns it on for a number (free-form sends to people who have not written in
   * 24 hours then fail with 131047, as Meta answers); `from` (with `at`) records that a person wrote.
   */
  window(input: { account: string; enforce?: boolean; from?: string; at?: number }): Promise<void>
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v)
}

function isRecorded(v: unknown): v is RecordedRequest {
  return isRecord(v) && typeof v.account === "string" && typeof v.method === "string" && typeof v.at === "number"
}

function isStats(v: unknown): v is Stats {
  return isRecord(v) && typeof v.accepted === "number" && typeof v.rejected429 === "number" && isRecord(v.byChat)
}

function isDeliverResult(v: unknown): v is DeliverResult {
  return isRecord(v) && typeof v.status === "number" && typeof v.body === "string" && typeof v.sent === "string"
}

export function fakeControl(origin: string): FakeControl {
  const base = origin.replace(/\/+$/, "")

  async function call(path: string, body?: unknown): Promise<unknown> {
    const init: RequestInit =
      body === undefined
        ? { method: "GET" }
        : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }
    const res = await fetch(`${base}/__fake/${path}`, init)
    const text = await res.text()
    if (!res.ok) throw new Error(`fake control ${path} failed: ${res.status} ${text}`)
    return JSON.parse(text)
  }

  async function requests(filter: RequestFilter = {}): Promise<RecordedRequest[]> {
    const query = new URLSearchParams()
    if (filter.account !== undefined) query.set("account", filter.account)
    if (filter.method !== undefined) query.set("method", filter.method)
    const data = await call(`requests?${query}`)
    if (!isRecord(data) || !Array.isArray(data.requests)) throw new Error("fake control: bad requests answer")
    return data.requests.filter(isRecorded)
  }

  return {
    origin: base,
    reset: async (account) => {
      await call("reset", account === undefined ? {} : { account })
    },
    requests,
    waitForRequests: async (filter, count, timeoutMs = 5_000) => {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const found = await requests(filter)
        if (found.length >= count) return found
        if (Date.now() > deadline) {
          throw new Error(
            `fake control: ${found.length}/${count} requests matching ${JSON.stringify(filter)} after ${timeoutMs} ms`,
          )
        }
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
    },
    fail: async (rule) => {
      await call("fail", rule)
    },
    limits: async (limits) => {
      await call("limits", limits)
    },
    latency: async (ms, account) => {
      await call("latency", account === undefined ? { ms } : { ms, account })
    },
    deliver: async (input) => {
      const data = await call("deliver", input)
      if (!isDeliverResult(data)) throw new Error("fake control: bad deliver answer")
      return data
    },
    stats: async (account) => {
      const data = await call(`stats?account=${encodeURIComponent(account)}`)
      if (!isStats(data)) throw new Error("fake control: bad stats answer")
      return data
    },
    revoke: async (account, token) => {
      await call("revoke", token === undefined ? { account } : { account, token })
    },
    own: async (account, token) => {
      await call("own", { account, token })
    },
    window: async (input) => {
      await call("window", input)
    },
  }
}

export interface GatewayMessageInput {
  /** The bot token the bot identified with (the fake's account). */
  token: string
  channelId: string
  text: string
  /** A guild channel (omitted: a direct message). */
  guildId?: string
  author?: { id: string; username?: string; global_name?: string }
}

/** What the fake Discord answers a dispatch: the sequence number and whether a socket of that bot got it now. */
export interface GatewayDispatchResult {
  id: string
  s: number
  delivered: boolean
}

/**
 * A MESSAGE_CREATE through the fake Discord Gateway to the bot that identified with `token` (its latest session): sent
 * at once when the bot is connected, else kept for the RESUME's replay. Fails (409) when that token never identified.
 */
export async function gatewayMessage(origin: string, input: GatewayMessageInput): Promise<GatewayDispatchResult> {
  const d: Record<string, unknown> = { content: input.text, channel_id: input.channelId }
  if (input.guildId !== undefined) d.guild_id = input.guildId
  if (input.author !== undefined) d.author = input.author
  const res = await fetch(`${origin.replace(/\/+$/, "")}/__fake/gateway/dispatch`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ account: input.token, t: "MESSAGE_CREATE", d }),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`fake Discord gateway/dispatch failed: ${res.status} ${text}`)
  const data: unknown = JSON.parse(text)
  if (!isRecord(data) || typeof data.s !== "number" || typeof data.delivered !== "boolean")
    throw new Error(`fake Discord gateway/dispatch: unexpected answer ${text}`)
  return { id: String(data.id), s: data.s, delivered: data.delivered }
}

/**
 * The fakes from the test env: FAKES_ORIGIN is `{"platforms": {"telegram": origin, ...}, "endpoints": origin}`.
 * `of(platform)` reaches any platform's fake; `telegram` and `whatsapp` are shorthands.
 */
export function fakesFromEnv(env: { FAKES_ORIGIN: string }): {
  of(platform: string): FakeControl
  telegram: FakeControl
  whatsapp: FakeControl
  /** Origin of the handler endpoints fake (forward URL and AI API), test/fakes/endpoints.ts. */
  endpoints: string
} {
  let parsed: unknown
  try {
    parsed = JSON.parse(env.FAKES_ORIGIN)
  } catch {
    parsed = undefined
  }
  const platforms = isRecord(parsed) && isRecord(parsed.platforms) ? parsed.platforms : undefined
  if (!isRecord(parsed) || !platforms) {
    throw new Error(
      `FAKES_ORIGIN must be JSON {"platforms": {name: origin}, "endpoints": origin}, got ${env.FAKES_ORIGIN}`,
    )
  }
  const of = (platform: string): FakeControl => {
    const origin = platforms[platform]
    if (typeof origin !== "string") throw new Error(`no fake for platform ${platform} in FAKES_ORIGIN`)
    return fakeControl(origin)
  }
  const endpoints = typeof parsed.endpoints === "string" ? parsed.endpoints : ""
  return { of, telegram: of("telegram"), whatsapp: of("whatsapp"), endpoints }
}

/** A well-formed, unique Telegram bot token (`{bot id}:{35 chars}`), so each test owns its account. */
export function randomTelegramToken(): string {
  const id = 100_000_000 + Math.floor(Math.random() * 899_999_999)
  const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
  const bytes = crypto.getRandomValues(new Uint8Array(35))
  return `${id}:${Array.from(bytes, (b) => chars[b % chars.length]).join("")}`
}

/** A unique numeric WhatsApp phone_number_id (15 digits, like Meta's). */
export function randomPhoneNumberId(): string {
  return String(100_000_000_000_000 + Math.floor(Math.random() * 899_999_999_999_999))
}
