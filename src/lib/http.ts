/** Outbound HTTP with a deadline that covers the body too, and whose timer is cleared as soon as the call ends. */

export interface FetchedText {
  status: number
  headers: Headers
  text: string
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
): Promise<FetchedText> {
  const controller = new AbortController()
  const timer = setTimeout(
    () => controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, "TimeoutError")),
    timeoutMs,
  )
  try {
    const res = await fetchFn(url, { ...init, signal: controller.signal })
    return { status: res.status, headers: res.headers, text: await res.text() }
  } finally {
    clearTimeout(timer)
  }
}
