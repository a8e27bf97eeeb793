/** Outbound HTTP with a deadline that covers the body too, and whose timer is cleared as soon as the call ends. */

/**
 * A fetch that `signal` can also abort, on top of whatever signal each call brings (its own timeout): what lets an
 * owner abandon every call it made at once (a deleted bot's sends, a stopped bot's long poll).
 */
export function abortableFetch(signal: AbortSignal): typeof fetch {
  return (input, init) =>
    fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal })
}

export interface FetchedText {
  status: number
  headers: Headers
  text: string
}

export interface FetchLimits {
  /** Read at most this many bytes of the answer; more rejects with an `AnswerTooLarge` error. */
  maxBytes?: number
}

/** The answer's body was larger than the caller allowed. */
export class AnswerTooLarge extends Error {
  constructor(maxBytes: number) {
    super(`answer larger than ${maxBytes} bytes`)
    this.name = "AnswerTooLarge"
  }
}

/**
 * Like `fetch` + `res.text()` under one timeout. Unlike `AbortSignal.timeout`, the timer does not outlive the call:
 * a pending timer keeps a Durable Object busy (and billed, and not evictable) long after the answer came back.
 * Rejects with a `TimeoutError` DOMException when the deadline passes.
 */
export async function fetchText(
  fetchFn: typeof fetch,
  url: string,
  init: RequestInit,
  timeoutMs: number,
  limits: FetchLimits = {},
): Promise<FetchedText> {
  const controller = new AbortController()
  const timer = setTimeout(
    () => controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, "TimeoutError")),
    timeoutMs,
  )
  try {
    const res = await fetchFn(url, { ...init, signal: controller.signal })
    const text = limits.maxBytes === undefined ? await res.text() : await readAtMost(res, limits.maxBytes)
    return { status: res.status, headers: res.headers, text }
  } finally {
    clearTimeout(timer)
  }
}

async function readAtMost(res: Response, maxBytes: number): Promise<string> {
  const reader = res.body?.getReader()
  if (!reader) return ""
  const decoder = new TextDecoder()
  let size = 0
  let text = ""
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel()
      throw new AnswerTooLarge(maxBytes)
    }
    text += decoder.decode(value, { stream: true })
  }
  return text + decoder.decode()
}
