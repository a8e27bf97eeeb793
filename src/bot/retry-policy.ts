/**
 * The send queue's retry policy, pure: what to do after each failed send attempt. The Durable Object applies these
 * decisions; tests exercise them without a runtime.
 */
import { backoffDelay } from "../lib/backoff"
import type { ProviderError } from "../providers/types"

export const MAX_ATTEMPTS = 8
/** Rate-limit retries don't count as failures, but a message can't wait forever either. */
export const MAX_RATE_LIMITED = 50
export const RETRY_BACKOFF = { baseMs: 1_000, capMs: 5 * 60_000 }
/** Back-off for a 429 that carried no retry hint (WhatsApp throughput codes). */
export const THROTTLE_BACKOFF = { baseMs: 1_000, capMs: 60_000 }

export type Decision =
  /** Try again at `at`; `pause` says whom to hold back until then besides this item. */
  | { type: "retry"; at: number; countsAsAttempt: boolean; pause: "none" | "chat" | "bot"; reason: string }
  /** Dead-letter: never retried; the error stays on the item. */
  | { type: "fail"; reason: string }
  /** The platform revoked our credentials: stop the bot, keep its queue for when it is fixed. */
  | { type: "stop_bot"; reason: string }
  /** Resend to another chat id (Telegram group upgraded to supergroup). */
  | { type: "redirect"; chatId: string; reason: string }

export interface AttemptState {
  attempts: number
  rateLimited: number
}

/** Decides what follows a failed send. `state` counts the attempts before this one. */
export function decide(
  error: ProviderError,
  state: AttemptState,
  now: number,
  random: () => number = Math.random,
): Decision {
  const reason = `${error.kind}: ${error.message}`
  switch (error.kind) {
    case "rate_limited": {
      if (state.rateLimited + 1 >= MAX_RATE_LIMITED)
        return { type: "fail", reason: `gave up after ${MAX_RATE_LIMITED} rate limits: ${reason}` }
      const wait = error.retryAfterMs ?? backoffDelay(state.rateLimited + 1, THROTTLE_BACKOFF, random)
      return {
        type: "retry",
        at: now + wait,
        countsAsAttempt: false,
        pause: error.scope === "chat" ? "chat" : "bot",
        reason,
      }
    }
    case "unavailable": {
      if (state.attempts + 1 >= MAX_ATTEMPTS)
        return { type: "fail", reason: `gave up after ${MAX_ATTEMPTS} attempts: ${reason}` }
      const wait = Math.max(error.retryAfterMs ?? 0, backoffDelay(state.attempts + 1, RETRY_BACKOFF, random))
      return { type: "retry", at: now + wait, countsAsAttempt: true, pause: "none", reason }
    }
    case "unauthorized":
      return { type: "stop_bot", reason }
    case "migrated":
      return { type: "redirect", chatId: error.migrateTo, reason }
    case "forbidden":
    case "not_found":
    case "bad_request":
    case "window_closed":
      return { type: "fail", reason }
  }
}
