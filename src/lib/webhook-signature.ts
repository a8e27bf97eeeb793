/**
 * How Switchboard signs what it posts to a business's own endpoint (forward handler calls, alerts), so the receiver
 * can trust it: `X-Switchboard-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` with the endpoint's
 * signing secret, and `X-Switchboard-Timestamp: <unix seconds>` (a receiver refuses old timestamps: no replays).
 */
import { hmacSha256Hex } from "./crypto"

export const TIMESTAMP_HEADER = "X-Switchboard-Timestamp"
export const SIGNATURE_HEADER = "X-Switchboard-Signature"

/** The two signature headers for `body` (the exact bytes posted), signed at `now`. */
export async function signatureHeaders(
  secret: string,
  body: string,
  now = Date.now(),
): Promise<Record<string, string>> {
  const timestamp = String(Math.floor(now / 1000))
  return {
    [TIMESTAMP_HEADER]: timestamp,
    [SIGNATURE_HEADER]: `sha256=${await hmacSha256Hex(secret, `${timestamp}.${body}`)}`,
  }
}
