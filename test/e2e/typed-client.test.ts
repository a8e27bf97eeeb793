// The client script typed only by the generated API types (test/typed-client) runs against the worker: what it was
// allowed to compile is what the worker answers. `npm run typecheck` is the other half: it compiles the script, and
// fails when a misuse the types should refuse gets through.
import { SELF } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import { messageStatuses } from "../../src/bot/outbox"
import { randomTelegramToken } from "../fakes/client"
import { tokenFor, uniqueBusiness } from "../helpers"
import { eventually, fakes } from "../messaging-helpers"
import { createClient } from "../typed-client/client"
import { createSendAndRead } from "../typed-client/script"

const clientFor = async (business: string) =>
  createClient({
    baseUrl: "https://switchboard.test",
    token: await tokenFor(business),
    fetch: (url, init) => SELF.fetch(url, init),
  })

describe("a client typed by the generated API types", () => {
  it("creates a bot, sends a message and reads its status", async () => {
    const api = await clientFor(uniqueBusiness("typed"))
    const botToken = randomTelegramToken()
    const { bot, queued, message } = await createSendAndRead(api, { botToken, chatId: "4242" })
    expect(bot).toMatchObject({
      platform: "telegram",
      name: "Typed client",
      status: "active",
      handler: { type: "echo" },
      credentials: { configured: true },
    })
    expect(queued).toBe("queued")
    expect(message).toMatchObject({ chatId: "4242", templateRef: null })
    expect(messageStatuses).toContain(message.status)

    const sent = await eventually(async () => {
      const read = await api.call("GET /v1/bots/{id}/messages/{messageId}", {
        params: { id: bot.id, messageId: message.id },
      })
      return read.ok && read.body.status === "sent" ? read.body : undefined
    })
    expect(sent).toMatchObject({ attempts: 1, error: null, platformMessageId: expect.stringMatching(/^\d+$/) })
    const [call] = await fakes.telegram.waitForRequests({ account: botToken, method: "sendMessage" }, 1)
    expect(call?.body).toMatchObject({ chat_id: 4242, text: "Hello from a typed client" })
  })

  it("reads a refusal as the documented Error, with the fields in details", async () => {
    const api = await clientFor(uniqueBusiness("typed"))
    const refused = await api.call("POST /v1/bots", {
      body: { platform: "telegram", name: "Typed client", credentials: { botToken: "not a token" } },
    })
    expect(refused.ok).toBe(false)
    if (refused.ok) return
    expect(refused.status).toBe(422)
    expect(refused.body.error.code).toBe("validation_failed")
    expect(refused.body.error.details?.fields).toEqual([
      { path: "credentials.botToken", message: expect.stringContaining("BotFather") },
    ])
  })
})
