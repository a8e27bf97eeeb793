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
  /** Start times of the last `budget` sends, oldest first (a ring). */
  private readonly recent: number[] = []
  private oldest = 0

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

  /** When the window holds fewer than `budget` sends again (0: it does now). */
  private windowOpensAt(): number {
    if (this.recent.length < this.budget) return 0
    return (this.recent[this.oldest] ?? 0) + RATE_WINDOW_MS
  }

  private remember(at: number): void {
    if (this.recent.length < this.budget) {
      this.recent.push(at)
      return
    }
    this.recent[this.oldest] = at
    this.oldest = (this.oldest + 1) % this.budget
  }
}
