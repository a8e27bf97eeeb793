// Two scenarios of the dashboard test (dashboard.browser.ts runs them in its sequence, on its page and stack): a bot
// added through the form the platform description generates, for Slack (fed a signed Slack event) and for Discord (its
// Gateway connected on its page, a message over it), each then deleted. Here to keep that file under 400 lines.
import { createHmac, randomBytes } from "node:crypto"
import type { Locator, Page } from "playwright-core"
import { expect } from "vitest"
import { discordSnowflake, randomDiscordToken } from "../fakes/builders.ts"
import { fakeControl, gatewayMessage } from "../fakes/client.ts"
import type { Session } from "./harness.ts"
import type { Stack } from "./stack.ts"

/** The part of GET /api/platforms the Slack scenario reads. */
interface PlatformDescription {
  platform: string
  displayName: string
  credentialFields: { name: string; label: string; secret: boolean; required: boolean }[]
  capabilities: { polling: boolean; gateway?: boolean }
}

/** What the scenarios drive: the dashboard test's page, stack and session, and its row of a listed bot. */
export interface Dashboard {
  page: Page
  stack: Stack
  session: Session
  row: (name: string) => Locator
}

/**
 * Fills the form's name (replies: Echo) and credentials (by label, in order), shoots it as `shot`, creates the bot, and
 * returns the webhook URL the page then shows.
 */
async function created(
  { page, session }: Pick<Dashboard, "page" | "session">,
  name: string,
  credentials: Record<string, string>,
  shot: string,
) {
  await page.getByLabel("Name").fill(name)
  await page.getByLabel("Echo").check()
  for (const [label, value] of Object.entries(credentials)) await page.getByLabel(label, { exact: true }).fill(value)
  await session.shoot(shot)
  await page.getByRole("button", { name: "Create bot" }).click()
  const url = page.locator("#webhook-url")
  await url.waitFor()
  return (await url.textContent()) ?? ""
}

/** Back on the list, the bot `name` is listed with its platform's name (`platform`) and Active; then its page opens. */
async function listedAndOpened({ page, row }: Pick<Dashboard, "page" | "row">, name: string, platform: string) {
  await page.getByRole("link", { name: "Integrations", exact: true }).first().click()
  await row(name).waitFor()
  await expect(row(name).locator(".c-platform").textContent()).resolves.toBe(platform)
  await expect(row(name).locator(".status").textContent()).resolves.toBe("Active")
  await row(name).getByRole("link").click()
  await page.getByRole("heading", { name, level: 1, exact: true }).waitFor()
}

/**
 * Adds a Slack bot through the form generated from the platform description, sees a signed Slack message in its log
 * and counters, and deletes it.
 */
export async function slackFromTheForm({ page, stack, session, row }: Dashboard) {
  const { shoot, api } = session
  // A bot token the fake Slack's auth.test accepts (xoxb-<team>-<bot user>-<secret>), and the app's signing secret.
  const digits = (n: number) => String(10 ** (n - 1) + (randomBytes(4).readUInt32BE() % (9 * 10 ** (n - 1))))
  const slackToken = `xoxb-${digits(10)}-${digits(9)}-${randomBytes(12).toString("hex")}`
  const signingSecret = randomBytes(16).toString("hex")
  // The form holds no per-platform table: its fields are those GET /api/platforms describes for Slack.
  const described = await api<{ platforms: PlatformDescription[] }>("GET", "/api/platforms")
  expect(described.status).toBe(200)
  const slack = described.body.platforms.find((p) => p.platform === "slack")
  expect(slack?.displayName).toBe("Slack")
  expect(slack?.credentialFields.map((f) => [f.name, f.label, f.secret, f.required])).toEqual([
    ["botToken", "Bot token", true, true],
    ["signingSecret", "Signing secret", true, true],
  ])

  await page.goto(`${stack.url}/#/new`)
  await page.getByRole("heading", { name: "Add a bot" }).waitFor()
  await page.getByLabel("Platform").selectOption({ label: "Slack" })
  await page.getByRole("group", { name: "Slack credentials" }).waitFor()
  for (const f of slack?.credentialFields ?? [])
    await expect(page.getByLabel(f.label, { exact: true }).getAttribute("type")).resolves.toBe("password")
  // Only Slack's fields: nothing of WhatsApp's form is left, and Slack has no long polling to offer.
  for (const label of ["Access token", "Phone number ID", "Verify token"])
    await expect(page.getByLabel(label, { exact: true }).count()).resolves.toBe(0)
  expect(slack?.capabilities.polling).toBe(false)
  await expect(page.getByLabel("Long polling").isHidden()).resolves.toBe(true)
  const credentials = { "Bot token": slackToken, "Signing secret": signingSecret }
  const webhookUrl = await created({ page, session }, "Helpdesk (Slack)", credentials, "add-bot-slack")
  expect(webhookUrl).toMatch(new RegExp(`^${stack.url}/webhooks/slack/bot_[0-9a-f]{28}$`))
  const slackBotId = webhookUrl.split("/").at(-1) ?? ""
  // auth.test checked the token; Slack has no API to set a Request URL, so nothing else was called.
  const slackFake = fakeControl(stack.fakes.platforms.slack?.origin ?? "")
  const calls = await slackFake.requests({ account: slackToken })
  expect(calls.map((c) => c.method)).toEqual(["auth.test"])

  // Listed with its platform's name; its page shows the Request URL to paste into Slack's Event Subscriptions.
  await listedAndOpened({ page, row }, "Helpdesk (Slack)", "Slack")
  await expect(page.locator('.page-head .badge.platform[data-platform="slack"]').textContent()).resolves.toBe("Slack")
  await expect(page.locator("#updates-mode").textContent()).resolves.toBe("Webhook")
  await expect(page.locator("#detail-webhook-url").textContent()).resolves.toBe(webhookUrl)
  expect(new URL(webhookUrl).pathname).toBe(`/webhooks/slack/${slackBotId}`)

  // Slack delivers a channel message to that URL, signed with the app's signing secret (v0:{timestamp}:{body}).
  const ts = `${Math.floor(Date.now() / 1000)}.000100`
  const body = JSON.stringify({
    type: "event_callback",
    team_id: "T0BROWSER1",
    api_app_id: "A0BROWSER1",
    event_id: `Ev${Date.now()}`,
    event_time: Math.floor(Date.now() / 1000),
    event: {
      type: "message",
      channel: "C0HELPDESK",
      channel_type: "channel",
      user: "U0CUSTOMER",
      text: "hello from Slack",
      ts,
      event_ts: ts,
    },
  })
  const timestamp = String(Math.floor(Date.now() / 1000))
  const signature = `v0=${createHmac("sha256", signingSecret).update(`v0:${timestamp}:${body}`).digest("hex")}`
  const post = (sig: string) =>
    fetch(webhookUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": sig,
      },
      body,
    })
  // A request not signed with the bot's secret is refused and never reaches the log.
  const forged = await post(
    `v0=${createHmac("sha256", "not-the-secret").update(`v0:${timestamp}:${body}`).digest("hex")}`,
  )
  expect(forged.status).toBe(401)
  const delivered = await post(signature)
  expect(delivered.status).toBe(200)
  await page.locator('li[data-event="message.in"]').waitFor({ timeout: 15_000 })
  await expect.poll(() => page.locator("#stat-in .value").textContent(), { timeout: 10_000 }).toBe("1")
  // The echo went back to the channel through chat.postMessage.
  const replies = await slackFake.waitForRequests({ account: slackToken, method: "chat.postMessage" }, 1, 15_000)
  expect(replies[0]?.body).toMatchObject({ channel: "C0HELPDESK", text: "hello from Slack" })
  await expect.poll(() => page.locator("#stat-out .value").textContent(), { timeout: 10_000 }).toBe("1")
  await expect.poll(() => page.locator('li[data-event="message.in"]').count()).toBe(1)
  // Neither secret is shown.
  const shown = (await page.locator("dl.kv").textContent()) ?? ""
  expect(shown).not.toContain(slackToken)
  expect(shown).not.toContain(signingSecret)
  await shoot("bot-detail-slack")

  await page.getByRole("button", { name: "Delete", exact: true }).click()
  await page.getByRole("dialog").getByRole("button", { name: "Delete bot" }).click()
  await page.getByRole("heading", { name: "Messaging Integrations" }).waitFor()
  await expect.poll(() => row("Helpdesk (Slack)").count()).toBe(0)
  // Gone for Slack too: its Request URL no longer takes events.
  const after = await post(signature)
  expect(after.status).toBe(404)
  await page.reload() // the delete toast stays long; the next test starts without it
}

/**
 * Adds a Discord bot through the form, sees its Gateway connected with heartbeat ACKs, a message over it, and deletes
 * it.
 */
export async function discordFromTheForm({ page, stack, session, row }: Dashboard) {
  const { shoot, api } = session
  const discordOrigin = stack.fakes.platforms.discord?.origin ?? ""
  const fakeDiscord = async (path: string, body?: unknown) => {
    const res = await fetch(`${discordOrigin}/__fake/${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    expect(res.status, path).toBe(200)
    return (await res.json()) as Record<string, unknown>
  }
  // The application's id, the key the fake signs interactions with, and a token in the fake's format (its first
  // part the bot user's id in base64).
  const applicationId = discordSnowflake()
  const publicKey = String((await fakeDiscord("public-key")).publicKey)
  const discordToken = randomDiscordToken(applicationId)
  const described = await api<{ platforms: PlatformDescription[] }>("GET", "/api/platforms")
  const discord = described.body.platforms.find((p) => p.platform === "discord")
  expect(discord?.capabilities).toMatchObject({ polling: false, gateway: true })
  const fields = discord?.credentialFields ?? []
  expect(fields.map((f) => [f.name, f.label, f.secret])).toEqual([
    ["applicationId", "Application ID", false],
    ["publicKey", "Public key", false],
    ["botToken", "Bot token", true],
  ])
  // Heartbeats every 500 ms for new connections, so an ACK shows within the test (Discord's are ~41 s apart).
  await fakeDiscord("gateway/config", { heartbeatMs: 500 })
  try {
    await page.goto(`${stack.url}/#/new`)
    await page.getByRole("heading", { name: "Add a bot" }).waitFor()
    await page.getByLabel("Platform").selectOption({ label: "Discord" })
    await page.getByRole("group", { name: "Discord credentials" }).waitFor()
    for (const f of fields)
      await expect(page.getByLabel(f.label, { exact: true }).getAttribute("type")).resolves.toBe(
        f.secret ? "password" : "text",
      )
    await expect(page.getByLabel("Long polling").isHidden()).resolves.toBe(true)
    const credentials = { "Application ID": applicationId, "Public key": publicKey, "Bot token": discordToken }
    const url = await created({ page, session }, "Community (Discord)", credentials, "add-bot-discord")
    // Its Interactions Endpoint URL, for the Developer Portal.
    expect(url).toMatch(new RegExp(`^${stack.url}/webhooks/discord/bot_[0-9a-f]{28}$`))

    // Listed with its platform's name, like the others; its page shows the Gateway the bot's object holds to the
    // fake, refreshed by the page's polling of the stats.
    await listedAndOpened({ page, row }, "Community (Discord)", "Discord")
    const gatewayRow = page.locator("dl.kv dt", { hasText: /^Gateway$/ })
    await gatewayRow.waitFor()
    await expect
      .poll(() => gatewayRow.evaluate((dt) => `${dt.textContent}: ${dt.nextElementSibling?.textContent}`), {
        timeout: 15_000,
      })
      .toBe("Gateway: connected")
    await expect.poll(() => page.locator("#last-heartbeat").textContent(), { timeout: 10_000 }).toBe("just now")
    await expect(page.locator("#last-heartbeat").getAttribute("title")).resolves.not.toBe("")
    const state = await fakeDiscord(`gateway/state?account=${encodeURIComponent(discordToken)}`)
    expect(state.connections).toBe(1)
    expect(Number(state.heartbeats)).toBeGreaterThan(0)

    // A message over the Gateway (what `npm run sim -- discord` sends) reaches the log and the counters; the echo
    // goes back through the REST API.
    const said = await gatewayMessage(discordOrigin, {
      token: discordToken,
      channelId: "1100000000000000777",
      text: "hello over the gateway",
    })
    expect(said.delivered).toBe(true)
    await page.locator('li[data-event="message.in"]').waitFor({ timeout: 15_000 })
    await expect.poll(() => page.locator("#stat-in .value").textContent(), { timeout: 10_000 }).toBe("1")
    const replies = await fakeControl(discordOrigin).waitForRequests(
      { account: discordToken, method: "messages" },
      1,
      15_000,
    )
    expect(replies[0]?.body).toMatchObject({ content: "hello over the gateway" })
    await expect(page.locator("dl.kv").textContent()).resolves.not.toContain(discordToken)
    await shoot("bot-detail-discord")

    // Stopped: the socket is closed (with 1000) and the page says so. On a loaded machine a 500 ms heartbeat can be
    // missed, and the bot then resumes on a new socket (the fake drops the old one: 1006): only the last close is
    // the stop's.
    await page.getByRole("button", { name: "Stop", exact: true }).click()
    await expect.poll(() => page.locator("#gateway-state").textContent(), { timeout: 10_000 }).toBe("closed")
    await expect
      .poll(async () => (await fakeDiscord(`gateway/state?account=${encodeURIComponent(discordToken)}`)).closes.at(-1))
      .toBe(1000)

    await page.getByRole("button", { name: "Delete", exact: true }).click()
    await page.getByRole("dialog").getByRole("button", { name: "Delete bot" }).click()
    await page.getByRole("heading", { name: "Messaging Integrations" }).waitFor()
    await expect.poll(() => row("Community (Discord)").count()).toBe(0)
    await page.reload() // the delete toast stays long; the next test starts without it
  } finally {
    await fakeDiscord("gateway/config", { heartbeatMs: 41_250 })
  }
}
