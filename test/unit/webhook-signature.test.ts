// What Switchboard signs its calls to a business's endpoint with (src/lib/webhook-signature.ts), checked by the
// Standard Webhooks reference library a receiver would use (`standardwebhooks` on npm).
import { Webhook } from "standardwebhooks"
import { describe, expect, it } from "vitest"
import { hmacSha256Hex } from "../../src/lib/crypto"
import {
  forwardWebhookId,
  isStandardSecret,
  newSigningSecret,
  signatureHeaders,
  standardWebhooksKey,
} from "../../src/lib/webhook-signature"

const body = JSON.stringify({ type: "message", text: "héllo. ✓" })
const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes))

describe("webhook signatures", () => {
  it("issues whsec_ secrets of 32 random bytes, and signs so that new Webhook(secret) verifies", async () => {
    const secret = newSigningSecret()
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    expect(standardWebhooksKey(secret)).toHaveLength(32)
    expect(newSigningSecret()).not.toBe(secret)
    const headers = await signatureHeaders(secret, "msg_1", body)
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body))
    expect(headers["webhook-id"]).toBe("msg_1")
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/)
    expect(() => new Webhook(secret).verify(body.replace("héllo", "hello"), headers)).toThrow(/signature/)
    expect(() => new Webhook(secret).verify(body, { ...headers, "webhook-id": "msg_2" })).toThrow(/signature/)
    expect(() => new Webhook(newSigningSecret()).verify(body, headers)).toThrow(/signature/)
    const old = await signatureHeaders(secret, "msg_1", body, Date.now() - 10 * 60_000)
    expect(() => new Webhook(secret).verify(body, old)).toThrow(/too old/)
  })

  it("keys any other secret with its UTF-8 bytes, which a receiver passes as whsec_ + their base64", async () => {
    const secret = "0123456789abcdef-chosen-by-the-business-ü"
    expect(isStandardSecret(secret)).toBe(false)
    const headers = await signatureHeaders(secret, "alert_1", body)
    const wrapped = `whsec_${base64(new TextEncoder().encode(secret))}`
    expect(new Webhook(wrapped).verify(body, headers)).toEqual(JSON.parse(body))
    // A whsec_ prefix on something that is not base64 is a secret like any other.
    expect(isStandardSecret("whsec_not base64!")).toBe(false)
    expect(standardWebhooksKey("whsec_not base64!")).toEqual(new TextEncoder().encode("whsec_not base64!"))
    expect(isStandardSecret("whsec_")).toBe(false)
  })

  it("still sends the deprecated X-Switchboard headers, keyed with the whole secret's UTF-8 bytes", async () => {
    for (const secret of [newSigningSecret(), "an-older-secret-0123456789"]) {
      const headers = await signatureHeaders(secret, "msg_1", body, 1_767_225_600_000)
      expect(headers["X-Switchboard-Timestamp"]).toBe("1767225600")
      expect(headers["webhook-timestamp"]).toBe("1767225600")
      expect(headers["X-Switchboard-Signature"]).toBe(`sha256=${await hmacSha256Hex(secret, `1767225600.${body}`)}`)
    }
  })

  it("names a forwarded message by its bot and its event: stable, per bot, and without dots", async () => {
    const id = await forwardWebhookId("bot_1", "wamid.HBgLMTU1NTAxMjM0NTYVAgARGBI=")
    expect(id).toMatch(/^msg_[0-9a-f]{32}$/)
    expect(await forwardWebhookId("bot_1", "wamid.HBgLMTU1NTAxMjM0NTYVAgARGBI=")).toBe(id)
    expect(await forwardWebhookId("bot_2", "wamid.HBgLMTU1NTAxMjM0NTYVAgARGBI=")).not.toBe(id)
    expect(await forwardWebhookId("bot_1", "90001")).not.toBe(id)
  })
})
