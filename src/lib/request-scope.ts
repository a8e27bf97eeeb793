/**
 * The API request a Durable Object call is working for: its `X-Request-Id`, carried over the RPC as an argument and
 * kept for the call's whole async run, so everything the call logs (a webhook registered, a bot stopped) names the
 * request that caused it without each step passing it along.
 */
import { AsyncLocalStorage } from "node:async_hooks"

const scope = new AsyncLocalStorage<string>()

/** Runs `fn` as part of request `requestId` (no-op without one). */
export function withRequestId<T>(requestId: string | undefined, fn: () => Promise<T>): Promise<T> {
  return requestId ? scope.run(requestId, fn) : fn()
}

/** The request the current call is working for, if any. */
export function currentRequestId(): string | undefined {
  return scope.getStore()
}
