/** AES-GCM for secrets at rest, HMAC-SHA256 signing, and constant-time comparison (WebCrypto only). */
import { fromBase64Url, fromUtf8, toBase64Url, toHex, utf8 } from "./encoding"

const VERSION = "v1"
const keyCache = new Map<string, Promise<CryptoKey>>()

/**
 * Imports `ENCRYPTION_KEY` (32 random bytes, base64 or base64url) as an AES-256-GCM key.
 * A key of the wrong size is a deployment mistake: fail loudly rather than encrypt weakly.
 */
export function encryptionKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret)
  if (!key) {
    const raw = fromBase64Url(secret.trim().replace(/\+/g, "-").replace(/\//g, "_"))
    if (raw?.length !== 32) throw new Error("ENCRYPTION_KEY must be 32 random bytes, base64-encoded")
    key = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"])
    keyCache.set(secret, key)
  }
  return key
}

/** Seals a value as `v1.<iv>.<ciphertext>`; `aad` binds the ciphertext to its owner (e.g. the bot id). */
export async function seal(secret: string, plaintext: string, aad: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12))
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: utf8(aad) },
    await encryptionKey(secret),
    utf8(plaintext),
  )
  return `${VERSION}.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(ct))}`
}

export async function open(secret: string, sealed: string, aad: string): Promise<string> {
  const [version, ivText, ctText] = sealed.split(".")
  const iv = ivText ? fromBase64Url(ivText) : null
  const ct = ctText ? fromBase64Url(ctText) : null
  if (version !== VERSION || !iv || !ct) throw new Error("sealed value is malformed")
  const pt = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv, additionalData: utf8(aad) },
    await encryptionKey(secret),
    ct,
  )
  return fromUtf8(new Uint8Array(pt))
}

export async function hmacSha256Hex(key: string, data: string | Uint8Array<ArrayBuffer>): Promise<string> {
  const k = await crypto.subtle.importKey("raw", utf8(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"])
  const sig = await crypto.subtle.sign("HMAC", k, typeof data === "string" ? utf8(data) : data)
  return toHex(sig)
}

/** Compares two strings without leaking where they differ (workerd's timingSafeEqual needs equal lengths). */
export function safeEqual(a: string, b: string): boolean {
  const ab = utf8(a)
  const bb = utf8(b)
  if (ab.length !== bb.length) {
    crypto.subtle.timingSafeEqual(ab, ab)
    return false
  }
  return crypto.subtle.timingSafeEqual(ab, bb)
}
