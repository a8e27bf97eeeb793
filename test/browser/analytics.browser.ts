// The dashboard's Analytics page in a real browser (Debian's Chromium via playwright-core) against `wrangler dev` and
// the fake platforms: no traffic says so; a Telegram bot created through the API and fed updates by the fake Telegram
// (echo replies), waited for until GET /api/analytics counts them; then the page's platform totals, busiest bots and
// uPlot charts; the range picker (7 days hourly, 30 days daily, kept in the address over a reload, custom ranges
// checked in the browser, hourly or daily by where they start); the CSV built from what is shown; the bot's own
// Analytics section on its page; the error state (the API's own refusal, and a network failure Try again recovers
// from); nothing fetched from another origin, no page errors, no CSP violation.
import { readFileSync } from "node:fs"
import type { Locator, Page, Request } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Analytics } from "../../public/js/api-types.d.ts"
import { telegramTextUpdate } from "../fakes/builders.ts"
import { fakeControl, randomTelegramToken } from "../fakes/client.ts"
import { createSession } from "./harness.ts"
import type { Stack } from "./stack.ts"

const HOUR = 3_600_000
const DAY = 24 * HOUR
/** The CSV's header, as the page writes it. */
const CSV_HEADER =
  "period_start,granularity,platform,bot_id,bot_name,inbound,outbound,failed,success_rate_percent," +
  "send_latency_p50_ms,send_latency_p95_ms,reply_latency_p50_ms,reply_latency_p95_ms,rate_limited_429,failovers"
/** Updates the fake Telegram delivers: each one echoed back, so as many outbound. */
const UPDATES = 3

let stack: Stack
let page: Page
/** Every GET /api/analytics the page made, in order. */
const analyticsRequests: URL[] = []
const isAnalytics = (r: Request) => new URL(r.url()).pathname === "/api/analytics"
const session = createSession({
  acceptDownloads: true,
  alsoLocal: ["blob:"],
  onRequest: (r, stack) => {
    if (r.url().startsWith(stack.url) && isAnalytics(r)) analyticsRequests.push(new URL(r.url()))
  },
  shots: { settleMs: 150 },
})
const { shoot, devSignIn, api, nav } = session
beforeAll(async () => {
  ;({ stack, page } = await session.open())
})
afterAll(() => session.close())

/** Runs `action` and returns the GET /api/analytics it caused, once answered and drawn. */
async function fetchedBy(action: () => Promise<unknown>) {
  const [request] = await Promise.all([page.waitForRequest(isAnalytics), action()])
  await request.response()
  await page.waitForFunction(() => document.querySelector(".an-body:not([aria-busy])") !== null)
  return new URL(request.url())
}
/** A request's range: its span in ms, and its granularity. */
const rangeOf = (url: URL) => ({
  span: Date.parse(url.searchParams.get("to") ?? "") - Date.parse(url.searchParams.get("from") ?? ""),
  granularity: url.searchParams.get("granularity"),
})
/** A cell of the platform totals table (`""`: the All platforms footer). */
const platformCell = (platform: string, col: string) =>
  page.locator(`table.an-platforms tr[data-platform="${platform}"] [data-col="${col}"]`)
/**
 * datetime-local values `offsets` ms from one instant (now), in the browser's time zone, to the minute; with the
 * instant each stands for.
 */
const localInputs = (...offsets: number[]) =>
  page.evaluate((list) => {
    const now = Date.now()
    const p = (n: number) => String(n).padStart(2, "0")
    return list.map((offset) => {
      const d = new Date(now + offset)
      const value = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`
      return { value, iso: new Date(value).toISOString() }
    })
  }, offsets)

/** Picks Custom and applies From and To (offsets from now); returns the request and the ends asked for. */
async function custom(fromOffset: number, toOffset: number) {
  const [from, to] = await localInputs(fromOffset, toOffset)
  if (!from || !to) throw new Error("no inputs")
  await page.getByLabel("Custom").check()
  await page.getByLabel("From", { exact: true }).fill(from.value)
  await page.getByLabel("To", { exact: true }).fill(to.value)
  const url = await fetchedBy(() => page.getByRole("button", { name: "Apply" }).click())
  return { url, from: from.iso, to: to.iso }
}

async function downloadCsv(scope: Page | Locator) {
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    scope.getByRole("link", { name: "Download CSV" }).click(),
  ])
  const path = await download.path()
  const lines = readFileSync(path, "utf8").split("\r\n")
  expect(lines.at(-1)).toBe("") // the file ends with a line break
  return { name: download.suggestedFilename(), header: lines[0], rows: lines.slice(1, -1).map((l) => l.split(",")) }
}

describe("analytics", () => {
  const botToken = randomTelegramToken()
  const botName = "Support TG"
  let botId = ""

  it("says there is no traffic before any, with the lag note, and asks for the last 24 hours by hour", async () => {
    await devSignIn("owner")
    const url = await fetchedBy(() => nav("Analytics").click())
    await page.getByRole("heading", { name: "Analytics", level: 1 }).waitFor()
    await expect(nav("Analytics").getAttribute("aria-current")).resolves.toBe("page")
    await page.getByRole("heading", { name: "No traffic in this range" }).waitFor()
    await page.getByText("Numbers lag live traffic by up to 30 s").waitFor()
    expect(rangeOf(url)).toEqual({ span: DAY, granularity: "hour" })
    await expect(page.getByLabel("24 hours").isChecked()).resolves.toBe(true)
    // Nothing to export, and no chart drawn.
    await expect(page.getByRole("link", { name: "Download CSV" }).count()).resolves.toBe(0)
    await expect(page.locator(".uplot").count()).resolves.toBe(0)
    await shoot("analytics-empty")
  })

  it("counts what a Telegram bot received and replied once the registry has it", async () => {
    const created = await api<{ bot: { id: string } }>("POST", "/api/bots", {
      platform: "telegram",
      name: botName,
      credentials: { botToken },
    })
    expect(created.status).toBe(201)
    botId = created.body.bot.id
    const telegram = fakeControl(stack.fakes.telegramOrigin)
    for (let i = 0; i < UPDATES; i++) {
      const delivered = await telegram.deliver({
        account: botToken,
        body: telegramTextUpdate({ chatId: 5100 + i, text: `hello ${i}` }),
      })
      expect(delivered.status).toBe(200)
    }
    await telegram.waitForRequests({ account: botToken, method: "sendMessage" }, UPDATES, 30_000)
    // The registry's rollups lag live traffic by up to 30 s: polled until they hold every message.
    await expect
      .poll(
        async () => {
          const res = await api<Analytics>("GET", "/api/analytics")
          const telegramTotals = res.body.platforms?.find((p) => p.platform === "telegram")?.totals
          return { status: res.status, inbound: telegramTotals?.inbound, outbound: telegramTotals?.outbound }
        },
        { timeout: 60_000, interval: 1_000 },
      )
      .toEqual({ status: 200, inbound: UPDATES, outbound: UPDATES })
  }, 120_000)

  it("shows the platform totals, the busiest bots and a uPlot chart per metric", async () => {
    const url = await fetchedBy(() => page.getByRole("button", { name: "Refresh" }).click())
    expect(rangeOf(url)).toEqual({ span: DAY, granularity: "hour" })
    await platformCell("telegram", "inbound").waitFor()
    await expect(platformCell("telegram", "inbound").textContent()).resolves.toBe(String(UPDATES))
    await expect(platformCell("telegram", "outbound").textContent()).resolves.toBe(String(UPDATES))
    await expect(platformCell("telegram", "failed").textContent()).resolves.toBe("0")
    await expect(platformCell("telegram", "success").textContent()).resolves.toBe("100%")
    await expect(platformCell("", "inbound").textContent()).resolves.toBe(String(UPDATES))
    await expect(page.locator('[data-stat="outbound"] .value').textContent()).resolves.toBe(String(UPDATES))
    // One chart per metric, each a uPlot canvas at the figure's width.
    const titles = await page.locator(".an-figure .an-chart-title").allTextContents()
    expect(titles).toEqual([
      "Inbound messages",
      "Outbound messages",
      "Success rate",
      "Send latency",
      "Reply latency",
      "Rate limited (429)",
      "Failovers",
    ])
    await expect(page.locator(".an-figure .uplot canvas").count()).resolves.toBe(titles.length)
    const width = await page
      .locator(".an-figure canvas")
      .first()
      .evaluate((c) => c.getBoundingClientRect().width)
    expect(width).toBeGreaterThan(300)
    // The line is the platform's, and screen readers get the chart's numbers in words.
    await expect(page.locator('[data-chart="inbound"] .u-legend').textContent()).resolves.toContain("Telegram")
    await expect(page.locator('[data-chart="inbound"] .visually-hidden').textContent()).resolves.toBe(
      `Inbound messages. Telegram: ${UPDATES} in total.`,
    )
    const bot = page.locator(`table.an-bots tr[data-bot="${botId}"]`)
    await expect(bot.getByRole("link").textContent()).resolves.toBe(botName)
    await expect(bot.locator('[data-col="inbound"]').textContent()).resolves.toBe(String(UPDATES))
    await page.getByText("1 bot with traffic in this range").waitFor()
    await shoot("analytics")
  })

  it("re-fetches when the range changes: 7 days by hour, 30 days by day, kept in the address over a reload", async () => {
    const week = await fetchedBy(() => page.getByLabel("7 days").check())
    expect(rangeOf(week)).toEqual({ span: 7 * DAY, granularity: "hour" })
    await expect.poll(() => page.locator(".an-shown").textContent()).toMatch(/by hour$/)
    await expect(platformCell("telegram", "inbound").textContent()).resolves.toBe(String(UPDATES))
    expect(await page.evaluate(() => location.hash)).toBe("#/analytics?range=7d")

    const month = await fetchedBy(() => page.getByLabel("30 days").check())
    expect(rangeOf(month)).toEqual({ span: 30 * DAY, granularity: "day" })
    await expect.poll(() => page.locator(".an-shown").textContent()).toMatch(/by day \(UTC\)$/)
    await expect(platformCell("telegram", "outbound").textContent()).resolves.toBe(String(UPDATES))
    await expect(page.locator(".an-figure .uplot canvas").count()).resolves.toBe(7)
    expect(await page.evaluate(() => location.hash)).toBe("#/analytics?range=30d")

    const reloaded = await fetchedBy(() => page.reload())
    expect(rangeOf(reloaded).granularity).toBe("day")
    await expect(page.getByLabel("30 days").isChecked()).resolves.toBe(true)
    await expect(platformCell("telegram", "inbound").textContent()).resolves.toBe(String(UPDATES))
  })

  it("checks a custom range in the browser, asks by hour or by day by where it starts, and says when it is empty", async () => {
    const before = analyticsRequests.length
    await page.getByLabel("Custom").check()
    await expect(page.getByLabel("From", { exact: true }).inputValue()).resolves.toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d$/)
    const [later, earlier] = await localInputs(-HOUR, -2 * HOUR)
    await page.getByLabel("From", { exact: true }).fill(later?.value ?? "")
    await page.getByLabel("To", { exact: true }).fill(earlier?.value ?? "")
    await page.getByRole("button", { name: "Apply" }).click()
    await expect
      .poll(() => page.locator(".an-custom .field-error").textContent())
      .toBe("The end must be after the start.")
    await expect(page.getByLabel("To", { exact: true }).getAttribute("aria-invalid")).resolves.toBe("true")
    expect(analyticsRequests.length).toBe(before) // nothing asked

    // A day, two days ago: by hour, the ends as entered, and nothing happened then.
    const quiet = await custom(-3 * DAY, -2 * DAY)
    expect(quiet.url.searchParams.get("granularity")).toBe("hour")
    expect([quiet.url.searchParams.get("from"), quiet.url.searchParams.get("to")]).toEqual([quiet.from, quiet.to])
    await page.getByRole("heading", { name: "No traffic in this range" }).waitFor()
    await expect(page.getByLabel("To", { exact: true }).getAttribute("aria-invalid")).resolves.toBeNull()
    expect(await page.evaluate(() => location.hash)).toMatch(/^#\/analytics\?range=custom&from=.+&to=.+$/)

    // Three days starting 20 days ago: past the 14 days hourly points are kept, so by day.
    const old = await custom(-20 * DAY, -17 * DAY)
    expect(old.url.searchParams.get("granularity")).toBe("day")
    await page.getByRole("heading", { name: "No traffic in this range" }).waitFor()

    // The last two hours (an end in the future is now): the messages, by hour.
    const recent = await custom(-2 * HOUR, 5 * 60_000)
    expect(recent.url.searchParams.get("granularity")).toBe("hour")
    expect(Date.parse(recent.url.searchParams.get("to") ?? "")).toBeLessThanOrEqual(Date.now())
    await platformCell("telegram", "inbound").waitFor()
    await expect(platformCell("telegram", "inbound").textContent()).resolves.toBe(String(UPDATES))
    await shoot("analytics-custom")
  })

  it("downloads what is shown as CSV: plain column names, a row per point per platform, the counts", async () => {
    const [response] = await Promise.all([
      page.waitForResponse((r) => isAnalytics(r.request())),
      page.getByLabel("24 hours").check(),
    ])
    const shown = (await response.json()) as Analytics
    await platformCell("telegram", "inbound").waitFor()
    const csv = await downloadCsv(page)
    expect(csv.name).toMatch(/^switchboard-analytics-\d{4}-\d\d-\d\d-to-\d{4}-\d\d-\d\d-by-hour\.csv$/)
    expect(csv.header).toBe(CSV_HEADER)
    expect(csv.rows).toHaveLength(shown.points.length * shown.platforms.length)
    const col = (name: string) => CSV_HEADER.split(",").indexOf(name)
    const sum = (name: string) => csv.rows.reduce((n, r) => n + Number(r[col(name)]), 0)
    expect(sum("inbound")).toBe(UPDATES)
    expect(sum("outbound")).toBe(UPDATES)
    // Each point with traffic is a row with its counts, as the API answered them.
    const series = shown.platforms.find((p) => p.platform === "telegram")?.series ?? []
    const busy = series.filter((p) => p.inbound > 0)
    expect(busy.length).toBeGreaterThan(0)
    for (const point of busy) {
      const row = csv.rows.find((r) => r[0] === point.at && r[2] === "telegram") ?? []
      const cell = (name: string) => row[col(name)]
      expect([cell("granularity"), cell("bot_id"), cell("bot_name")]).toEqual(["hour", "", ""])
      expect([cell("inbound"), cell("outbound"), cell("failed")]).toEqual(
        [point.inbound, point.outbound, 0].map(String),
      )
      const rate = point.successRate === null ? "" : String(point.successRate * 100)
      expect([cell("success_rate_percent"), cell("rate_limited_429"), cell("failovers")]).toEqual([rate, "0", "0"])
      // The echo replied: each send and reply was timed (milliseconds, to a tenth).
      for (const name of ["send_latency_p50_ms", "send_latency_p95_ms", "reply_latency_p50_ms", "reply_latency_p95_ms"])
        expect(cell(name)).toMatch(/^\d+(\.\d)?$/)
    }
  })

  it("opens a bot from the busiest bots; its page has its own Analytics section, with its CSV", async () => {
    await page.locator(`table.an-bots tr[data-bot="${botId}"]`).getByRole("link", { name: botName }).click()
    await page.getByRole("heading", { name: botName, level: 1, exact: true }).waitFor()
    const section = page.locator("section.an-section")
    await section.getByRole("heading", { name: "Analytics", level: 2 }).waitFor()
    await section.locator(".uplot canvas").first().waitFor()
    const asked = analyticsRequests.at(-1)
    expect(asked?.searchParams.get("botId")).toBe(botId)
    expect(rangeOf(asked ?? new URL(stack.url))).toEqual({ span: DAY, granularity: "hour" })
    await expect(section.locator('[data-stat="inbound"] .value').textContent()).resolves.toBe(String(UPDATES))
    await expect(section.locator('[data-stat="outbound"] .value').textContent()).resolves.toBe(String(UPDATES))
    await expect(section.locator(".an-figure").count()).resolves.toBe(7)
    await expect(section.locator('[data-chart="outbound"] .u-legend').textContent()).resolves.toContain(botName)
    const csv = await downloadCsv(section)
    expect(csv.name).toMatch(/^Support-TG-analytics-.+-by-hour\.csv$/)
    expect(csv.header).toBe(CSV_HEADER)
    expect(csv.rows.every((r) => r[3] === botId && r[4] === botName && r[2] === "telegram")).toBe(true)
    expect(csv.rows.reduce((n, r) => n + Number(r[5]), 0)).toBe(UPDATES)
    // Its range picker is its own: 7 days for this bot, by hour.
    const week = await fetchedBy(() => section.getByLabel("7 days").check())
    expect(week.searchParams.get("botId")).toBe(botId)
    expect(rangeOf(week)).toEqual({ span: 7 * DAY, granularity: "hour" })
    await shoot("bot-analytics")
  })

  it("shows an error state: the API's refusal in its words, a network failure that Try again recovers from", async () => {
    await nav("Analytics").click()
    await platformCell("telegram", "inbound").waitFor()
    // Two years by day is more than the API answers in one go: it says so (422).
    const refused = await custom(-730 * DAY, -HOUR)
    expect(refused.url.searchParams.get("granularity")).toBe("day")
    const alert = page.locator(".an-error[role=alert]")
    await alert.waitFor()
    await expect(alert.textContent()).resolves.toMatch(/could not load.*daily points/)
    await expect(page.getByRole("link", { name: "Download CSV" }).count()).resolves.toBe(0)
    await expect(page.locator(".uplot").count()).resolves.toBe(0)
    await shoot("analytics-error")

    await page.route("**/api/analytics?**", (route) => route.abort("connectionrefused"))
    await page.getByLabel("24 hours").check()
    await expect.poll(() => alert.textContent()).toContain("Could not reach Switchboard")
    await page.unroute("**/api/analytics?**")
    await fetchedBy(() => alert.getByRole("button", { name: "Try again" }).click())
    await expect(platformCell("telegram", "inbound").textContent()).resolves.toBe(String(UPDATES))
    await expect(alert.count()).resolves.toBe(0)
  })

  it("fetched nothing from another origin, threw no errors, broke no CSP rule, and wrote its screenshots", () => {
    session.assertClean({ exactly: 10 })
  })
})
