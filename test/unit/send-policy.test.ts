// The send queue's pure policy: what follows each kind of platform error, backoff bounds, and pacing slots.
import { describe, expect, it } from "vitest"
import { CHAT_MARGIN_MS, Pacer, RATE_HEADROOM } from "../../src/bot/pacer"
import { decide, MAX_ATTEMPTS, MAX_RATE_LIMITED, RETRY_BACKOFF } from "../../src/bot/retry-policy"
import { backoffDelay } from "../../src/lib/backoff"
import type { ProviderError } from "../../src/providers/types"

const now = 1_000_000
const fresh = { attempts: 0, rateLimited: 0 }
const limited = (extra: { retryAfterMs?: number; scope?: "bot" | "chat" } = {}): ProviderError => ({
  kind: "rate_limited",
  message: "rate_limited",
  scope: "bot",
  ...extra,
})
const unavailable = (extra: { retryAfterMs?: number } = {}): ProviderError => ({
  kind: "unavailable",
  message: "unavailable",
  ...extra,
})
const error = (kind: "unauthorized" | "forbidden" | "not_found" | "bad_request" | "window_closed"): ProviderError => ({
  kind,
  message: kind,
})

describe("decide", () => {
  it("waits exactly retry_after on a 429 and pauses the whole bot, without spending an attempt", () => {
    const d = decide(limited({ retryAfterMs: 3000 }), fresh, now)
    expect(d).toMatchObject({ type: "retry", at: now + 3000, countsAsAttempt: false, pause: "bot" })
  })

  it("pauses only the chat for a recipient-scoped limit", () => {
    expect(decide(limited({ retryAfterMs: 6000, scope: "chat" }), fresh, now)).toMatchObject({
      pause: "chat",
      at: now + 6000,
    })
  })

  it("backs off a 429 without a hint, and gives up after too many", () => {
    const d = decide(limited(), fresh, now, () => 0.5)
    expect(d.type).toBe("retry")
    if (d.type === "retry") expect(d.at - now).toBeGreaterThan(0)
    expect(decide(limited(), { attempts: 0, rateLimited: MAX_RATE_LIMITED - 1 }, now).type).toBe("fail")
  })

  it("retries unavailable with growing, capped, jittered backoff and dead-letters after MAX_ATTEMPTS", () => {
    const waits = [1, 2, 3, 4, 5, 6, 7].map((a) => {
      const d = decide(unavailable(), { attempts: a - 1, rateLimited: 0 }, now, () => 1)
      return d.type === "retry" ? d.at - now : -1
    })
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 64000])
    expect(decide(unavailable(), { attempts: MAX_ATTEMPTS - 1, rateLimited: 0 }, now)).toMatchObject({
      type: "fail",
    })
    expect(decide(unavailable({ retryAfterMs: 90_000 }), fresh, now, () => 0)).toMatchObject({
      at: now + 90_000,
    })
  })

  it("never retries what the platform refused for good", () => {
    for (const kind of ["forbidden", "not_found", "bad_request", "window_closed"] as const)
      expect(decide(error(kind), fresh, now).type).toBe("fail")
  })

  it("stops the bot on unauthorized and redirects a migrated chat", () => {
    expect(decide(error("unauthorized"), fresh, now).type).toBe("stop_bot")
    expect(decide({ kind: "migrated", message: "migrated", migrateTo: "-1001" }, fresh, now)).toMatchObject({
      type: "redirect",
      chatId: "-1001",
    })
  })
})

describe("backoffDelay", () => {
  it("stays within [10%, 100%] of a ceiling that doubles up to the cap", () => {
    for (let attempt = 1; attempt <= 20; attempt++) {
      const ceiling = Math.min(RETRY_BACKOFF.capMs, RETRY_BACKOFF.baseMs * 2 ** (attempt - 1))
      expect(backoffDelay(attempt, RETRY_BACKOFF, () => 0)).toBe(Math.round(ceiling * 0.1))
      expect(backoffDelay(attempt, RETRY_BACKOFF, () => 1)).toBe(ceiling)
    }
  })
})

describe("Pacer", () => {
  it("spaces sends bot-wide a little under 1/perBotPerSecond and per chat by perChatIntervalMs", () => {
    const pacer = new Pacer({ perChatIntervalMs: 1000, perBotPerSecond: 20 })
    const first = pacer.earliest(0, now)
    expect(first).toBe(now)
    expect(pacer.claim(first, false)).toBe(now + 1000 + CHAT_MARGIN_MS)
    expect(pacer.earliest(0, now)).toBeCloseTo(now + 50 / RATE_HEADROOM, 6)
    expect(pacer.earliest(now + 1050, now)).toBe(now + 1050)
  })

  it("keeps slots on an even grid when sends start late, never closer than the platform's spacing", () => {
    const pacer = new Pacer({ perChatIntervalMs: 0, perBotPerSecond: 10 })
    const step = 100 / RATE_HEADROOM
    pacer.claim(now, false)
    expect(pacer.earliest(0, now)).toBeCloseTo(now + step, 6)
    pacer.claim(now + step + 3, false) // 3 ms late: the next slot is still on the grid
    expect(pacer.earliest(0, now + step + 3)).toBeCloseTo(now + 2 * step, 6)
    pacer.claim(now + 2 * step + 60, false) // 60 ms late: catching up stops at half the 100 ms minimum spacing
    expect(pacer.earliest(0, now)).toBeCloseTo(now + 2 * step + 110, 6)
    // Idle for a while: no backlog of slots to burst through.
    expect(pacer.earliest(0, now + 5_000)).toBe(now + 5_000)
    pacer.claim(now + 5_000, false)
    expect(pacer.earliest(0, now + 5_000)).toBeCloseTo(now + 5_000 + step, 6)
  })

  it("never lets more than the budget (the rate with headroom) start in any one-second window", () => {
    const pacer = new Pacer({ perChatIntervalMs: 0, perBotPerSecond: 30 })
    expect(pacer.budget).toBe(29)
    const starts: number[] = []
    let t = now
    for (let i = 0; i < 300; i++) {
      t = pacer.earliest(0, t) + (i % 7 === 0 ? 25 : i % 3) // some sends start late, by up to 25 ms
      pacer.claim(t, false)
      starts.push(t)
    }
    const inWindow = (s: number) => starts.filter((x) => x > s - 1000 && x <= s).length
    expect(Math.max(...starts.map(inWindow))).toBe(29)
    for (const [i, s] of starts.entries()) if (i > 0) expect(s - (starts[i - 1] ?? 0)).toBeGreaterThan(1000 / 60 - 1e-6)
    // With ordinary timer jitter (0-3 ms) the achieved rate stays near the target, 97% of the platform's.
    const jittered = new Pacer({ perChatIntervalMs: 0, perBotPerSecond: 30 })
    let u = now
    for (let i = 0; i < 300; i++) {
      u = jittered.earliest(0, u) + (i % 4)
      jittered.claim(u, false)
    }
    expect((299 / (u - now)) * 1000).toBeGreaterThan(30 * 0.95)
  })

  it("catches up slots a busy thread missed, within the window's budget", () => {
    // For 150 ms of every 500 the thread is busy elsewhere: a send due then starts when it is free again.
    const free = (at: number) => ((at - now) % 500 < 150 ? at - ((at - now) % 500) + 150 : at)
    const run = (pacer: Pacer) => {
      const starts: number[] = []
      let t = now + 150
      for (let i = 0; i < 800; i++) {
        t = free(pacer.earliest(0, t)) + (i % 3) // and timers fire 0-2 ms late
        pacer.claim(t, false)
        starts.push(t)
      }
      return starts
    }
    const starts = run(new Pacer({ perChatIntervalMs: 0, perBotPerSecond: 80 }))
    const first = starts[0] ?? 0
    const last = starts.at(-1) ?? 0
    // Forgetting the missed slots (this pacer before catch-up) left 0.70 of the rate here; catching up keeps 0.93+.
    expect((799 / (last - first)) * 1000).toBeGreaterThan(80 * 0.93)
    const inWindow = (s: number) => starts.filter((x) => x > s - 1000 && x <= s).length
    expect(Math.max(...starts.map(inWindow))).toBeLessThanOrEqual(77)
    for (const [i, s] of starts.entries()) if (i > 0) expect(s - (starts[i - 1] ?? 0)).toBeGreaterThan(6.25 - 1e-6)
  })

  it("counts a send that left late from its arrival, so a stall does not put more in the platform's window", () => {
    // Every 2 s the thread stalls for 150 ms: sends started then leave when it ends, together. Each answer is back
    // 100 ms after arrival and is reported (arrived) before the next send is claimed, as the drain sees it.
    const run = (report: boolean) => {
      const pacer = new Pacer({ perChatIntervalMs: 0, perBotPerSecond: 30 })
      const arrivals: number[] = []
      let pending: { start: number; answered: number }[] = []
      let t = now
      for (let i = 0; i < 600; i++) {
        for (;;) {
          const next = pacer.earliest(0, t)
          const back = pending.filter((p) => p.answered <= next)
          t = next
          if (back.length === 0) break
          if (report) for (const p of back) pacer.arrived(p.start, p.answered)
          pending = pending.filter((p) => p.answered > next)
        }
        pacer.claim(t, false)
        const phase = (t - now) % 2000
        const arrival = t + (phase < 150 ? 150 - phase : 0) + 5
        arrivals.push(arrival)
        pending.push({ start: t, answered: arrival + 100 })
      }
      const inWindow = (a: number) => arrivals.filter((x) => x > a - 1000 && x <= a).length
      const last = arrivals.at(-1) ?? now
      return { worst: Math.max(...arrivals.map(inWindow)), rate: (599 / (last - (arrivals[0] ?? now))) * 1000 }
    }
    // Counting starts only, the platform saw more than its 30 in one second (a 429 and a second's pause).
    expect(run(false).worst).toBeGreaterThan(30)
    const reported = run(true)
    expect(reported.worst).toBeLessThanOrEqual(30)
    expect(reported.rate).toBeGreaterThan(30 * 0.9)
  })

  it("holds group chats to the per-minute group limit and honours a bot pause", () => {
    const pacer = new Pacer({ perChatIntervalMs: 1000, perBotPerSecond: 30, perGroupPerMinute: 20 })
    expect(pacer.claim(now, true)).toBe(now + 3000 + CHAT_MARGIN_MS)
    pacer.pauseBot(now + 5000)
    expect(pacer.earliest(0, now)).toBe(now + 5000)
  })
})
