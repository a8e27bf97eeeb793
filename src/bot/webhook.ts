/** What a webhook delivery is when it crosses from the worker to a bot's Durable Object, and what comes back. */
import { fromUtf8 } from "../lib/encoding"
import { err, ok, type Result } from "../lib/result"
import type { InboundMessage, InboundRequest, WebhookReply } from "../providers/types"
import type { BotSnapshot } from "../registry/schemas"
import type { LogDetail, LogLevel } from "./activity-log"
import { headerLookup } from "./intake"
import type { UnsealedBot } from "./runtime"

/** A webhook request as the worker hands it over: the exact raw bytes, for signature checks. */
export interface WebhookInput {
  /** The platform the route belongs to: a bot only answers on its own platform's path. */
  platform: string
  method: string
  url: string
  headers: [string, string][]
  body: ArrayBuffer
  /** Set by an app-level route, which already verified the app's signature. */
  preVerified?: boolean
  /** The delivery's `X-Request-Id`: it follows each event into the bot's log and the forward handler's call. */
  requestId?: string
}

/**
 * What became of a webhook the bot took. `reply` is the answer the provider wrote itself, when the platform
 * expects one (Slack's challenge, Discord's PING): otherwise the route answers a plain 200.
 */
export type WebhookOutcome =
  /** Its events are durably in the inbox (or were already: duplicates). */
  | { kind: "stored"; accepted: number; duplicates: number; reply: WebhookReply | null }
  /** Verified and parsed, but the bot is stopped: acknowledged so the platform stops retrying, not handled. */
  | { kind: "dropped"; events: number; reply: WebhookReply | null }
  /** An unverified handshake the provider answers itself (WhatsApp's hub.challenge). */
  | { kind: "answered"; reply: WebhookReply }

/** Why a webhook was refused. */
export type WebhookRefusal =
  | { kind: "not_found" }
  | { kind: "unverified"; message: string }
  | { kind: "malformed"; message: string }

/** What taking a webhook needs of the bot's object. */
export interface WebhookPort {
  snapshot(): BotSnapshot | null
  load(): Promise<UnsealedBot>
  log(level: LogLevel, event: string, message: string, detail?: LogDetail): void
  /** Durably into the inbox (throws when nothing could be stored: the platform then gets a 500 and retries). */
  store(events: InboundMessage[]): Promise<{ fresh: number; duplicates: number }>
}

/**
 * Verify, parse, de-duplicate and store a webhook delivery; the handler runs later, from the alarm. A handshake the
 * provider answers itself (GET) needs no signature; everything else is verified before it is read.
 */
export async function receiveWebhook(
  port: WebhookPort,
  input: WebhookInput,
): Promise<Result<WebhookOutcome, WebhookRefusal>> {
  const snapshot = port.snapshot()
  if (!snapshot || snapshot.platform !== input.platform) return err({ kind: "not_found" })
  const { provider, runtime } = await port.load()
  const req: InboundRequest = { method: input.method, url: input.url, headers: headerLookup(input.headers) }
  if (input.method === "GET") {
    const challenge = provider.challenge?.(req, runtime)
    if (!challenge) return err({ kind: "malformed", message: "no challenge in request" })
    return ok({ kind: "answered", reply: challenge })
  }
  const raw = new Uint8Array(input.body)
  if (!input.preVerified) {
    const verified = await provider.verify(req, raw, runtime)
    if (!verified.ok) {
      port.log("warn", "webhook.rejected", `Webhook rejected: ${verified.error.message}`, {
        requestId: input.requestId ?? null,
      })
      return err({ kind: "unverified", message: verified.error.message })
    }
  }
  const text = fromUtf8(raw)
  const parsed = provider.parse(text, runtime)
  if (!parsed.ok) return err({ kind: "malformed", message: `malformed update: ${parsed.error.message}` })
  const stopped = snapshot.status === "stopped"
  const reply = provider.reply?.(text, parsed.value, runtime, !stopped) ?? null
  if (stopped) {
    if (parsed.value.length > 0)
      port.log("info", "webhook.dropped", `Dropped ${parsed.value.length} event(s): bot is stopped`)
    return ok({ kind: "dropped", events: parsed.value.length, reply })
  }
  const { requestId } = input
  const events = requestId ? parsed.value.map((e) => ({ ...e, metadata: { ...e.metadata, requestId } })) : parsed.value
  const { fresh, duplicates } = await port.store(events)
  return ok({ kind: "stored", accepted: fresh, duplicates, reply })
}
