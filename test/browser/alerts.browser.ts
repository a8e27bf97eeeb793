// The dashboard's Alerts page (#/settings/alerts) in a real browser (Debian's Chromium via playwright-core) against
// `wrangler dev`: reached from the header's navigation, the defaults (alerts off, 1000 / 20% / 20, no secret, no
// sideways scrolling at phone width); a private URL refused with the API's 422 under its field and in the summary,
// nothing saved; a public https URL and thresholds saved, the signing secret shown once with its warning (gone after a
// reload, which says "Secret set", and not shown by a later save); Rotate after a confirmation (Cancel changes
// nothing) showing a new secret once; alerts turned off by clearing the URL; a viewer's read-only page (inputs and
// buttons disabled, the URL's query values hidden); nothing fetched from another origin, no page error, no CSP
// violation.
import type { Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { AlertSettingsWritten } from "../../public/js/api-types.d.ts"
import { createSession } from "./harness.ts"
import type { Stack } from "./stack.ts"

const session = createSession()
const { shoot, devSignIn, api, nav } = session
let stack: Stack
let page: Page
beforeAll(async () => {
  ;({ stack, page } = await session.open())
})
afterAll(() => session.close())

const PUBLIC_URL = "https://alerts.example.com/switchboard?key=s3cret"
/** A Standard Webhooks secret as Switchboard makes it: `whsec_` and the base64 of 32 bytes. */
const SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/

const field = (label: string) => page.getByLabel(label, { exact: true })
const text = (selector: string) => page.locator(selector).textContent()
const saveButton = () => page.getByRole("button", { name: "Save alert settings" })
const rotateButton = () => page.getByRole("button", { name: "Rotate secret", exact: true })
const settings = async () => {
  const res = await api<AlertSettingsWritten>("GET", "/api/settings/alerts")
  expect(res.status).toBe(200)
  return res.body
}
const formValues = async () => ({
  url: await field("Alert URL").inputValue(),
  queueDepth: await field("Queue depth").inputValue(),
  failureRate: await field("Failure rate (%)").inputValue(),
  minAttempts: await field("Minimum attempts").inputValue(),
})
const openAlerts = async () => {
  await nav("Alerts").click()
  await page.getByRole("heading", { name: "Alerts", level: 1 }).waitFor()
}

describe("the Alerts settings page", () => {
  let firstSecret = ""

  it("is in the header's navigation and shows the defaults: alerts off, no secret yet", async () => {
    await devSignIn("owner")
    await openAlerts()
    expect(page.url()).toBe(`${stack.url}/#/settings/alerts`)
    await expect(nav("Alerts").getAttribute("aria-current")).resolves.toBe("page")
    await expect(page.title()).resolves.toBe("Alerts · Switchboard")
    await expect(formValues()).resolves.toEqual({ url: "", queueDepth: "1000", failureRate: "20", minAttempts: "20" })
    await expect(text("#alerts-state")).resolves.toBe("Alerts off No URL: nothing is sent.")
    await expect(text("#alerts-secret-state")).resolves.toBe("No secret yet")
    await expect(rotateButton().isDisabled()).resolves.toBe(true)
    // Each event and the once-per-condition rule, in words.
    const form = (await text("form.alerts-form")) ?? ""
    expect(form).toContain("A bot in error: its platform refused it")
    expect(form).toContain("more messages waiting to be sent than the queue depth")
    expect(form).toContain("over the last 15 minutes, the failure rate below or more of a bot's sends failed")
    expect(form).toContain("reported at most once, when it starts")
    expect(form).toContain("a resolved event follows")
    await expect(page.locator("#alerts-signing-secret").count()).resolves.toBe(0)
    // At phone width nothing is wider than the screen (the verification snippet scrolls inside its box).
    await page.setViewportSize({ width: 390, height: 844 })
    await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth)).toBe(390)
    await page.setViewportSize({ width: 1280, height: 900 })
    await shoot("alerts-defaults")
  })

  it("shows the API's refusal of a private URL under its field, and saves nothing", async () => {
    await field("Alert URL").fill("https://10.0.0.1/hook")
    await saveButton().click()
    const message = /^Must be a public https: URL; it must not point at a private, link-local or reserved address$/
    await expect.poll(() => text("#alerts-url-error")).toMatch(message)
    await expect(field("Alert URL").getAttribute("aria-invalid")).resolves.toBe("true")
    await expect(page.locator(".alerts-form .error-summary li").allTextContents()).resolves.toEqual([
      expect.stringMatching(/^Alert URL: Must be a public https: URL; it must not point at a private/),
    ])
    await expect(settings()).resolves.toEqual({
      url: null,
      queueDepth: 1000,
      failureRate: 0.2,
      minAttempts: 20,
      secretSet: false,
    })
    // The form's own checks also show every problem at once, before asking the API.
    await field("Queue depth").fill("0")
    await field("Failure rate (%)").fill("150")
    await saveButton().click()
    await expect.poll(() => page.locator(".alerts-form .error-summary li").count()).toBe(2)
    await expect(text("#alerts-queue-depth-error")).resolves.toBe("Must be a whole number from 1 to 10,000,000")
    await expect(text("#alerts-failure-rate-error")).resolves.toBe("Must be a percentage over 0 and at most 100")
    await expect(text("#alerts-url-error")).resolves.toBe("")
    await shoot("alerts-refused")
  })

  it("saves a public https URL and thresholds, and shows the signing secret once", async () => {
    await field("Alert URL").fill(PUBLIC_URL)
    await field("Queue depth").fill("500")
    await field("Failure rate (%)").fill("12.5")
    await field("Minimum attempts").fill("10")
    await saveButton().click()
    const secret = page.locator("#alerts-signing-secret")
    await secret.waitFor()
    firstSecret = (await secret.textContent()) ?? ""
    expect(firstSecret).toMatch(SECRET)
    await expect(text("#alerts-secret-once")).resolves.toContain("Copy it now: it won't be shown again.")
    await expect(page.getByRole("button", { name: "Copy Signing secret" }).isVisible()).resolves.toBe(true)
    await expect(page.locator(".alerts-form .error-box").isHidden()).resolves.toBe(true)
    await expect(text("#alerts-state")).resolves.toBe(`Alerts on Posted to ${PUBLIC_URL}`)
    await expect(text("#alerts-secret-state")).resolves.toBe("Secret set")
    await expect(rotateButton().isDisabled()).resolves.toBe(false)
    // How to verify: Standard Webhooks, and the API docs.
    const panel = page.getByRole("region", { name: "Signing secret" })
    await expect(panel.textContent()).resolves.toContain("new Webhook(secret).verify(body, headers)")
    await expect(panel.getByRole("link", { name: "API docs" }).getAttribute("href")).resolves.toBe("/docs")
    await expect(settings()).resolves.toEqual({
      url: PUBLIC_URL,
      queueDepth: 500,
      failureRate: 0.125,
      minAttempts: 10,
      secretSet: true,
    })
    await shoot("alerts-secret-once")
  })

  it("no longer shows the secret after a reload, nor after a later save: it says the secret is set", async () => {
    await page.reload()
    await page.getByRole("heading", { name: "Alerts", level: 1 }).waitFor()
    await expect(text("#alerts-secret-state")).resolves.toBe("Secret set")
    await expect(page.locator("#alerts-signing-secret").count()).resolves.toBe(0)
    await expect(formValues()).resolves.toEqual({
      url: PUBLIC_URL,
      queueDepth: "500",
      failureRate: "12.5",
      minAttempts: "10",
    })
    expect(await page.content()).not.toContain(firstSecret)
    await field("Queue depth").fill("600")
    await saveButton().click()
    await expect.poll(async () => (await settings()).queueDepth).toBe(600)
    await expect(page.locator("#alerts-signing-secret").count()).resolves.toBe(0)
  })

  it("rotates the secret after a confirmation, and shows the new one once", async () => {
    await rotateButton().click()
    const dialog = page.getByRole("dialog", { name: "Rotate the signing secret?" })
    await expect(dialog.textContent()).resolves.toContain("within 30 seconds")
    await dialog.getByRole("button", { name: "Cancel" }).click()
    await expect.poll(() => dialog.count()).toBe(0)
    await expect(page.locator("#alerts-signing-secret").count()).resolves.toBe(0)

    await rotateButton().click()
    await dialog.getByRole("button", { name: "Rotate secret" }).click()
    const secret = page.locator("#alerts-signing-secret")
    await secret.waitFor()
    const rotated = (await secret.textContent()) ?? ""
    expect(rotated).toMatch(SECRET)
    expect(rotated).not.toBe(firstSecret)
    await expect(text("#alerts-secret-once")).resolves.toContain("The previous secret stops being used within 30")
    await expect(settings()).resolves.toMatchObject({ url: PUBLIC_URL, secretSet: true })
    await shoot("alerts-rotated")
    await page.reload()
    await page.getByRole("heading", { name: "Alerts", level: 1 }).waitFor()
    await expect(page.locator("#alerts-signing-secret").count()).resolves.toBe(0)
  })

  it("turns alerts off when the URL is cleared, keeping the thresholds and the secret", async () => {
    await field("Alert URL").fill("")
    await saveButton().click()
    await expect.poll(() => text("#alerts-state")).toBe("Alerts off No URL: nothing is sent.")
    await expect.poll(() => text("#toast")).toBe("Alerts turned off")
    await expect(page.locator("#alerts-signing-secret").count()).resolves.toBe(0)
    await expect(settings()).resolves.toEqual({
      url: null,
      queueDepth: 600,
      failureRate: 0.125,
      minAttempts: 10,
      secretSet: true,
    })
  })

  it("lets a viewer read the settings, with the URL's query values hidden, and change nothing", async () => {
    const saved = await api<AlertSettingsWritten>("PUT", "/api/settings/alerts", { url: PUBLIC_URL, queueDepth: 700 })
    expect(saved.status).toBe(200)
    expect(saved.body.signingSecret).toBeUndefined() // the secret exists: a save issues none
    await devSignIn("viewer")
    await openAlerts()
    await page.getByText("You have read-only access: changes are disabled.").waitFor()
    const redacted = "https://alerts.example.com/switchboard?key=redacted"
    await expect(formValues()).resolves.toEqual({
      url: redacted,
      queueDepth: "700",
      failureRate: "20",
      minAttempts: "20",
    })
    await expect(text("#alerts-state")).resolves.toBe(`Alerts on Posted to ${redacted}`)
    await expect(text("#alerts-secret-state")).resolves.toBe("Secret set")
    for (const label of ["Alert URL", "Queue depth", "Failure rate (%)", "Minimum attempts"])
      await expect(field(label).isDisabled()).resolves.toBe(true)
    await expect(saveButton().isDisabled()).resolves.toBe(true)
    await expect(rotateButton().isDisabled()).resolves.toBe(true)
    await shoot("alerts-viewer")
    const refused = await api("PUT", "/api/settings/alerts", { url: null })
    expect(refused.status).toBe(403)
    expect((await api("POST", "/api/settings/alerts/rotate-secret")).status).toBe(403)
  })

  it("fetched nothing from another origin, threw no errors, broke no CSP rule, and wrote its screenshots", () => {
    session.assertClean({ exactly: 10 })
  })
})
