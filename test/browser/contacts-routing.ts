// A scenario of the contacts test (contacts.browser.ts runs it in its sequence, on its page and stack): the Routing page's
// rules, refused in plain words at their field, then saved, reordered and used by a contact's route preview; the
// opt-out words. Here to keep that file under 400 lines.
import type { Page } from "playwright-core"
import { expect } from "vitest"
import type { Session } from "./harness.ts"
import type { Stack } from "./stack.ts"

/** Debounced previews on a busy machine. */
const SOON = { timeout: 10_000 }

/** What the scenario drives: the contacts test's page, stack and session, and its contact Ada's id. */
interface ContactsTest {
  page: Page
  stack: Stack
  session: Session
  adaId: string
}

/**
 * Edits routing rules: a refusal in plain words at its field, then saved, reordered, and used by the preview of the
 * contact `adaId` (tagged vip, attribute plan=gold).
 */
export async function routingRules({ page, stack, session, adaId }: ContactsTest) {
  const { shoot, api, nav } = session
  await nav("Routing").click()
  await page.getByRole("heading", { name: "Routing", level: 1 }).waitFor()
  await page.getByText("No rules:").waitFor()
  await page.getByRole("button", { name: "+ Add rule" }).click()
  const first = page.locator("fieldset.rule").nth(0)
  await first.getByLabel("Name (optional)").fill("VIPs on Telegram")
  await first.getByLabel("Text", { exact: true }).check()
  await first.getByLabel("Contact has any of these tags").fill("vip")
  await first.getByLabel("Contact has these attributes").fill("plan=gold")
  // No platform yet: the API refuses, and the page says so in words, at the field.
  await page.getByRole("button", { name: "Save rules" }).click()
  const alert = page.locator(".rules-form > .error-box")
  await expect.poll(() => alert.textContent()).toBe("The rules were not saved:Rule 1, platforms: choose at least one.")
  await expect(first.locator(".order-picker + .hint + .field-error").textContent()).resolves.toBe("choose at least one")
  await expect(first.getByLabel("Platforms to try, in order").getAttribute("aria-invalid")).resolves.toBe("true")
  await shoot("routing-refused")
  await first.getByLabel("Platforms to try, in order").selectOption({ label: "Telegram" })
  await first.getByRole("button", { name: "Add platform" }).click()
  await first.getByLabel("Platforms to try, in order").selectOption({ label: "WhatsApp" })
  await first.getByRole("button", { name: "Add platform" }).click()

  // A second rule, for templates, moved above the first.
  await page.getByRole("button", { name: "+ Add rule" }).click()
  const second = page.locator("fieldset.rule").nth(1)
  await second.getByLabel("Name (optional)").fill("Templates on WhatsApp")
  await second.getByLabel("Template", { exact: true }).check()
  await second.getByLabel("Platforms to try, in order").selectOption({ label: "WhatsApp" })
  await second.getByRole("button", { name: "Add platform" }).click()
  await page.getByRole("button", { name: "Move rule 2 up" }).click()
  await expect(page.locator("fieldset.rule legend").allTextContents()).resolves.toEqual([
    "Rule 1: Templates on WhatsApp",
    "Rule 2: VIPs on Telegram",
  ])
  await page.getByRole("button", { name: "Save rules" }).click()
  await expect.poll(() => page.locator("#toast").textContent()).toBe("2 rules saved")
  await expect(alert.isHidden()).resolves.toBe(true)
  const saved = await api("GET", "/api/routing")
  expect(saved.body).toEqual({
    rules: [
      { name: "Templates on WhatsApp", match: { kinds: ["template"] }, platforms: ["whatsapp"] },
      {
        name: "VIPs on Telegram",
        match: { kinds: ["text"], tagsAny: ["vip"], attributes: { plan: "gold" } },
        platforms: ["telegram", "whatsapp"],
      },
    ],
  })
  await shoot("routing")

  // The opt-out words, saved whole.
  await page.getByLabel("Stop words").fill("STOP, ARRET")
  await page.getByRole("button", { name: "Save opt-out settings" }).click()
  await expect.poll(() => page.locator("#toast").textContent()).toBe("Opt-out settings saved")
  expect((await api("GET", "/api/settings/opt-out")).body.stopKeywords).toEqual(["STOP", "ARRET"])

  // Ada (vip, plan=gold) now gets text through the second rule.
  await page.goto(`${stack.url}/#/contacts/${encodeURIComponent(adaId)}`)
  await expect.poll(() => page.locator(".route-source").getAttribute("data-source"), SOON).toBe("rule")
  await expect(page.locator(".route-source").textContent()).resolves.toContain("“VIPs on Telegram”")
}
