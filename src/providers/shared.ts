/** Small helpers every provider uses: one copy each, so platforms read a header or a transport failure alike. */
import type { ProviderError } from "./types"

/** A platform call's default deadline (body included); `ProviderIO.timeoutMs` overrides it. */
export const DEFAULT_TIMEOUT_MS = 10_000

/** Drops undefined values so stored events stay small and compare cleanly. */
export function compact(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))
}

/** `Retry-After` in seconds (RFC 9110 delay-seconds; an HTTP date is not used by these platforms), as ms. */
export function retryAfterMs(headers: Headers): number | undefined {
  const value = headers.get("Retry-After")?.trim()
  return value !== undefined && /^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : undefined
}

/** JSON.parse that returns undefined instead of throwing. */
export function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/**
 * A call that got no answer (timeout, refused, reset): always `unavailable`, so the queue retries it. `secret` is
 * cut out of the runtime's message: Telegram's token sits in the URL, and messages reach logs.
 */
export function transportError(platform: string, e: unknown, timeoutMs: number, secret?: string): ProviderError {
  const name = e instanceof Error || e instanceof DOMException ? e.name : ""
  if (name === "TimeoutError" || name === "AbortError")
    return { kind: "unavailable", message: `${platform} did not answer within ${timeoutMs} ms` }
  const raw = e instanceof Error ? e.message : "unknown error"
  const detail = secret ? raw.split(secret).join("<token>") : raw
  return { kind: "unavailable", message: `network error calling ${platform}: ${detail}` }
}
