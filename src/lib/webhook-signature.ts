/**
 * How Switchboard signs what it posts to a business's own endpoint (forward handler calls, alerts), so the receiver
 * can trust it. Standard Webhooks (https://www.standardwebhooks.com), which its libraries verify as they are
 * (`new Webhook(secret).verify(rawBody, headers)`):
 * - `webhook-id`: the message's id, the same on every retry of it (a receiver drops duplicates by it);
 * - `webhook-timestamp`: this attempt's time, Unix seconds (a receiver refuses old ones: no replays);
 * - `webhook-signature`: `v1,` + base64 HMAC-SHA256 of `"<webhook-id>.<webhook-timestamp>.<raw body>"`.
 * The HMAC key (`standardWebhooksKey`): for a secret `whsec_<base64>`, the form Switchboard issues, the bytes the
 * base64 decodes to, as the spec has it; for any other secret (given by the business, or issued before secrets took
 * that form), the secret's UTF-8 bytes: `new Webhook("whsec_" + base64(utf8(secret)))` verifies those.
 * Deprecated, sent until the next version: `X-Switchboard-Timestamp` (the same seconds) and
 * `X-Switchboard-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`, keyed with the secret's UTF-8 bytes
 * whatever its form (so receivers built on them keep working with a `whsec_` secret too).
 */
import { hmacSha256Hex } from "./crypto"
import { toHex, utf8 } from "./encoding"

export const ID_HEADER = "webhook-id"
export const STANDARD_TIMESTAMP_HEADER = "webhook-timestamp"
export const STANDARD_SIGNATURE_HEADER = "webhook-signature"
/** @deprecated Sent until the next version: `webhook-timestamp` says the same. */
export const TIMESTAMP_HEADER = "X-Switchboard-Timestamp"
/** @deprecated Sent until the next version: verify `webhook-signature` instead. */
export const SIGNATURE_HEADER = "X-Switchboard-Signature"

const PREFIX = "whsec_"
/** Standard base64, padded: what Standard Webhooks libraries decode after `whsec_`. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

const toBase64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes))

/** A new signing secret in the Standard Webhooks form: `whsec_` + base64 of 32 random bytes. */
export function newSigningSecret(): string {
  return PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(32)))
}

/** Whether `secret` is `whsec_` + padded standard base64 of at least one byte (then its key is those bytes). */
export function isStandardSecret(secret: string): boolean {
  const encoded = secret.slice(PREFIX.length)
  return secret.startsWith(PREFIX) && encoded !== "" && BASE64.test(encoded)
}

/** The HMAC key of `webhook-signature` (see the top of this file). */
export function standardWebhooksKey(secret: string): Uint8Array<ArrayBuffer> {
  if (!isStandardSecret(secret)) return utf8(secret)
  const bin = atob(secret.slice(PREFIX.length))
  return Uint8Array.from(bin, (c) => c.charCodeAt(0))
}

/**
 * The `webhook-id` of the forward call for a bot's inbound event: `msg_` + 32 hex digits of
 * SHA-256(`<botId>:<eventId>`). The platform's event id is the same on its redeliveries and on our retries, and the bot
 * id keeps two bots' events apart (Telegram's update ids are per bot); hashed, so a platform's id (WhatsApp's have
 * dots) never reaches the signed `id.timestamp.body` string as it is.
 */
export async function forwardWebhookId(botId: string, eventId: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", utf8(`${botId}:${eventId}`))
  return `msg_${toHex(new Uint8Array(digest).subarray(0, 16))}`
}

async function standardSignature(secret: string, id: string, timestamp: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    standardWebhooksKey(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  )
  const mac = await crypto.subtle.sign("HMAC", key, utf8(`${id}.${timestamp}.${body}`))
  return `v1,${toBase64(new Uint8Array(mac))}`
}

/**
 * The signature headers for `body` (the exact bytes posted) of the message `id` (a `webhook-id`: stable across
 * retries, no `.`), signed at `now`: the three Standard Webhooks ones and the two deprecated X-Switchboard ones.
 */
export async function signatureHeaders(
  secret: string,
  id: string,
  body: string,
  now = Date.now(),
): Promise<Record<string, string>> {
  const timestamp = String(Math.floor(now / 1000))
  return {
    [ID_HEADER]: id,
    [STANDARD_TIMESTAMP_HEADER]: timestamp,
    [STANDARD_SIGNATURE_HEADER]: await standardSignature(secret, id, timestamp, body),
    [TIMESTAMP_HEADER]: timestamp,
    [SIGNATURE_HEADER]: `sha256=${await hmacSha256Hex(secret, `${timestamp}.${body}`)}`,
  }
}
