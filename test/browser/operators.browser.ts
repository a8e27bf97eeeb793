// The dashboard for the people who run bots, in a real browser (Debian's Chromium via playwright-core) against
// `wrangler dev` and the fake platforms: every field's problem at once in plain words; after creating a bot, its own
// address, its webhook URL and what is left to do on the platform's side (nothing for Telegram, Meta's steps for
// WhatsApp), with a warning when the URL is not public https (this stack's is plain http on 127.0.0.1); secrets shown as
// set (an optional app secret too) with a link that opens the form on that field; the send form (its 422 field errors at
// once); what the bot sent with status and error, and Retry for a failed message; a revoked token's error state that
// says to update the token, with Start disabled until the credentials change; a viewer's disabled send and retry; a
// not-found page for unknown addresses; nothing fetched from another origin, no page error, no CSP violation.
import type { Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { telegramTextUpdate } from "../fakes/builders.ts"
import { fakeControl, randomPhoneNumberId, randomTelegramToken } from "../fakes/client.ts"
import { createSession } from "./harness.ts"
import type { Stack } from "./stack.ts"

/** The page polls every 3 s and re-reads the bot every third poll: a status change shows within about 9 s. */
const SLOW = { timeout: 20_000 }

interface OutboxMessage {
  id: string
  status: string
  error: string | null
  source: string
  retryOf: string | null
  retriedAs: string | null
}

/** One desktop screenshot of each page, as it is (no toast to wait for). */
const session = createSession({ shots: { phone: false, waitForToast: false } })
const { shoot, devSignIn, api } = session
let stack: Stack
let page: Page
beforeAll(async () => {
  ;({ stack, page } = await session.open())
})
afterAll(() => session.close())

const telegram = () => fakeControl(stack.fakes.telegramOrigin)

/** The text of each item of the error summary above a form. */
const summaryItems = (scope: string) =>
  page.locator(`${scope} .error-summary li`).evaluateAll((items) => items.map((li) => li.textContent ?? ""))

describe("the dashboard for the people who run bots", () => {
  const botToken = randomTelegramToken()
  let botId = ""

  it("shows every field's problem at once, in plain words, above the form and under each field", async () => {
    await devSignIn("owner")
    await page.goto(`${stack.url}/#/new`)
    await page.getByRole("heading", { name: "Add a bot" }).waitFor()
    await page.getByLabel("Platform").selectOption("telegram")
    await page.getByLabel("Bot token").fill("not-a-token")
    await page.getByLabel("Forward to my server").check()
    await page.getByLabel("Endpoint URL").fill("https://10.0.0.7/hook")
    await page.getByRole("button", { name: "Create bot" }).click()
    await expect
      .poll(() => summaryItems("form.form"))
      .toEqual([
        "Name: Can't be empty",
        "Bot token: Expected a BotFather token such as 123456789:AAE...",
        expect.stringMatching(/^Endpoint URL: Must be a public https: URL; it must not point at a private/),
      ])
    await expect(page.locator(".error-summary").textContent()).resolves.toContain("Please fix these 3 fields:")
    await expect(page.locator("#f-name-error").textContent()).resolves.toBe("Can't be empty")
    await expect(page.locator("#f-credentials-botToken-error").textContent()).resolves.toMatch(/^Expected a BotFather/)
    await expect(page.locator("#f-handler-url-error").textContent()).resolves.toMatch(/^Must be a public https/)
    for (const label of ["Name", "Bot token", "Endpoint URL"])
      await expect(page.getByLabel(label, { exact: true }).getAttribute("aria-invalid")).resolves.toBe("true")
    await shoot("operators-form-errors")
  })

  it("after creating a Telegram bot, shows its own address and webhook URL, nothing to paste, and that the URL is not public https", async () => {
    await page.getByLabel("Name").fill("Ops bot")
    await page.getByLabel("Bot token").fill(botToken)
    await page.getByLabel("Echo").check()
    await page.getByRole("button", { name: "Create bot" }).click()
    const url = page.locator("#webhook-url")
    await url.waitFor()
    const webhookUrl = (await url.textContent()) ?? ""
    expect(webhookUrl).toMatch(new RegExp(`^${stack.url}/webhooks/telegram/bot_[0-9a-f]{28}$`))
    botId = webhookUrl.split("/").at(-1) ?? ""
    await expect(page.locator("#created-bot-id").textContent()).resolves.toBe(botId)
    await expect(page.locator("#created-bot-link").getAttribute("href")).resolves.toBe(`#/bots/${botId}`)
    await expect(page.locator("#webhook-setup").textContent()).resolves.toMatch(/^Nothing to paste: Switchboard gave/)
    await expect(page.locator(".webhook-warning").textContent()).resolves.toMatch(
      /^Telegram can't reach this webhook URL\. .*this one is plain http/,
    )
  })

  it("after creating a WhatsApp bot, shows Meta's setup steps and flags its URL; its page shows each secret as set, the optional app secret too, with a way to replace it", async () => {
    // Still at #/new: the form again, from the after-create page.
    await page.getByRole("button", { name: "Add another" }).click()
    await page.getByRole("heading", { name: "Add a bot" }).waitFor()
    await page.getByLabel("Platform").selectOption("whatsapp")
    await page.getByLabel("Name").fill("Orders (WhatsApp)")
    await page.getByLabel("Access token", { exact: true }).fill(`EAAG${"x".repeat(40)}`)
    await page.getByLabel("Phone number ID").fill(randomPhoneNumberId())
    await page.getByLabel("Verify token", { exact: true }).fill("orders-verify-token")
    await page.getByLabel("App secret (optional)", { exact: true }).fill("an-app-secret-of-this-bot")
    await page.getByRole("button", { name: "Create bot" }).click()
    await page.locator("#webhook-url").waitFor()
    await page.getByRole("heading", { name: "Callback URL for WhatsApp" }).waitFor()
    await expect(page.locator("#webhook-setup").textContent()).resolves.toMatch(
      /^Paste it in WhatsApp.*Meta app dashboard > WhatsApp > Configuration.*Callback URL.*verify token/,
    )
    await expect(page.locator(".webhook-warning").textContent()).resolves.toMatch(
      /^WhatsApp can't reach this webhook URL\. WhatsApp calls only public https: addresses, and this one is plain http/,
    )
    await shoot("operators-created-whatsapp")

    await page.getByRole("link", { name: "Open bot" }).click()
    await page.getByRole("heading", { name: "Orders (WhatsApp)", level: 1, exact: true }).waitFor()
    await expect(page.locator("dl.kv .webhook-warning").count()).resolves.toBe(1)
    for (const secret of ["accessToken", "verifyToken", "appSecret"])
      await expect(page.locator(`[data-secret="${secret}"]`).textContent()).resolves.toBe("Set")
    await expect(page.locator("dl.kv").textContent()).resolves.not.toContain("an-app-secret-of-this-bot")
    await shoot("operators-whatsapp-detail")
    await page.getByRole("link", { name: "Replace App secret" }).click()
    await page.getByRole("heading", { name: "Edit “Orders (WhatsApp)”" }).waitFor()
    const appSecret = page.getByLabel("App secret (optional)", { exact: true })
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("f-credentials-appSecret")
    await expect(appSecret.getAttribute("placeholder")).resolves.toBe("•••••••• (set; type to replace)")
    await expect(appSecret.inputValue()).resolves.toBe("")

    // A WhatsApp bot without the optional app secret says so, and offers to set it.
    const bare = await api<{ bot: { id: string } }>("POST", "/api/bots", {
      platform: "whatsapp",
      name: "No app secret",
      credentials: { accessToken: "EAAGbare", phoneNumberId: randomPhoneNumberId(), verifyToken: "v" },
    })
    expect(bare.status).toBe(201)
    await page.goto(`${stack.url}/#/bots/${bare.body.bot.id}`)
    await page.getByRole("heading", { name: "No app secret", level: 1, exact: true }).waitFor()
    await expect(page.locator('[data-secret="appSecret"]').textContent()).resolves.toBe("Not set (optional)")
    await expect(page.locator('[data-secret="accessToken"]').textContent()).resolves.toBe("Set")
    await page.getByRole("link", { name: "Set App secret" }).waitFor()
  })

  it("sends from the bot's page: all the 422's field errors at once, then a message that fails, shown with its error and retried", async () => {
    await page.goto(`${stack.url}/#/bots/${botId}`)
    await page.getByRole("heading", { name: "Ops bot", level: 1, exact: true }).waitFor()
    await page.getByText("Nothing sent in the last 7 days").waitFor()
    const send = page.getByRole("button", { name: "Send message", exact: true })
    await send.click()
    await expect
      .poll(() => summaryItems("form.bot-send"))
      .toEqual(["Chat ID: Can't be empty", "Message: Can't be empty"])
    await expect(page.locator("#bot-send-chat-error").textContent()).resolves.toBe("Can't be empty")
    await expect(page.locator("#bot-send-text-error").textContent()).resolves.toBe("Can't be empty")
    await shoot("operators-send-errors")

    // The platform refuses the next send for good (400): it is failed with the platform's words, and can be retried.
    await telegram().fail({ account: botToken, method: "sendMessage", mode: "400", times: 1 })
    await page.getByLabel("Chat ID").fill("4242")
    await page.getByLabel("Message", { exact: true }).fill("hello from the send form")
    await send.click()
    // Queued: the text is cleared for the next message, and nothing is wrong with the form.
    await expect.poll(() => page.getByLabel("Message", { exact: true }).inputValue()).toBe("")
    await expect(page.locator("form.bot-send .error-summary").count()).resolves.toBe(0)
    const failed = page.locator('#outbound-list li[data-status="failed"]')
    await failed.waitFor(SLOW)
    await expect(failed.locator(".out-text").textContent()).resolves.toBe("hello from the send form")
    await expect(failed.locator(".out-chat").textContent()).resolves.toBe("4242")
    await expect(failed.locator(".status").textContent()).resolves.toBe("Failed")
    await expect(failed.locator(".out-error").textContent()).resolves.toMatch(/\S/)
    const failedId = (await failed.getAttribute("data-message")) ?? ""
    const listed = await api<{ messages: OutboxMessage[] }>("GET", `/api/bots/${botId}/messages?status=failed`)
    expect(listed.body.messages.map((m) => [m.id, m.error])).toEqual([
      [failedId, await failed.locator(".out-error").textContent()],
    ])
    await shoot("operators-sent-failed")

    await failed.getByRole("button", { name: "Retry the message to 4242" }).click()
    await expect.poll(() => page.locator("#toast").textContent()).toMatch(/^Queued again as a new message \(msg_/)
    const retried = page.locator(`#outbound-list li[data-message="${failedId}"]`)
    await expect.poll(() => retried.locator(".out-link").textContent(), SLOW).toMatch(/^Retried as msg_[0-9a-f]{28}$/)
    await expect(retried.getByRole("button").count()).resolves.toBe(0)
    const copyId = ((await retried.locator(".out-link").textContent()) ?? "").replace("Retried as ", "")
    const copy = page.locator(`#outbound-list li[data-message="${copyId}"]`)
    await expect.poll(() => copy.getAttribute("data-status"), SLOW).toBe("sent")
    await expect(copy.locator(".out-source").textContent()).resolves.toBe("Retry")
    await expect(copy.locator(".out-link").textContent()).resolves.toBe(`Retry of ${failedId}`)
    const delivered = await telegram().requests({ account: botToken, method: "sendMessage" })
    expect(delivered.filter((r) => r.outcome === "ok").map((r) => (r.body as { text: string }).text)).toEqual([
      "hello from the send form",
    ])

    // What the bot received is in the activity log, what it answered in Sent messages (newest first).
    await telegram().deliver({ account: botToken, body: telegramTextUpdate({ chatId: 5151, text: "echo this" }) })
    await page.locator('li[data-event="message.in"]').waitFor(SLOW)
    const reply = page.locator("#outbound-list li").first()
    await expect.poll(() => reply.locator(".out-text").textContent(), SLOW).toBe("echo this")
    await expect(reply.locator(".out-source").textContent()).resolves.toBe("Reply")
    await expect.poll(() => reply.getAttribute("data-status"), SLOW).toBe("sent")
    // Another failure, left for later: it keeps its Retry.
    await telegram().fail({ account: botToken, method: "sendMessage", mode: "403", times: 1 })
    await page.getByLabel("Chat ID").fill("6060")
    await page.getByLabel("Message", { exact: true }).fill("left for later")
    await send.click()
    const later = page.locator('#outbound-list li[data-status="failed"]').first()
    await expect.poll(() => later.locator(".out-text").textContent(), SLOW).toBe("left for later")
    await later.getByRole("button", { name: "Retry the message to 6060" }).waitFor()
    // Only failed ones, through the status filter.
    await page.getByLabel("Show messages by status").selectOption("failed")
    await expect.poll(() => page.locator("#outbound-list li[data-message]").count()).toBe(2)
    await page.getByLabel("Show messages by status").selectOption("")
    await expect.poll(() => page.locator("#outbound-list li[data-message]").count()).toBe(4)
    await shoot("operators-sent")
  })

  it("says a revoked token must be updated, keeps Start disabled until it is, and runs again with the new one", async () => {
    await telegram().revoke(botToken)
    // The next send is refused with 401: the bot stops sending and goes to error.
    await page.getByLabel("Chat ID").fill("4242")
    await page.getByLabel("Message", { exact: true }).fill("after the revoke")
    await page.getByRole("button", { name: "Send message", exact: true }).click()
    const problem = page.locator("#status-problem [role=alert]")
    await problem.waitFor(SLOW)
    await expect(problem.textContent()).resolves.toMatch(
      /^This bot is not running\. .*The platform refused the token.*Update the token.*Start stays disabled until the credentials change\./,
    )
    await expect(page.locator(".status-slot .status").textContent()).resolves.toBe("Error")
    for (const name of ["Start", "Restart"]) {
      const button = page.getByRole("button", { name, exact: true })
      await expect(button.isDisabled()).resolves.toBe(true)
      await expect(button.getAttribute("title")).resolves.toMatch(/refused the token: update it first/)
    }
    await expect(page.getByRole("button", { name: "Stop", exact: true }).isDisabled()).resolves.toBe(false)
    await shoot("operators-revoked")

    await problem.getByRole("link", { name: "Update the token" }).click()
    await page.getByRole("heading", { name: "Edit “Ops bot”" }).waitFor()
    await page.getByLabel("Bot token").fill(randomTelegramToken())
    await page.getByRole("button", { name: "Save changes" }).click()
    await page.getByRole("heading", { name: "Ops bot", level: 1, exact: true }).waitFor()
    await expect.poll(() => page.locator(".status-slot .status").textContent()).toBe("Active")
    await expect(page.locator("#status-problem").textContent()).resolves.toBe("")
    await expect(page.getByRole("button", { name: "Restart", exact: true }).isDisabled()).resolves.toBe(false)
  })

  it("lets a viewer see what was sent, but neither send nor retry", async () => {
    await devSignIn("viewer")
    await page.goto(`${stack.url}/#/bots/${botId}`)
    await page.getByRole("heading", { name: "Ops bot", level: 1, exact: true }).waitFor()
    await expect(page.getByRole("button", { name: "Send message", exact: true }).isDisabled()).resolves.toBe(true)
    await expect(page.getByLabel("Chat ID").isDisabled()).resolves.toBe(true)
    const retry = page.getByRole("button", { name: "Retry the message to 6060" })
    await expect(retry.isDisabled()).resolves.toBe(true)
    await expect(retry.getAttribute("title")).resolves.toBe("Viewers can't send")
    await expect(page.locator(".secret-replace").count()).resolves.toBe(0)
  })

  it("shows a not-found page for an address the dashboard has no page for, with a link home", async () => {
    for (const hash of ["#/nowhere", "#/bots/bot_x/settings", "#/overview/extra"]) {
      await page.goto(`${stack.url}/${hash}`)
      await page.getByRole("heading", { name: "Page not found" }).waitFor()
      await expect(page.title()).resolves.toBe("Page not found · Switchboard")
      await expect(page.locator(".empty p").textContent()).resolves.toContain(hash)
    }
    await shoot("operators-not-found")
    await page.getByRole("link", { name: "Go to integrations" }).click()
    await page.getByRole("heading", { name: "Messaging Integrations" }).waitFor()
  })

  it("fetched nothing from another origin, threw no errors, broke no CSP rule, and wrote its screenshots", () => {
    session.assertClean({ atLeast: 8 })
  })
})
