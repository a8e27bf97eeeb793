/** Capped exponential backoff with full jitter (so retries of many items don't arrive in lockstep). */
export interface BackoffOptions {
  baseMs: number
  capMs: number
}

/** attempt 1 -> up to base, 2 -> up to 2*base, ... never above cap; `random` is injectable for tests. */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(opts.capMs, opts.baseMs * 2 ** Math.max(0, attempt - 1))
  // Full jitter, but never less than a tenth of the ceiling: an immediate retry helps no one.
  return Math.round(ceiling * (0.1 + 0.9 * random()))
}
