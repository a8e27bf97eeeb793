// The dashboard in a real browser (Debian's Chromium via playwright-core) against `wrangler dev` and the fake platforms:
// sign in, create a Telegram bot, see it listed, an inbound update in the log and counters, bulk stop, viewer read-only;
// a Slack bot added through the form the platform description generates, fed a signed Slack event, then deleted; a
// Discord bot added the same way, its Gateway connected (with heartbeat ACKs) on its page, a message over it, deleted.
import type { Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { SECURITY_HEADERS } from "../../src/lib/security-headers.ts"
import { telegramTextUpdate } from "../fakes/builders.ts"
import { fakeControl, randomTelegramToken } from "../fakes/client.ts"
import { discordFromTheForm, slackFromTheForm } from "./dashboard-platforms.ts"
import { createSession } from "./harness.ts"
import type { Stack } from "./stack.ts"

const session = createSession()
const { shoot, devSignIn, token, api, cspViolations } = session
let stack: Stack
let page: Page
beforeAll(async () => {
  ;({ stack, page } = await session.open())
})
afterAll(() => session.close())

const row = (name: string) =>
  page.locator("tr[data-bot]").filter({ has: page.getByRole("link", { name, exact: true }) })

describe("dashboard", () => {
  const botToken = randomTelegramToken()
  let botId = ""

  it("serves the dashboard and /docs with the security headers, and the CSP blocks nothing they do", async () => {
    // The dashboard comes from public/_headers (static assets), /docs from the worker's middleware: the same headers.
    for (const path of ["/", "/docs"]) {
      const headers = (await page.goto(`${stack.url}${path}`))?.headers() ?? {}
      for (const [name, value] of SECURITY_HEADERS) expect(headers[name.toLowerCase()], `${path} ${name}`).toBe(value)
    }
    await page.locator("#ops details summary").first().waitFor()
    expect(cspViolations).toEqual([])
    // The listener does hear a violation: an inline <style> is refused.
    await page.evaluate(() =>
      document.head.append(Object.assign(document.createElement("style"), { textContent: "b{}" })),
    )
    await expect.poll(() => cspViolations.length).toBe(1)
    expect(cspViolations[0]).toMatch(/^style-src/)
    cspViolations.length = 0
  })

  it("sends a visitor without a token to sign-in, and refuses a forged token with a clear message", async () => {
    await page.goto(stack.url)
    await page.getByRole("heading", { name: "Sign in to Switchboard" }).waitFor()
    await page.getByRole("button", { name: "Dev sign-in as owner" }).waitFor()
    await shoot("signin")
    await page.getByLabel("API token").fill("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.forged")
    await page.getByLabel("API token").press("Enter")
    await expect.poll(() => page.locator("#token-error").textContent()).toMatch(/not accepted/)
    expect(await token()).toBe("")
  })

  it("signs in and shows an empty state that says what to do", async () => {
    await devSignIn("owner")
    await page.getByRole("heading", { name: "No bots yet" }).waitFor()
    await page.getByRole("link", { name: "+ Add your first bot" }).waitFor()
    await shoot("integrations-empty")
  })

  it("shows the credential fields of the chosen platform", async () => {
    await page.getByRole("link", { name: "+ Add bot" }).click()
    await page.getByRole("heading", { name: "Add a bot" }).waitFor()
    await page.getByLabel("Platform").selectOption("whatsapp")
    for (const label of ["Access token", "Phone number ID", "Verify token", "App secret (optional)"])
      await page.getByLabel(label, { exact: true }).waitFor()
    await expect(page.getByLabel("Bot token").count()).resolves.toBe(0)
    await page.getByLabel("AI assistant").check()
    await page.getByLabel("Model", { exact: true }).waitFor()
    await shoot("add-bot")
    await page.getByLabel("Platform").selectOption("telegram")
    await page.getByLabel("Echo").check()
    await page.getByLabel("Bot token").waitFor()
  })

  it("creates a Telegram bot from the keyboard, with the API's validation message next to the field", async () => {
    await page.getByLabel("Name").fill("Support bot")
    await page.getByLabel("Bot token").fill("not-a-token")
    await page.getByLabel("Bot token").press("Enter")
    const fieldError = page.locator("#f-credentials-botToken-error")
    await expect.poll(() => fieldError.textContent()).toMatch(/token/i)
    await expect(page.getByLabel("Bot token").getAttribute("aria-invalid")).resolves.toBe("true")
    await shoot("add-bot-validation")
    await page.getByLabel("Bot token").fill(botToken)
    await page.getByLabel("Bot token").press("Enter")
    const url = page.locator("#webhook-url")
    await url.waitFor()
    const webhookUrl = (await url.textContent()) ?? ""
    expect(webhookUrl).toMatch(new RegExp(`^${stack.url}/webhooks/telegram/bot_[0-9a-f]{28}$`))
    botId = webhookUrl.split("/").at(-1) ?? ""
    await page.getByRole("button", { name: "Copy Webhook URL" }).waitFor()
    await shoot("bot-created")
    await page.getByRole("link", { name: "Back to integrations" }).click()
    await row("Support bot").waitFor()
    await expect(row("Support bot").locator(".status").textContent()).resolves.toBe("Active")
    await shoot("integrations")
  })

  it("shows an inbound update from the fake Telegram in the log and the counters, and runs the test console", async () => {
    await row("Support bot").getByRole("link").click()
    await page.getByRole("heading", { name: "Support bot", level: 1, exact: true }).waitFor()
    const delivered = await fakeControl(stack.fakes.telegramOrigin).deliver({
      account: botToken,
      body: telegramTextUpdate({ chatId: 4242, text: "hello from the browser test" }),
    })
    expect(delivered.status).toBe(200)
    // The page polls: no reload needed.
    await page.locator('li[data-event="message.in"]').waitFor({ timeout: 15_000 })
    await expect.poll(() => page.locator("#stat-in .value").textContent(), { timeout: 10_000 }).toBe("1")
    await expect.poll(() => page.locator("#stat-out .value").textContent(), { timeout: 10_000 }).toBe("1")
    await expect(page.locator("#stat-rate .value").textContent()).resolves.toBe("0%")
    await expect(page.locator(".chart-plot svg rect[fill]").count()).resolves.toBeGreaterThan(0)
    // Secrets are shown only as set, never their value.
    await expect(page.locator("dl.kv").textContent()).resolves.not.toContain(botToken.split(":")[1])
    await page.getByLabel("Test message").fill("ping")
    await page.getByLabel("Test message").press("Enter")
    await expect.poll(() => page.locator(".transcript li.bot").textContent()).toContain("ping")

    // Each poll merges into the log: the nodes already shown survive the poll that brings a newer entry.
    const firstIn = await page.locator('li[data-event="message.in"]').getAttribute("data-id")
    const shownBefore = await page.locator("ol.log > li[data-id]").evaluateAll((nodes) => {
      ;(window as unknown as { keptLogNodes: Element[] }).keptLogNodes = nodes
      return nodes.length
    })
    expect(shownBefore).toBeGreaterThan(0)
    const again = await fakeControl(stack.fakes.telegramOrigin).deliver({
      account: botToken,
      body: telegramTextUpdate({ chatId: 4242, text: "a second hello" }),
    })
    expect(again.status).toBe(200)
    await expect.poll(() => page.locator('li[data-event="message.in"]').count(), { timeout: 15_000 }).toBe(2)
    const kept = await page.evaluate(() =>
      (window as unknown as { keptLogNodes: Element[] }).keptLogNodes.map(
        (node) => node.isConnected && node.parentElement?.matches("ol.log") === true,
      ),
    )
    expect(kept).toEqual(Array.from({ length: shownBefore }, () => true))
    // Newest first, and nothing shown twice.
    const order = await page
      .locator('ol.log > li[data-event="message.in"]')
      .evaluateAll((nodes) => nodes.map((n) => n.getAttribute("data-id")))
    expect(order).toHaveLength(2)
    expect(order[1]).toBe(firstIn)
    expect(Number(order[0])).toBeGreaterThan(Number(firstIn))
    const ids = await page
      .locator("ol.log > li[data-id]")
      .evaluateAll((nodes) => nodes.map((n) => n.getAttribute("data-id")))
    expect(new Set(ids).size).toBe(ids.length)
    await shoot("bot-detail")
  })

  it("edits a bot without showing its secrets", async () => {
    await page.getByRole("link", { name: "Edit", exact: true }).click()
    await page.getByRole("heading", { name: "Edit “Support bot”" }).waitFor()
    await expect(page.getByLabel("Bot token").inputValue()).resolves.toBe("")
    await page.getByLabel("Name").fill("Support bot EU")
    await shoot("edit-bot")
    await page.getByRole("button", { name: "Save changes" }).click()
    await page.getByRole("heading", { name: "Support bot EU", level: 1, exact: true }).waitFor()
    await page.getByRole("link", { name: "Edit", exact: true }).click()
    await page.getByLabel("Name").fill("Support bot")
    await page.getByLabel("Name").press("Enter")
    await page.getByRole("heading", { name: "Support bot", level: 1, exact: true }).waitFor()
  })

  it("creates a Telegram bot with long polling, shows its mode, last poll, an error with its fix, and what its delete dropped", async () => {
    const pollToken = randomTelegramToken()
    await page.goto(`${stack.url}/#/new`)
    await page.getByRole("heading", { name: "Add a bot" }).waitFor()
    await page.getByLabel("Platform").selectOption("telegram")
    await page.getByLabel("Name").fill("Poller bot")
    await page.getByLabel("Bot token").fill(pollToken)
    await expect(page.getByLabel("Webhook (default)").isChecked()).resolves.toBe(true)
    await expect(page.getByLabel("Pause between polls (ms)").isHidden()).resolves.toBe(true)
    await page.getByLabel("Long polling").check()
    await page.getByLabel("Pause between polls (ms)").fill("200")
    await shoot("add-bot-polling")
    await page.getByLabel("Pause between polls (ms)").press("Enter")
    await page.locator("#polling-note").waitFor()
    await expect(page.locator("#webhook-url").count()).resolves.toBe(0)
    await page.getByRole("link", { name: "Open bot" }).click()
    await page.getByRole("heading", { name: "Poller bot", level: 1, exact: true }).waitFor()
    await expect(page.locator("#updates-mode").textContent()).resolves.toBe("Long polling, 200 ms between polls")
    // The first poll waits (up to 25 s) for news: nothing has answered it yet.
    await expect.poll(() => page.locator("#last-poll").textContent()).toBe("never")
    // An update for a bot without a webhook waits for getUpdates: the pending poll answers at once.
    const queued = await fakeControl(stack.fakes.telegramOrigin).deliver({
      account: pollToken,
      body: telegramTextUpdate({ chatId: 777, text: "polled hello" }),
    })
    expect(queued.status).toBe(0)
    await page.locator('li[data-event="message.in"]').waitFor({ timeout: 15_000 })
    await expect.poll(() => page.locator("#last-poll").textContent(), { timeout: 10_000 }).toBe("just now")
    await expect.poll(() => page.locator("#stat-in .value").textContent(), { timeout: 10_000 }).toBe("1")
    await expect(page.locator("#status-problem").textContent()).resolves.toBe("")
    await shoot("bot-detail-polling")

    // The token is revoked: the next poll is refused, the bot goes to error, and the page says how to fix it.
    await fakeControl(stack.fakes.telegramOrigin).revoke(pollToken)
    await fakeControl(stack.fakes.telegramOrigin).deliver({
      account: pollToken,
      body: telegramTextUpdate({ chatId: 777, text: "one more" }),
    })
    const problem = page.locator("#status-problem [role=alert]")
    await problem.waitFor({ timeout: 20_000 })
    await expect(problem.textContent()).resolves.toMatch(/not running.*Unauthorized.*Update the token/)
    await expect(page.locator(".status-slot .status").textContent()).resolves.toBe("Error")
    await shoot("bot-detail-error")

    // What a bot in error was asked to send stays queued; deleting it says how much was dropped.
    const poller = page.url().split("/").at(-1) ?? ""
    for (const text of ["one", "two", "three"]) {
      const sent = await api("POST", `/api/bots/${poller}/messages`, { chatId: "777", text })
      expect(sent.status).toBe(202)
    }
    await page.getByRole("button", { name: "Delete", exact: true }).click()
    await page.getByRole("dialog").getByRole("button", { name: "Delete bot" }).click()
    await page.getByRole("heading", { name: "Messaging Integrations" }).waitFor()
    await expect
      .poll(() => page.locator("#toast").textContent())
      .toMatch(/^Poller bot deleted: [1-9]\d* queued messages? (was|were) dropped$/)
    await expect.poll(() => row("Poller bot").count()).toBe(0)
    await page.reload() // the toast stays long; the next page starts without it
  })

  it("creates a WhatsApp bot that forwards, shows its one-time signing secret, and deletes it", async () => {
    await page.goto(`${stack.url}/#/new`)
    await page.getByLabel("Platform").selectOption("whatsapp")
    await page.getByLabel("Name").fill("Orders (WhatsApp)")
    await page.getByLabel("Access token", { exact: true }).fill(`EAAG${"x".repeat(40)}`)
    await page.getByLabel("Phone number ID").fill("106540352242922")
    await page.getByLabel("Verify token", { exact: true }).fill("orders-verify-token")
    await page.getByLabel("Forward to my server").check()
    await page.getByLabel("Endpoint URL").fill("not a url")
    await page.getByLabel("Endpoint URL").press("Enter")
    await expect.poll(() => page.locator("#f-handler-url-error").textContent()).not.toBe("")
    await page.getByLabel("Endpoint URL").fill("https://orders.example.com/switchboard")
    await page.getByRole("button", { name: "Create bot" }).click()
    await page.locator("#signing-secret").waitFor()
    expect((await page.locator("#signing-secret").textContent())?.length).toBeGreaterThanOrEqual(16)
    await expect(page.locator("#webhook-url").textContent()).resolves.toContain("/webhooks/whatsapp/")
    await shoot("bot-created-forward")
    await page.getByRole("link", { name: "Open bot" }).click()
    await page.getByRole("heading", { name: "Orders (WhatsApp)", level: 1, exact: true }).waitFor()
    await expect(page.locator("dl.kv").textContent()).resolves.toContain("106540352242922")
    await page.getByRole("button", { name: "Delete", exact: true }).click()
    await page.getByRole("dialog").getByRole("button", { name: "Delete bot" }).click()
    await page.getByRole("heading", { name: "Messaging Integrations" }).waitFor()
    await expect.poll(() => row("Orders (WhatsApp)").count()).toBe(0)
  })

  it("adds a Slack bot through the form generated from the platform description, sees a signed Slack message in its log and counters, and deletes it", () =>
    slackFromTheForm({ page, stack, session, row }))

  it("adds a Discord bot through the form, sees its Gateway connected with heartbeat ACKs, a message over it, and deletes it", () =>
    discordFromTheForm({ page, stack, session, row }))

  it("searches, and stops two bots in one bulk action with a confirmation and a per-bot result", async () => {
    const second = await api("POST", "/api/bots", {
      platform: "telegram",
      name: "Sales bot",
      credentials: { botToken: randomTelegramToken() },
    })
    expect(second.status).toBe(201)
    // Already on the list: the nav link reloads it.
    await page.getByRole("link", { name: "Integrations", exact: true }).first().click()
    await row("Sales bot").waitFor()
    // Type only once the list has settled: the previous test's reload and this click each render the list, and
    // the one that loses the race is dropped, but not before it answered.
    await page.waitForLoadState("networkidle")
    // The search waits for typing to pause (250 ms) and then asks the API: on this busy machine that can take
    // longer than expect.poll's default second.
    const searched = { timeout: 10_000 }
    await page.getByLabel("Search bots by name").fill("sales")
    await expect.poll(() => page.locator("tr[data-bot]").count(), searched).toBe(1)
    await expect.poll(() => page.evaluate(() => location.hash), searched).toBe("#/bots?q=sales")
    await page.getByLabel("Search bots by name").fill("")
    await expect.poll(() => page.locator("tr[data-bot]").count(), searched).toBe(2)

    // One select-all: indeterminate while some listed bots are selected, checked when all are.
    const selectAll = page.getByLabel("Select all listed bots")
    await page.getByLabel("Select Support bot").check()
    await expect(selectAll.evaluate((box: HTMLInputElement) => [box.checked, box.indeterminate])).resolves.toEqual([
      false,
      true,
    ])
    await page.getByLabel("Select Sales bot").check()
    await expect(selectAll.evaluate((box: HTMLInputElement) => [box.checked, box.indeterminate])).resolves.toEqual([
      true,
      false,
    ])
    await selectAll.uncheck()
    await expect(page.getByRole("region", { name: "Bulk actions" }).isHidden()).resolves.toBe(true)
    await selectAll.check()
    const bulk = page.getByRole("region", { name: "Bulk actions" })
    await expect(bulk.getByText("2 bots selected").count()).resolves.toBe(1)
    // Escape closes the confirmation and nothing happens.
    await bulk.getByRole("button", { name: "Stop" }).click()
    await page.getByRole("dialog").waitFor()
    await page.keyboard.press("Escape")
    await page.getByRole("dialog").waitFor({ state: "detached" })
    await expect(row("Support bot").locator(".status").textContent()).resolves.toBe("Active")
    // Confirm this time.
    await bulk.getByRole("button", { name: "Stop" }).click()
    await page.getByRole("dialog").getByRole("button", { name: "Stop 2 bots" }).click()
    await expect.poll(() => page.locator(".results li.ok").count()).toBe(2)
    await expect(page.locator(".results").textContent()).resolves.toMatch(/2 of 2 bots stopped/)
    await expect(page.locator(`.results li[data-result="${botId}"]`).textContent()).resolves.toMatch(
      /Support bot.*stopped/,
    )
    await expect.poll(() => row("Support bot").locator(".status").textContent()).toBe("Stopped")
    await expect.poll(() => row("Sales bot").locator(".status").textContent()).toBe("Stopped")
    await shoot("bulk-stop")
  })

  it("shows the business overview per platform", async () => {
    await page.getByRole("link", { name: "Overview" }).click()
    await page.locator('tr[data-platform="telegram"]').waitFor()
    await expect(page.locator('tr[data-platform="telegram"]').textContent()).resolves.toContain("2 bots")
    await shoot("overview")
  })

  it("returns to sign-in with a message when the token stops being accepted, then back to the page", async () => {
    await page.evaluate(() => {
      const [head, payload] = (sessionStorage.getItem("switchboard.token") ?? "").split(".")
      sessionStorage.setItem("switchboard.token", `${head}.${payload}.invalidsignature`)
    })
    await page.getByRole("link", { name: "Integrations" }).click()
    await page.getByRole("heading", { name: "Sign in to Switchboard" }).waitFor()
    await expect(page.getByRole("status").filter({ hasText: "not accepted" }).count()).resolves.toBe(1)
    await shoot("signin-expired")
    await page.getByRole("button", { name: "Dev sign-in as owner" }).click()
    await page.getByRole("heading", { name: "Messaging Integrations" }).waitFor()
  })

  it("lets a viewer see everything but change nothing", async () => {
    await devSignIn("viewer")
    await expect(page.getByRole("button", { name: "+ Add bot" }).isDisabled()).resolves.toBe(true)
    await expect(page.getByLabel("Select Support bot").isDisabled()).resolves.toBe(true)
    await page.getByText("You have read-only access").waitFor()
    await shoot("viewer-integrations")
    await row("Support bot").getByRole("link").click()
    await page.getByRole("heading", { name: "Support bot", level: 1, exact: true }).waitFor()
    for (const name of ["Start", "Stop", "Restart", "Edit", "Delete", "Send"])
      await expect(page.getByRole("button", { name, exact: true }).isDisabled()).resolves.toBe(true)
    // Both inbound messages of the earlier test.
    await expect.poll(() => page.locator('li[data-event="message.in"]').count()).toBe(2)
    await shoot("viewer-detail")
    await page.goto(`${stack.url}/#/new`)
    await page.getByText("adding and editing bots is disabled").waitFor()
    const refused = await api("POST", `/api/bots/${botId}/control`, { action: "start" })
    expect(refused.status).toBe(403)
  })

  it("pages through many bots with Load more", async () => {
    await devSignIn("owner")
    const bearer = await token()
    const created = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        api(
          "POST",
          "/api/bots",
          {
            platform: "telegram",
            name: `Campaign ${String(i + 1).padStart(2, "0")}`,
            credentials: { botToken: randomTelegramToken() },
          },
          bearer,
        ),
      ),
    )
    expect(created.every((r) => r.status === 201)).toBe(true)
    await page.getByRole("button", { name: "Refresh" }).click()
    await expect.poll(() => page.locator("tr[data-bot]").count()).toBe(25)
    await page.getByRole("button", { name: "Load more" }).click()
    await expect.poll(() => page.locator("tr[data-bot]").count()).toBe(27)
    await expect(page.getByRole("button", { name: "Load more" }).isHidden()).resolves.toBe(true)
    await expect(page.locator("#bots-count").textContent()).resolves.toBe("Showing 27 bots")
  })

  it("fetched nothing from another origin, threw no errors, broke no CSP rule, and wrote a screenshot of every page at both widths", () => {
    session.assertClean({ atLeast: 26 })
  })
})
