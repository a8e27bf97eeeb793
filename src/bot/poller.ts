/**
 * Long polling for bots that cannot receive webhooks (Telegram getUpdates): the bot's alarm asks the platform for
 * what is new, stores the events in the same inbox as webhooks (same de-duplication, handlers, counters) together
 * with the cursor that confirms them, so a restart neither loses nor repeats an update.
 */
import { backoffDelay } from "../lib/backoff"
import { abortableFetch } from "../lib/http"
import type { InboundMessage } from "../providers/types"
import type { BotSnapshot } from "../registry/schemas"
import type { LogDetail, LogLevel } from "./activity-log"
import type { BotMeta } from "./meta"
import type { UnsealedBot } from "./runtime"

/** How long one getUpdates may wait for news (Telegram allows 50 s; an alarm should hand over sooner). */
export const POLL_WAIT_SECONDS = 25
const POLL_BACKOFF = { baseMs: 2_000, capMs: 60_000 }

export interface PollerPort {
  meta: BotMeta
  snapshot(): BotSnapshot | null
  load(): Promise<UnsealedBot>
  /** Writes the events into the inbox and the cursor into meta in one transaction; returns how many were new. */
  store(events: InboundMessage[], cursor: string | null): Promise<number>
  /** The platform refused the poll for good (revoked token, a webhook set elsewhere): the bot goes to error. */
  halt(reason: string): Promise<void>
  log(level: LogLevel, event: string, message: string, detail?: LogDetail): void
}

export class Poller {
  private nextAt = 0
  private failures = 0
  private running: AbortController | null = null

  constructor(private readonly port: PollerPort) {}

  /** Whether this bot polls now: active, configured for polling. */
  active(): boolean {
    const snapshot = this.port.snapshot()
    return snapshot?.status === "active" && snapshot.config.updates.mode === "polling"
  }

  /** When the next poll should start, or null when the bot does not poll. */
  nextPollAt(): number | null {
    return this.active() && !this.running ? this.nextAt : null
  }

  due(now: number): boolean {
    return this.active() && !this.running && now >= this.nextAt
  }

  /** Abandons a poll in flight (the bot was stopped or deleted): its events stay unconfirmed on the platform. */
  cancel(): void {
    this.running?.abort(new DOMException("polling stopped", "AbortError"))
  }

  /** One long poll; returns how many new events it stored. */
  async pollOnce(): Promise<number> {
    const { snapshot, provider, runtime } = await this.port.load()
    const poll = provider.poll
    if (!poll || snapshot.config.updates.mode !== "polling") return 0
    const interval = snapshot.config.updates.intervalMs
    const controller = new AbortController()
    this.running = controller
    const io = { fetch: abortableFetch(controller.signal) }
    try {
      const result = await poll.call(provider, runtime, io, this.port.meta.pollCursor(), POLL_WAIT_SECONDS)
      // Stopped (or reconfigured) while waiting: leave what came unconfirmed, the platform keeps it.
      if (controller.signal.aborted || !this.active()) return 0
      this.port.meta.notePoll(Date.now())
      if (result.ok) {
        this.failures = 0
        this.nextAt = Date.now() + interval
        return await this.port.store(result.value.events, result.value.cursor)
      }
      const error = result.error
      if (error.kind === "unavailable" || error.kind === "rate_limited") {
        this.failures++
        const wait = error.retryAfterMs ?? backoffDelay(this.failures, POLL_BACKOFF)
        this.nextAt = Date.now() + wait
        this.port.log(
          "warn",
          "poll.retry",
          `Polling failed, retrying in ${Math.round(wait / 1000)} s: ${error.message}`,
        )
        return 0
      }
      // 401 (revoked token), 409 (a webhook is set elsewhere, or another poller runs): nothing to retry.
      await this.port.halt(`polling refused by the platform: ${error.message}`)
      return 0
    } finally {
      if (this.running === controller) this.running = null
    }
  }
}
