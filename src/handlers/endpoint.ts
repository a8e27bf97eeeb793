/**
 * The one way handlers call a business's endpoint (forward URL, AI API): the URL must pass the outbound policy,
 * redirects are not followed, at most 1 MB of answer is read, and every way of not getting an answer (refused,
 * unreachable, timed out) reads the same, so `/test/message` cannot be used to scan ports.
 */
import { AnswerTooLarge, type FetchedText, fetchText } from "../lib/http"
import { err, ok, type Result } from "../lib/result"
import { checkOutboundUrl } from "../lib/url-guard"
import type { HandlerContext, HandlerError } from "./types"

export const MAX_ANSWER_BYTES = 1024 * 1024

export async function callEndpoint(
  ctx: HandlerContext,
  what: string,
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<Result<FetchedText, HandlerError>> {
  const checked = checkOutboundUrl(url, ctx.urlPolicy)
  if (!checked.ok) return err({ retryable: false, message: `${what} URL refused: it ${checked.reason}` })
  let res: FetchedText
  try {
    res = await fetchText(ctx.fetch, checked.url.href, { ...init, redirect: "manual" }, timeoutMs, {
      maxBytes: MAX_ANSWER_BYTES,
    })
  } catch (cause) {
    if (cause instanceof AnswerTooLarge) return err({ retryable: false, message: `${what} answered more than 1 MB` })
    return err({ retryable: true, message: `${what} did not answer` })
  }
  if (res.status >= 300 && res.status < 400)
    return err({ retryable: false, message: `${what} answered a redirect (${res.status}); redirects are not followed` })
  return ok(res)
}
