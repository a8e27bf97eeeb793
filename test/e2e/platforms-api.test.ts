// GET /api/platforms: everything a client needs to build a bot form (names, labels, help) comes from the providers.
import { describe, expect, it } from "vitest"
import { providers } from "../../src/providers"
import { api, tokenFor, uniqueBusiness } from "../helpers"

interface Field {
  name: string
  required: boolean
  secret: boolean
  label: string
  help?: string
  pattern?: string
  placeholder?: string
}
type Platforms = {
  platforms: {
    platform: string
    displayName: string
    credentialFields: Field[]
    capabilities: {
      polling: boolean
      appWebhook: boolean
      gateway: boolean
      deliveryReceipts: boolean
      serviceWindowHours: number | null
    }
  }[]
}

const get = async () =>
  api<Platforms>("GET", "/api/platforms", { token: await tokenFor(uniqueBusiness("platforms"), "viewer") })

describe("platforms API", () => {
  it("gives every registered platform its display name, and every credential field a label", async () => {
    const res = await get()
    expect(res.status).toBe(200)
    expect(res.body.platforms.map((p) => p.platform)).toEqual(Object.keys(providers))
    for (const p of res.body.platforms) {
      expect(p.displayName).toBe(providers[p.platform as keyof typeof providers].displayName)
      expect(p.credentialFields.length).toBeGreaterThan(0)
      for (const f of p.credentialFields) {
        expect(f.label, `${p.platform}.${f.name}`).toMatch(/\S/)
        expect(f.label, `${p.platform}.${f.name} has a human title`).not.toBe(f.name)
        expect(f.help, `${p.platform}.${f.name} says where to find it`).toMatch(/\S{3}/)
      }
    }
  })

  it("carries the schemas' .meta() titles, descriptions and examples through to labels, help and placeholders", async () => {
    const byName = Object.fromEntries((await get()).body.platforms.map((p) => [p.platform, p]))
    expect(byName.telegram?.displayName).toBe("Telegram")
    expect(byName.whatsapp?.displayName).toBe("WhatsApp")
    expect(byName.telegram?.credentialFields).toEqual([
      expect.objectContaining({
        name: "botToken",
        label: "Bot token",
        required: true,
        secret: true,
        help: expect.stringContaining("@BotFather"),
        pattern: expect.any(String),
        placeholder: expect.stringMatching(/^\d+:/),
      }),
    ])
    const whatsapp = Object.fromEntries((byName.whatsapp?.credentialFields ?? []).map((f) => [f.name, f]))
    expect(whatsapp.accessToken).toMatchObject({ label: "Access token", required: true, secret: true })
    expect(whatsapp.phoneNumberId).toMatchObject({
      label: "Phone number ID",
      required: true,
      secret: false,
      help: expect.stringContaining("API Setup"),
      pattern: "^\\d+$",
    })
    expect(whatsapp.verifyToken).toMatchObject({ label: "Verify token", required: true, secret: true })
    expect(whatsapp.appSecret).toMatchObject({ label: "App secret", required: false, secret: true })
  })

  it("says which platforms hold a gateway connection (Discord), with Discord's credential fields labelled", async () => {
    const res = await get()
    for (const p of res.body.platforms)
      expect(p.capabilities.gateway, p.platform).toBe(
        providers[p.platform as keyof typeof providers].gateway !== undefined,
      )
    const discord = res.body.platforms.find((p) => p.platform === "discord")
    expect(discord?.capabilities).toEqual({
      polling: false,
      appWebhook: false,
      gateway: true,
      deliveryReceipts: false,
      serviceWindowHours: null,
    })
    // Only WhatsApp reports delivery and limits free-form messages to 24 hours after the person wrote.
    const whatsapp = res.body.platforms.find((p) => p.platform === "whatsapp")
    expect(whatsapp?.capabilities).toMatchObject({ deliveryReceipts: true, serviceWindowHours: 24 })
    expect(discord?.credentialFields.map((f) => [f.name, f.label, f.secret, f.required])).toEqual([
      ["applicationId", "Application ID", false, true],
      ["publicKey", "Public key", false, true],
      ["botToken", "Bot token", true, true],
    ])
  })

  it("documents the new fields in the OpenAPI schema", async () => {
    const doc = await api<{ components: { schemas: Record<string, { properties: Record<string, unknown> }> } }>(
      "GET",
      "/openapi.json",
    )
    const platform = doc.body.components.schemas.Platform
    expect(Object.keys(platform?.properties ?? {})).toEqual(expect.arrayContaining(["platform", "displayName"]))
    expect(JSON.stringify(platform)).toContain('"label"')
  })
})
