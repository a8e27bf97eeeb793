/** Byte/string encodings shared by crypto, ids and cursors (Workers have no Buffer without nodejs_compat). */
const encoder = new TextEncoder()
const decoder = new TextDecoder()

export const utf8 = (s: string): Uint8Array<ArrayBuffer> => new Uint8Array(encoder.encode(s))
export const fromUtf8 = (b: Uint8Array): string => decoder.decode(b)

export function toHex(bytes: Uint8Array | ArrayBuffer): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)
  let out = ""
  for (const b of view) out += b.toString(16).padStart(2, "0")
  return out
}

export function toBase64Url(bytes: Uint8Array): string {
  let bin = ""
  for (const b of bytes) bin += String.fromCharCode(b)
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
}

/** Returns null instead of throwing on malformed input, so callers can answer 400. */
export function fromBase64Url(s: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(s)) return null
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "")
  try {
    const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4))
    const out = new Uint8Array(bin.length)
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
    return out
  } catch {
    return null
  }
}

export function randomToken(bytes = 32): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(bytes)))
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

/**
 * `s` with each lone UTF-16 surrogate replaced by U+FFFD (ES2024's String#toWellFormed). A JSON body can carry one
 * (`"\ud800"`); bound as SQL text it is stored as bytes that read back as a different string, so a key written
 * with it is never found again.
 */
export const wellFormed = (s: string): string => s.replace(LONE_SURROGATE, "\ufffd")
