/** When the next send may start: the platform's per-bot rate, per-chat gaps and 429 pauses, pure and in memory. */
import type { RateLimits } from "../providers/types"

/** Upper bound of the safety margin added to per-chat gaps. */
export const CHAT_MARGIN_MS = 50
/**
 * Share of the platform's per-bot rate we aim at. Platforms count sends in a sliding window by arrival, and arrivals
 * jitter; pacing at exactly the limit turns every jitter into a 429 and a full retry_after pause for the whole bot.
 */
export const RATE_HEADROOM = 0.97

/** Platforms count a bot's sends in a sliding window of this length. */
export const RATE_WINDOW_MS = 1000

/** Round trips remembered for the quickest one (see Pacer.arrived). */
const TRIPS_KEPT = 64

/**
 * Pacing state for one bot: the earliest time the next send may start, bot-wide and per chat.
 *
 * Sends to different chats run concurrently, on an even grid of 1/(perBotPerSecond x headroom); a chat waits its
 * interval. The grid keeps the steady state smooth and a bot that was idle starts a fresh one (no burst). A send
 * that starts late (a busy thread, a slow timer) does not push every later slot back, which would leave the bot
 * below its rate for good: slots missed within the last window are caught up, two sends never closer than half
 * the platform's spacing. What makes catching up safe is a log of the last sends: never more than `budget` (the
 * rate with headroom) start in any one window, the platform's own rule, so a catch-up burst stays within it.
 */
export class Pacer {
  private nextBotSlot = 0
  private pausedUntil = 0
  private lastClaim = Number.NEGATIVE_INFINITY
  /**
   * The last sends (a ring of twice the budget): each one's start, and its round trip once its answer is back
   * (`arrived`). A send that left late can arrive after sends that started after it, so the window is judged over
   * more than the last `budget` starts.
   */
  private readonly recent: { start: number; trip: number | null }[] = []
  private nextRecent = 0
  /** Round trips of the last sends (a ring): the shortest is what a send that was not held up takes. */
  private readonly trips: number[] = []
  private nextTrip = 0

  constructor(private readonly limits: RateLimits) {}

  /** The platform's minimum spacing at its full rate. */
  get minSpacing(): number {
    return 1000 / this.limits.perBotPerSecond
  }

  /** The spacing we aim at, a little under the platform's rate. */
  get interval(): number {
    return this.minSpacing / RATE_HEADROOM
  }

  /** Sends allowed to start in any one window. */
  get budget(): number {
    return Math.max(1, Math.floor((this.limits.perBotPerSecond * RATE_WINDOW_MS * RATE_HEADROOM) / 1000))
  }

  pauseBot(until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until)
  }

  /** When a send to a chat that became free at `chatFreeAt` can start. */
  earliest(chatFreeAt: number, now: number): number {
    const spaced = this.lastClaim + this.minSpacing / 2
    return Math.max(now, chatFreeAt, this.nextBotSlot, spaced, this.pausedUntil, this.windowOpensAt())
  }

  /** Claims the bot-wide slot for a send starting at `at` and returns when that chat is free again. */
  claim(at: number, isGroup: boolean): number {
    // After a window without sends the bot was idle, not late: start a fresh grid, no burst. Otherwise slots
    // missed within the last window are caught up.
    const idle = at - this.lastClaim > RATE_WINDOW_MS
    const slot = idle ? at : Math.max(this.nextBotSlot, at - RATE_WINDOW_MS)
    this.nextBotSlot = slot + this.interval // may stay behind `at`: the missed slots still to catch up
    this.lastClaim = at
    this.remember(at)
    const group = isGroup && this.limits.perGroupPerMinute ? 60_000 / this.limits.perGroupPerMinute : 0
    const gap = Math.max(this.limits.perChatIntervalMs, group)
    // The platform measures the gap by arrival, and two requests don't take equally long to arrive: keep a margin.
    return at + gap + Math.min(CHAT_MARGIN_MS, gap * 0.05)
  }

  /**
   * A send that started at `startedAt` was answered at `answeredAt`; returns how much later than the quickest
   * recent send it arrived, as far as can be told. Platforms count by arrival, and a send can leave late: a busy
   * thread, a slow storage commit holding it. The platform then sees it together with the sends that left on
   * time, more in one window than we started in any (each such burst was a 429 and a second's pause of the bot).
   * So the window counts it from its estimated arrival: the start plus its round trip beyond the quickest one.
   */
  arrived(startedAt: number, answeredAt: number): number {
    const trip = Math.max(0, answeredAt - startedAt)
    this.trips[this.nextTrip] = trip
    this.nextTrip = (this.nextTrip + 1) % TRIPS_KEPT
    const sent = this.recent.find((r) => r.start === startedAt && r.trip === null)
    if (sent) sent.trip = trip
    return trip - Math.min(...this.trips)
  }

  /**
   * When fewer than `budget` sends are in the window again (0: they are now): each send counts for a window from
   * its estimated arrival (its start, plus its round trip beyond the quickest recent one), so the `budget`-th
   * latest arrival must have left it. The quickest trip is judged now, not when each answer came: the first
   * answers after an idle spell may all have been held up.
   */
  private windowOpensAt(): number {
    if (this.recent.length < this.budget) return 0
    const quickest = this.trips.length > 0 ? Math.min(...this.trips) : 0
    const arrivals = this.recent
      .map((r) => r.start + (r.trip === null ? 0 : Math.max(0, r.trip - quickest)))
      .sort((a, b) => a - b)
    return (arrivals[arrivals.length - this.budget] ?? 0) + RATE_WINDOW_MS
  }

  private remember(at: number): void {
    this.recent[this.nextRecent] = { start: at, trip: null }
    this.nextRecent = (this.nextRecent + 1) % (2 * this.budget)
  }
}
