// A bot's Broadcasts in a real browser (Debian's Chromium via playwright-core) against `wrangler dev` and the fake
// platforms: a Telegram bot created through the API; its empty Broadcasts tab; a broadcast composed to 30 pasted chat
// ids (one listed twice, flagged), a refusal of the API (text too long for Telegram) at its field in plain words, then
// followed live to done with its counts and its results downloaded as CSV; 5,050 recipients uploaded as a CSV file with
// a variable column, handed over in two chunks, then paused (it holds), resumed and cancelled after a confirmation
// while the fake answers slowly; a stored template previewed live for the first recipient, then sent filled per
// recipient; a scheduled broadcast; a viewer read-only; Load more.
import { readFileSync } from "node:fs"
import type { Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { fakeControl, randomTelegramToken } from "../fakes/client.ts"
import { createSession } from "./harness.ts"
import type { Stack } from "./stack.ts"

/** A broadcast's messages go out at the bot's pace; the list's summaries reach D1 with the rollups (~15 s). */
const SLOW = { timeout: 40_000, interval: 500 }
/** What the page shows at its next refresh (every 2 s), or after a debounce, on a busy machine. */
const SOON = { timeout: 10_000, interval: 200 }

/** The dashboard's own writes to the Broadcasts API, in order: "POST /api/bots/…/broadcasts[/…/recipients]". */
const broadcastWrites: string[] = []
const session = createSession({
  acceptDownloads: true,
  alsoLocal: ["blob:"], // the results file the page saves itself
  onRequest: (r, stack) => {
    const path = r.url().slice(stack.url.length).split("?")[0] ?? ""
    if (r.method() === "POST" && /^\/api\/bots\/[^/]+\/broadcasts(\/[^/]+\/recipients)?$/.test(path))
      broadcastWrites.push(path.replace(/^\/api\/bots\/[^/]+/, "").replace(/\/bc_[^/]+/, "/{bid}"))
  },
})
const { shoot, devSignIn, token, api } = session
let stack: Stack
let page: Page
beforeAll(async () => {
  ;({ stack, page } = await session.open())
})
afterAll(() => session.close())

type Live = Record<"total" | "sent" | "failed" | "skipped" | "cancelled" | "queued", number> & { status: string }
const read = async (botId: string, id: string) =>
  (await api("GET", `/api/bots/${botId}/broadcasts/${id}`)).body.broadcast as Live

/** The number a legend entry of the broadcast page shows. */
const legend = async (key: string) =>
  Number(((await page.locator(`.bc-legend li[data-count="${key}"] strong`).textContent()) ?? "").replace(/\D/g, ""))
const status = () => page.locator(".view").getAttribute("data-status")
/** A link of the breadcrumb (its separators are part of the names). */
const crumb = (name: string) => page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name })
const tabs = () => page.getByRole("navigation", { name: "Bot sections" })
const row = (name: string) =>
  page.locator("tr[data-broadcast]").filter({ has: page.getByRole("link", { name, exact: true }) })
const broadcastIdFromUrl = () => decodeURIComponent(page.url().split("/").at(-1) ?? "")

describe("broadcasts", () => {
  const botToken = randomTelegramToken()
  let botId = ""
  let firstId = ""
  let scheduledId = ""
  const chats = Array.from({ length: 30 }, (_, i) => String(810_000 + i))

  it("creates a Telegram bot through the API; its Broadcasts tab starts empty and says what to do", async () => {
    await devSignIn("owner")
    const created = await api("POST", "/api/bots", {
      platform: "telegram",
      name: "News TG",
      credentials: { botToken },
    })
    expect(created.status).toBe(201)
    botId = String((created.body.bot as { id: string }).id)
    await page.goto(`${stack.url}/#/bots/${botId}`)
    await page.getByRole("heading", { name: "News TG", level: 1 }).waitFor()
    await expect(tabs().getByRole("link", { name: "Overview" }).getAttribute("aria-current")).resolves.toBe("page")
    await tabs().getByRole("link", { name: "Broadcasts" }).click()
    await page.getByRole("heading", { name: "Broadcasts", level: 1 }).waitFor()
    await expect(tabs().getByRole("link", { name: "Broadcasts" }).getAttribute("aria-current")).resolves.toBe("page")
    await page.getByRole("heading", { name: "No broadcasts yet" }).waitFor()
    await shoot("broadcasts-empty")
  })

  it("composes a broadcast to 30 pasted chats, shows the API's refusal in plain words, and follows it to done", async () => {
    await page.getByRole("link", { name: "+ New broadcast" }).first().click()
    await page.getByRole("heading", { name: "New broadcast", level: 1 }).waitFor()
    // Checked in the browser first: no name.
    await page.getByRole("button", { name: "Start broadcast" }).click()
    await expect(page.locator("#broadcast-name-error").textContent()).resolves.toBe("Give the broadcast a name.")
    await page.getByLabel("Name", { exact: true }).fill("Spring sale")
    // The API refuses a text longer than Telegram takes: its words land under the message.
    await page.getByLabel("Message", { exact: true }).fill("x".repeat(4_100))
    await page.getByLabel("Recipients", { exact: true }).fill([...chats, chats[0]].join("\n"))
    await expect.poll(() => page.locator("#recipient-count").textContent(), SOON).toBe("31 recipients")
    await expect(page.locator(".bc-recipients-summary").textContent()).resolves.toContain("1 duplicate")
    const dup = page.locator(".bc-rows tr.dup")
    await expect(dup.textContent()).resolves.toContain("Duplicate of line 1")
    await expect(dup.getAttribute("data-line")).resolves.toBe("31")
    await expect(page.locator(".bc-rows tbody tr").first().textContent()).resolves.toContain(chats[0])
    await page.getByRole("button", { name: "Start broadcast" }).click()
    await expect
      .poll(() => page.locator("#broadcast-text-error").textContent(), SOON)
      .toMatch(/Telegram allows 4096 characters/)
    await expect(page.getByLabel("Message", { exact: true }).getAttribute("aria-invalid")).resolves.toBe("true")
    await expect(page.getByRole("alert").first().textContent()).resolves.toMatch(/fix the highlighted field/)
    expect(broadcastWrites).toEqual(["/broadcasts"])
    await page.getByLabel("Message", { exact: true }).fill("Spring sale: 20% off everything")
    await shoot("broadcast-compose")
    await page.getByRole("button", { name: "Start broadcast" }).click()

    await page.getByRole("heading", { name: "Spring sale", level: 1 }).waitFor()
    firstId = broadcastIdFromUrl()
    expect(firstId).toMatch(/^bc_/)
    await expect.poll(status, SLOW).toBe("done")
    await expect.poll(() => legend("sent"), SOON).toBe(30)
    expect(await legend("skipped")).toBe(1)
    expect(await legend("failed")).toBe(0)
    expect(await legend("waiting")).toBe(0)
    await expect(page.locator("#broadcast-summary").textContent()).resolves.toBe(
      "31 of 31 recipients handled: 30 sent, 1 skipped",
    )
    await expect(page.getByRole("progressbar").getAttribute("aria-valuenow")).resolves.toBe("31")
    for (const name of ["Pause", "Resume", "Cancel broadcast"])
      await expect(page.getByRole("button", { name, exact: true }).isDisabled()).resolves.toBe(true)
    const sent = await fakeControl(stack.fakes.telegramOrigin).requests({ account: botToken, method: "sendMessage" })
    const texts = sent.filter((c) => (c.body as { text?: unknown }).text === "Spring sale: 20% off everything")
    expect(new Set(texts.map((c) => String((c.body as { chat_id?: unknown }).chat_id)))).toEqual(new Set(chats))
    expect(texts).toHaveLength(30)
    await shoot("broadcast-done")
  })

  it("downloads each recipient's outcome as a CSV file, fetched with the token", async () => {
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download results (CSV)" }).click(),
    ])
    expect(download.suggestedFilename()).toBe(`Spring-sale-${firstId}.csv`)
    const path = await download.path()
    const lines = readFileSync(path, "utf8").trim().split("\n")
    expect(lines[0]).toBe("chatId,status,error,messageId,at")
    expect(lines.filter((l) => l.includes(",sent,"))).toHaveLength(30)
    expect(lines.filter((l) => l.startsWith(`${chats[0]},skipped,duplicate`))).toHaveLength(1)
  })

  it("uploads 5,050 recipients as CSV in two chunks, then pauses (it holds), resumes and cancels it", async () => {
    // The fake answers this bot slowly: the broadcast runs long enough to be paused and cancelled mid-way.
    await fakeControl(stack.fakes.telegramOrigin).latency(150, botToken)
    await crumb("Broadcasts").click()
    await row("Spring sale").waitFor()
    await page.getByRole("link", { name: "+ New broadcast" }).click()
    await page.getByLabel("Name", { exact: true }).fill("Big news")
    await page.getByLabel("Message", { exact: true }).fill("Big news, everyone")
    const csv = ["chatId,first_name", ...Array.from({ length: 5_050 }, (_, i) => `${900_000 + i},Person ${i + 1}`)]
    await page.locator("#broadcast-file").setInputFiles({
      name: "customers.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(`${csv.join("\r\n")}\r\n`),
    })
    await expect.poll(() => page.locator("#recipient-count").textContent(), SOON).toBe("5,050 recipients")
    await expect(page.locator(".bc-recipients-summary").textContent()).resolves.toContain("variables: first_name")
    await expect(page.locator(".bc-rows tbody tr").first().textContent()).resolves.toMatch(/900000.*Person 1/)
    await expect(page.getByLabel("Recipients", { exact: true }).isDisabled()).resolves.toBe(true)
    await expect(page.locator(".bc-file-state").textContent()).resolves.toContain("customers.csv")
    await shoot("broadcast-compose-file")
    broadcastWrites.length = 0
    await page.getByRole("button", { name: "Start broadcast" }).click()
    await page.getByRole("heading", { name: "Big news", level: 1 }).waitFor()
    const id = broadcastIdFromUrl()
    expect(broadcastWrites).toEqual(["/broadcasts", "/broadcasts/{bid}/recipients"])
    await expect.poll(status, SOON).toBe("running")
    await expect.poll(() => legend("sent"), SLOW).toBeGreaterThan(3)
    await page.locator("#bc-rate .value").filter({ hasText: "msg/s" }).waitFor()
    await expect(page.locator("#bc-eta .value").textContent()).resolves.not.toBe("—")

    await page.getByRole("button", { name: "Pause", exact: true }).click()
    await expect.poll(status, SOON).toBe("paused")
    await expect(page.getByRole("button", { name: "Resume", exact: true }).isEnabled()).resolves.toBe(true)
    await expect(page.getByRole("button", { name: "Pause", exact: true }).isDisabled()).resolves.toBe(true)
    await page.waitForTimeout(1_500) // what was in flight lands
    const held = (await read(botId, id)).sent
    await page.waitForTimeout(3_000)
    const still = await read(botId, id)
    expect(still.status).toBe("paused")
    expect(still.sent).toBe(held)
    await expect.poll(() => legend("sent"), SOON).toBe(held)
    await shoot("broadcast-paused")
    await page.getByRole("button", { name: "Resume", exact: true }).click()
    await expect.poll(status, SOON).toBe("running")
    await expect.poll(() => legend("sent"), SLOW).toBeGreaterThan(held + 2)
    await page.getByRole("button", { name: "Cancel broadcast" }).click()
    const dialog = page.getByRole("dialog")
    await expect(dialog.textContent()).resolves.toMatch(/never will/)
    await dialog.getByRole("button", { name: "Cancel", exact: true }).click() // said no: it goes on
    await expect(status()).resolves.toBe("running")
    await page.getByRole("button", { name: "Cancel broadcast" }).click()
    await page.getByRole("dialog").getByRole("button", { name: "Cancel broadcast" }).click()
    await expect.poll(status, SOON).toBe("cancelled")
    // A message in flight when it was cancelled still lands; then every recipient is accounted for.
    await expect.poll(async () => (await read(botId, id)).queued, SLOW).toBe(0)
    const final = await read(botId, id)
    expect(final.status).toBe("cancelled")
    expect(final.cancelled).toBeGreaterThan(4_000)
    expect(final.sent + final.failed + final.skipped + final.cancelled).toBe(5_050)
    await expect.poll(() => legend("cancelled"), SOON).toBe(final.cancelled)
    await expect.poll(() => legend("waiting"), SOON).toBe(0)
    for (const name of ["Pause", "Resume", "Cancel broadcast"])
      await expect(page.getByRole("button", { name, exact: true }).isDisabled()).resolves.toBe(true)
    await shoot("broadcast-cancelled")
    await fakeControl(stack.fakes.telegramOrigin).latency(0, botToken)
  })

  it("previews a template for the first recipient as its values are filled, and sends it filled per recipient", async () => {
    const created = await api("POST", "/api/templates", {
      name: "Greeting",
      variables: [{ name: "first_name", example: "Ada" }, { name: "code" }],
      body: "Hi {{first_name}}, your code is {{code}}",
    })
    expect(created.status).toBe(201)
    await page.goto(`${stack.url}/#/bots/${botId}/broadcasts/new`)
    await page.getByRole("heading", { name: "New broadcast", level: 1 }).waitFor()
    await page.getByLabel("Recipients", { exact: true }).fill("chatId,first_name\n555,Grace\n556,Alan")
    await page.getByLabel("Template (optional)").selectOption({ label: "Greeting (v1)" })
    await expect(page.getByLabel("Message", { exact: true }).isHidden()).resolves.toBe(true)
    // No value for `code` yet: the preview says which one is missing.
    await expect.poll(() => page.locator("#template-preview").textContent(), SOON).toMatch(/code/)
    await page.getByLabel("code", { exact: true }).fill("SPRING")
    await expect
      .poll(() => page.locator("#template-preview").textContent(), SOON)
      .toBe("As chat 555 reads it:Hi Grace, your code is SPRING")
    await shoot("broadcast-template")
    // A recipient without a first_name and no value for everyone: refused before anything is sent.
    await page.getByLabel("Name", { exact: true }).fill("Greeting")
    await page.getByLabel("Recipients", { exact: true }).fill("chatId,first_name\n555,Grace\n556,Alan\n557,")
    await expect.poll(() => page.locator("#recipient-count").textContent(), SOON).toBe("3 recipients")
    await page.getByRole("button", { name: "Start broadcast" }).click()
    await expect(page.getByLabel("first_name", { exact: true }).getAttribute("aria-invalid")).resolves.toBe("true")
    await page.getByText("Give a value: not every recipient's row has one.").waitFor()
    await page.getByLabel("Recipients", { exact: true }).fill("chatId,first_name\n555,Grace\n556,Alan")
    await expect.poll(() => page.locator("#recipient-count").textContent(), SOON).toBe("2 recipients")
    // Sent as { templateId, variables } with each recipient's own: the API renders it per recipient.
    await page.getByRole("button", { name: "Start broadcast" }).click()
    await page.getByRole("heading", { name: "Greeting", level: 1 }).waitFor()
    await expect.poll(status, SLOW).toBe("done")
    const calls = await fakeControl(stack.fakes.telegramOrigin).requests({ account: botToken, method: "sendMessage" })
    const texts = calls.map((c) => (c.body as { text?: unknown }).text)
    expect(texts).toContain("Hi Grace, your code is SPRING")
    expect(texts).toContain("Hi Alan, your code is SPRING")
  })

  it("schedules a broadcast for later: it waits as Scheduled, with its time", async () => {
    await page.goto(`${stack.url}/#/bots/${botId}/broadcasts/new`)
    await page.getByLabel("Name", { exact: true }).fill("Next week")
    await page.getByLabel("Message", { exact: true }).fill("See you next week")
    await page.getByLabel("Recipients", { exact: true }).fill("700\n701\n702")
    await expect.poll(() => page.locator("#recipient-count").textContent(), SOON).toBe("3 recipients")
    // A time that has passed is refused in the browser.
    await page.getByLabel("Start at (optional)").fill("2020-01-01T09:00")
    await page.getByRole("button", { name: "Schedule broadcast" }).click()
    await expect(page.locator("#broadcast-schedule-error").textContent()).resolves.toMatch(/has passed/)
    const later = await page.evaluate(() => {
      const d = new Date(Date.now() + 3 * 86_400_000)
      const p = (n: number) => String(n).padStart(2, "0")
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T09:30`
    })
    await page.getByLabel("Start at (optional)").fill(later)
    await page.getByRole("button", { name: "Schedule broadcast" }).click()
    await page.getByRole("heading", { name: "Next week", level: 1 }).waitFor()
    scheduledId = broadcastIdFromUrl()
    await expect.poll(status, SOON).toBe("scheduled")
    await page.locator("#bc-scheduled").waitFor()
    const scheduled = (await read(botId, scheduledId)) as Live & { scheduledAt: string }
    expect(scheduled.status).toBe("scheduled")
    expect(await page.evaluate((iso) => new Date(iso).toTimeString().slice(0, 5), scheduled.scheduledAt)).toBe("09:30")
    await expect(page.getByRole("button", { name: "Pause", exact: true }).isEnabled()).resolves.toBe(true)
    await crumb("Broadcasts").click()
    await expect(row("Next week").locator(".c-status").textContent()).resolves.toBe("Scheduled")
    await expect(row("Next week").textContent()).resolves.toContain("Starts ")
    await expect.poll(async () => row("Spring sale").locator(".bc-sent").textContent(), SLOW).toBe("30 / 31 sent")
    await shoot("broadcasts-list")
  })

  it("lets a viewer follow broadcasts but change nothing", async () => {
    await devSignIn("viewer")
    await page.goto(`${stack.url}/#/bots/${botId}/broadcasts`)
    await row("Spring sale").waitFor()
    await expect(page.getByRole("button", { name: "+ New broadcast" }).isDisabled()).resolves.toBe(true)
    await page.getByText("You have read-only access").waitFor()
    await row("Next week").getByRole("link").click()
    await page.getByRole("heading", { name: "Next week", level: 1 }).waitFor()
    await expect.poll(status, SOON).toBe("scheduled")
    for (const name of ["Pause", "Resume", "Cancel broadcast"])
      await expect(page.getByRole("button", { name, exact: true }).isDisabled()).resolves.toBe(true)
    await page.getByRole("link", { name: "Download results (CSV)" }).waitFor()
    await shoot("viewer-broadcast")
    await page.goto(`${stack.url}/#/bots/${botId}/broadcasts/new`)
    await page.getByText("sending broadcasts is disabled").waitFor()
    await expect(page.getByRole("button", { name: "Start broadcast" }).count()).resolves.toBe(0)
    const refused = await api("POST", `/api/bots/${botId}/broadcasts/${scheduledId}/control`, { action: "cancel" })
    expect(refused.status).toBe(403)
  })

  it("pages through many broadcasts with Load more; an unknown one is not found", async () => {
    await devSignIn("owner")
    const bearer = await token()
    for (let i = 0; i < 25; i++) {
      const res = await api(
        "POST",
        `/api/bots/${botId}/broadcasts`,
        { name: `Drip ${i + 1}`, text: "Drip", recipients: [{ chatId: String(600 + i) }] },
        bearer,
      )
      expect(res.status).toBe(202)
    }
    const listed = await api("GET", `/api/bots/${botId}/broadcasts?limit=100`, undefined, bearer)
    const total = (listed.body.broadcasts as unknown[]).length
    expect(total).toBeGreaterThanOrEqual(28)
    await page.goto(`${stack.url}/#/bots/${botId}/broadcasts`)
    await expect.poll(() => page.locator("tr[data-broadcast]").count(), SOON).toBe(25)
    await expect(page.locator("tr[data-broadcast]").first().textContent()).resolves.toContain("Drip 25")
    await page.getByRole("button", { name: "Load more" }).click()
    await expect.poll(() => page.locator("tr[data-broadcast]").count(), SOON).toBe(total)
    await expect(page.getByRole("button", { name: "Load more" }).isHidden()).resolves.toBe(true)
    await expect(page.locator("#broadcasts-count").textContent()).resolves.toBe(`Showing ${total} broadcasts`)
    await page.goto(`${stack.url}/#/bots/${botId}/broadcasts/bc_nope`)
    await page.getByRole("heading", { name: "Broadcast not found" }).waitFor()
  })

  it("fetched nothing from another origin, threw no errors, broke no CSP rule, and wrote its screenshots", () => {
    session.assertClean({ atLeast: 18 })
  })
})
