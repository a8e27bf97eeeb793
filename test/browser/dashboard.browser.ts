// The dashboard in a real browser (Debian's Chromium via playwright-core) against `wrangler dev` and the fake platforms:
// sign in, create a Telegram bot, see it listed, an inbound update in the log and counters, bulk stop, viewer read-only.
import { existsSync, mkdirSync, statSync } from "node:fs"
import { join } from "node:path"
import { type Browser, chromium, type Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { telegramTextUpdate } from "../fakes/builders.ts"
import { fakeControl, randomTelegramToken } from "../fakes/client.ts"
import { type Stack, startStack } from "./stack.ts"

/** Where page screenshots go (git-ignored); CI only checks that they are produced. */
const SCREENSHOTS = join(import.meta.dirname, "..", "..", "screenshots")
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"

let stack: Stack
let browser: Browser
let page: Page
const shots: string[] = []

async function shoot(name: string) {
  for (const [label, width, height] of [
    ["desktop", 1280, 900],
    ["phone", 390, 844],
  ] as const) {
    await page.setViewportSize({ width, height })
    await page.waitForTimeout(150)
    const file = join(SCREENSHOTS, `${name}-${label}.png`)
    await page.screenshot({ path: file, fullPage: true })
    shots.push(file)
  }
  await page.setViewportSize({ width: 1280, height: 900 })
}

async function devSignIn(role: "owner" | "viewer") {
  await page.goto(`${stack.url}/#/signin`)
  await page.evaluate(() => sessionStorage.clear())
  await page.goto(`${stack.url}/#/signin`)
  await page.getByRole("button", { name: role === "owner" ? /Dev sign-in \(owner/ : /Dev sign-in \(viewer/ }).click()
  await page.getByRole("heading", { name: "Messaging Integrations" }).waitFor()
}

const token = () => page.evaluate(() => sessionStorage.getItem("switchboard.token") ?? "")

async function apiAs(bearer: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${bearer}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, body: res.status === 204 ? null : await res.json() }
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (CI does)`)
  mkdirSync(SCREENSHOTS, { recursive: true })
  stack = await startStack()
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  })
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
})

afterAll(async () => {
  await browser?.close()
  await stack?.stop()
})

describe("dashboard", () => {
  const botToken = randomTelegramToken()
  let botId = ""

  it("sends a visitor without a token to sign-in, and a forged token back there with a message", async () => {
    await page.goto(stack.url)
    await page.getByRole("heading", { name: "Sign in" }).waitFor()
    await shoot("signin")
    await page.getByLabel("API token").fill("aaa.bbb.ccc")
    await page.getByRole("button", { name: "Sign in", exact: true }).click()
    await expect(
      page
        .getByRole("alert")
        .filter({ hasText: /not accepted|Sign in again/ })
        .first()
        .textContent(),
    ).resolves.toBeTruthy()
  })

  it("signs in and shows an empty state that says what to do", async () => {
    await devSignIn("owner")
    await page.getByRole("heading", { name: "No bots yet" }).waitFor()
    await shoot("integrations-empty")
  })

  it("creates a Telegram bot through the form and shows its webhook URL", async () => {
    await page.getByRole("link", { name: "+ Add bot" }).click()
    await page.getByRole("heading", { name: "Add a bot" }).waitFor()
    await page.getByLabel("Name").fill("Support bot")
    await page.getByLabel("Bot token").fill("not-a-token")
    await page.getByRole("button", { name: "Create bot" }).click()
    // The API's validation message lands next to the field.
    const fieldError = page.locator("#f-credentials-botToken-error")
    await expect.poll(() => fieldError.textContent()).not.toBe("")
    await shoot("add-bot-validation")
    await page.getByLabel("Bot token").fill(botToken)
    await page.getByRole("button", { name: "Create bot" }).click()
    const url = page.locator("#webhook-url")
    await url.waitFor()
    const webhookUrl = (await url.textContent()) ?? ""
    expect(webhookUrl).toMatch(new RegExp(`^${stack.url}/webhooks/telegram/bot_[0-9a-f]{28}$`))
    botId = webhookUrl.split("/").at(-1) ?? ""
    await shoot("bot-created")
    await page.getByRole("link", { name: "Back to integrations" }).click()
    await page.locator(`tr[data-bot="${botId}"]`).getByRole("link", { name: "Support bot" }).waitFor()
    await shoot("integrations")
  })

  it("shows an inbound update from the fake Telegram in the log and the counters", async () => {
    const delivered = await fakeControl(stack.fakes.telegramOrigin).deliver({
      account: botToken,
      body: telegramTextUpdate({ chatId: 4242, text: "hello from the browser test" }),
    })
    expect(delivered.status).toBe(200)
    await page.goto(`${stack.url}/#/bots/${botId}`)
    await page.locator('li[data-event="message.in"]').waitFor({ timeout: 15_000 })
    await expect.poll(() => page.locator("#stat-in .value").textContent(), { timeout: 10_000 }).toBe("1")
    await expect.poll(() => page.locator("#stat-out .value").textContent(), { timeout: 10_000 }).toBe("1")
    await page.getByLabel("Test message").fill("ping")
    await page.getByRole("button", { name: "Send" }).click()
    await expect.poll(() => page.locator(".console-out").textContent()).toContain("→ ping")
    await shoot("bot-detail")
  })

  it("stops two bots in one bulk action with a per-bot result", async () => {
    const second = await apiAs(await token(), "POST", "/api/bots", {
      platform: "telegram",
      name: "Sales bot",
      credentials: { botToken: randomTelegramToken() },
    })
    expect(second.status).toBe(201)
    await page.goto(`${stack.url}/#/bots`)
    await page.getByLabel("Select Support bot").check()
    await page.getByLabel("Select Sales bot").check()
    await page.getByRole("region", { name: "Bulk actions" }).getByRole("button", { name: "Stop" }).click()
    await page.getByRole("dialog").getByRole("button", { name: "Stop" }).click()
    await expect.poll(() => page.locator(".results li.ok").count()).toBe(2)
    await expect(page.locator(".results").textContent()).resolves.toMatch(
      /Support bot: stopped[\s\S]*|Sales bot: stopped/,
    )
    await page.locator(`tr[data-bot="${botId}"] .status.stopped`).waitFor()
    await shoot("bulk-stop")
  })

  it("shows the business overview", async () => {
    await page.goto(`${stack.url}/#/overview`)
    await page.locator('tr[data-platform="telegram"]').waitFor()
    await shoot("overview")
  })

  it("lets a viewer see everything but change nothing", async () => {
    await devSignIn("viewer")
    await expect(page.getByRole("button", { name: "+ Add bot" }).isDisabled()).resolves.toBe(true)
    await expect(page.getByLabel("Select Support bot").isDisabled()).resolves.toBe(true)
    await page.getByText("You have read-only access").waitFor()
    await page.goto(`${stack.url}/#/bots/${botId}`)
    await expect(page.getByRole("button", { name: "Stop" }).isDisabled()).resolves.toBe(true)
    await expect(page.getByRole("button", { name: "Delete" }).isDisabled()).resolves.toBe(true)
    await shoot("viewer-detail")
    const refused = await apiAs(await token(), "POST", `/api/bots/${botId}/control`, { action: "start" })
    expect(refused.status).toBe(403)
  })

  it("wrote a screenshot of every page at both widths", () => {
    expect(shots.length).toBeGreaterThanOrEqual(16)
    for (const file of shots) expect(statSync(file).size).toBeGreaterThan(5_000)
  })
})
