/**
 * How a bot's object reaches the business's alert URL: the business's settings from D1 (cached for half a minute,
 * read from the alarm and lifecycle paths, never a webhook's), and one signed POST, signed like a forward handler's
 * calls (lib/webhook-signature) after the same outbound URL guard, redirects not followed.
 */
import { type Env, outboundUrlPolicy } from "../env"
import { AnswerTooLarge, fetchText } from "../lib/http"
import { checkOutboundUrl } from "../lib/url-guard"
import { signatureHeaders } from "../lib/webhook-signature"
import { type AlertSettingsInput, createAlertSettingsRepository, openAlertSecret } from "../registry/alert-settings"

const CACHE_MS = 30_000
const TIMEOUT_MS = 10_000
/** An alert receiver has nothing to say back: read at most this much of its answer. */
const MAX_ANSWER_BYTES = 64 * 1024

/** The settings a bot acts on: thresholds, and where and how to post (null URL or secret: alerts are off). */
export interface ActiveAlertSettings extends AlertSettingsInput {
  secret: string | null
}

export class AlertSettingsCache {
  private cached: { businessId: string; at: number; value: ActiveAlertSettings } | null = null

  constructor(private readonly env: Env) {}

  async get(businessId: string, now: number): Promise<ActiveAlertSettings> {
    const c = this.cached
    if (c && c.businessId === businessId && now - c.at < CACHE_MS) return c.value
    const stored = await createAlertSettingsRepository(this.env.DB).get(businessId)
    const { secretEnc, ...rest } = stored
    const value = { ...rest, secret: await openAlertSecret(this.env.ENCRYPTION_KEY, businessId, secretEnc) }
    this.cached = { businessId, at: now, value }
    return value
  }
}

export type PostOutcome = { ok: true; status: number } | { ok: false; retry: boolean; reason: string }

/** One delivery attempt of an event's exact body; a refused URL is never retried, any other failure may be. */
export async function postAlert(
  env: Env,
  settings: { url: string; secret: string },
  event: { eventId: string; type: string; body: string },
): Promise<PostOutcome> {
  const checked = checkOutboundUrl(settings.url, outboundUrlPolicy(env))
  if (!checked.ok) return { ok: false, retry: false, reason: `alert URL refused: it ${checked.reason}` }
  try {
    const res = await fetchText(
      fetch,
      checked.url.href,
      {
        method: "POST",
        redirect: "manual",
        headers: {
          "Content-Type": "application/json",
          "User-Agent": "Switchboard/0.1",
          ...(await signatureHeaders(settings.secret, event.eventId, event.body)),
          "X-Switchboard-Event-Id": event.eventId,
          "X-Switchboard-Event-Type": event.type,
        },
        body: event.body,
      },
      TIMEOUT_MS,
      { maxBytes: MAX_ANSWER_BYTES },
    )
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status }
    return { ok: false, retry: true, reason: `alert URL answered ${res.status}` }
  } catch (cause) {
    if (cause instanceof AnswerTooLarge)
      return { ok: false, retry: false, reason: `alert URL answered more than ${MAX_ANSWER_BYTES} bytes` }
    return { ok: false, retry: true, reason: "alert URL did not answer" }
  }
}
