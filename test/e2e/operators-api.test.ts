// What the dashboard needs of the API for the people who run bots: which secrets are set (never their values),
// whether the webhook URL is one platforms can reach, every field's problem in one 422, and how to paste a webhook
// URL on platforms that take it by hand.
import { describe, expect, it } from "vitest"
import { randomPhoneNumberId, randomTelegramToken } from "../fakes/client"
import { api, tokenFor, uniqueBusiness } from "../helpers"
import { createTelegramBot, createWhatsAppBot } from "../messaging-helpers"

interface BotView {
  id: string
  webhookUrl: string
  webhookUrlPublic: boolean
  secretsSet?: Record<string, true>
  credentials: Record<string, unknown>
}
interface FieldErrors {
  error: { code: string; message: string; details: { fields: { path: string; message: string }[] } }
}

describe("the bot view for operators", () => {
  it("says which secret credentials are set, on single-bot answers only, without their values", async () => {
    const withSecret = await createWhatsAppBot()
    const one = await api<{ bot: BotView }>("GET", `/api/bots/${withSecret.id}`, { token: withSecret.admin })
    expect(one.body.bot.secretsSet).toEqual({ accessToken: true, verifyToken: true, appSecret: true })
    expect(one.text).not.toContain(withSecret.appSecret)
    expect(one.text).not.toContain(withSecret.accessToken)

    // Without the optional app secret (the server's WHATSAPP_APP_SECRET signs instead).
    const created = await api<{ bot: BotView }>("POST", "/api/bots", {
      token: withSecret.admin,
      body: {
        platform: "whatsapp",
        name: "No app secret",
        credentials: { accessToken: "EAAGtoken", phoneNumberId: randomPhoneNumberId(), verifyToken: "verify" },
      },
    })
    expect(created.status, created.text).toBe(201)
    expect(created.body.bot.secretsSet).toEqual({ accessToken: true, verifyToken: true })
    const listed = await api<{ bots: BotView[] }>("GET", "/api/bots", { token: withSecret.admin })
    expect(listed.body.bots.length).toBe(2)
    for (const b of listed.body.bots) expect(b.secretsSet).toBeUndefined()

    // Set later, through an update (credentials are replaced whole).
    const patched = await api<{ bot: BotView }>("PATCH", `/api/bots/${created.body.bot.id}`, {
      token: withSecret.admin,
      body: {
        credentials: {
          accessToken: "EAAGtoken",
          phoneNumberId: String(created.body.bot.credentials.phoneNumberId),
          verifyToken: "verify",
          appSecret: "now-set",
        },
      },
    })
    expect(patched.status, patched.text).toBe(200)
    expect(patched.body.bot.secretsSet).toEqual({ accessToken: true, verifyToken: true, appSecret: true })
  })

  it("says whether the webhook URL is public https (this deployment's is)", async () => {
    const bot = await createTelegramBot()
    const res = await api<{ bot: BotView }>("GET", `/api/bots/${bot.id}`, { token: bot.admin })
    expect(res.body.bot.webhookUrl).toMatch(/^https:\/\/switchboard\.test\//)
    expect(res.body.bot.webhookUrlPublic).toBe(true)
  })

  it("describes where to paste the webhook URL on platforms without an API for it", async () => {
    const token = await tokenFor(uniqueBusiness("pf"))
    const res = await api<{
      platforms: { platform: string; webhookSetup: { urlName: string; steps: string } | null }[]
    }>("GET", "/api/platforms", { token })
    const setup = Object.fromEntries(res.body.platforms.map((p) => [p.platform, p.webhookSetup]))
    expect(setup.telegram).toBeNull()
    expect(setup.whatsapp?.urlName).toBe("Callback URL")
    expect(setup.whatsapp?.steps).toMatch(/verify token/)
    expect(setup.slack?.urlName).toBe("Request URL")
    expect(setup.discord?.urlName).toBe("Interactions Endpoint URL")
  })
})

describe("every field's problem in one answer", () => {
  it("lists the schema's problems and the platform's together when a bot is created", async () => {
    const token = await tokenFor(uniqueBusiness("fields"))
    const res = await api<FieldErrors>("POST", "/api/bots", {
      token,
      body: {
        platform: "telegram",
        name: "",
        credentials: { botToken: "not-a-token" },
        handler: { type: "forward", url: "https://10.0.0.7/hook" },
      },
    })
    expect(res.status).toBe(422)
    expect(res.body.error.code).toBe("validation_failed")
    expect(res.body.error.details.fields.map((f) => f.path)).toEqual(["name", "credentials.botToken", "handler.url"])
    expect(res.body.error.details.fields[2]?.message).toMatch(/public https/)
  })

  it("lists every rule a well-formed body breaks, and every problem of an update", async () => {
    const token = await tokenFor(uniqueBusiness("fields"))
    const res = await api<FieldErrors>("POST", "/api/bots", {
      token,
      body: {
        platform: "whatsapp",
        name: "Two problems",
        credentials: { accessToken: "t", verifyToken: "v" },
        handler: { type: "forward", url: "http://example.com/hook" },
      },
    })
    expect(res.status).toBe(422)
    expect(res.body.error.details.fields.map((f) => f.path)).toEqual(["credentials.phoneNumberId", "handler.url"])
    expect(res.body.error.message).toMatch(/^Invalid body: credentials\.phoneNumberId: .* \(and 1 more\)$/)

    const bot = await createTelegramBot({ admin: token })
    const patch = await api<FieldErrors>("PATCH", `/api/bots/${bot.id}`, {
      token,
      body: { name: "", credentials: { botToken: "nope" } },
    })
    expect(patch.status).toBe(422)
    expect(patch.body.error.details.fields.map((f) => f.path)).toEqual(["name", "credentials.botToken"])
    // A good token alone still goes through.
    const fixed = await api("PATCH", `/api/bots/${bot.id}`, {
      token,
      body: { credentials: { botToken: randomTelegramToken() } },
    })
    expect(fixed.status, fixed.text).toBe(200)
  })
})
