// The dashboard's Contacts and Routing pages in a real browser (Debian's Chromium via playwright-core) against
// `wrangler dev` and the fake platforms: bots created through the API; a contact with two chats created from the form
// (a chat another contact holds is refused at its row); the list searched and filtered, with an opted-out marker once a
// person wrote STOP; the contact's route preview (order, and skipped chats with their reason) following the form; a
// send that fails over from a bot the person blocked to the next, its timeline reaching its last hop, and a send no
// chat can take failing at once; the timelines kept over a reload; details edited; a routing rule refused in plain
// words, then saved, reordered and applied to the preview; the opt-out words; merging and deleting; a viewer
// read-only; paging.
import type { Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { telegramTextUpdate } from "../fakes/builders.ts"
import { fakeControl, randomPhoneNumberId, randomTelegramToken } from "../fakes/client.ts"
import { routingRules } from "./contacts-routing.ts"
import { createSession } from "./harness.ts"
import type { Stack } from "./stack.ts"

/** What the API takes a few seconds for (an inbound message reaches D1 with the rollups, every ~15 s). */
const SLOW = { timeout: 40_000, interval: 500 }
/** Debounced searches and previews on a busy machine. */
const SOON = { timeout: 10_000 }

const session = createSession()
const { shoot, devSignIn, token, api, nav } = session
let stack: Stack
let page: Page
beforeAll(async () => {
  ;({ stack, page } = await session.open())
})
afterAll(() => session.close())

const row = (name: string) =>
  page.locator("tr[data-contact]").filter({ has: page.getByRole("link", { name, exact: true }) })
const kept = () => page.locator("#route-preview ol.candidates.kept > li")
const skipped = () => page.locator("#route-preview ul.skipped-list > li")
const keptBots = () => kept().locator(".candidate-bot").allTextContents()

describe("contacts", () => {
  const supportToken = randomTelegramToken()
  const backupToken = randomTelegramToken()
  const bots = { support: "", backup: "", orders: "" }
  let adaId = ""
  let graceId = ""

  it("creates the bots through the API; the empty contacts list says what to do, then lists a contact", async () => {
    await devSignIn("owner")
    const created = await Promise.all([
      api("POST", "/api/bots", { platform: "telegram", name: "Support TG", credentials: { botToken: supportToken } }),
      api("POST", "/api/bots", { platform: "telegram", name: "Backup TG", credentials: { botToken: backupToken } }),
      api("POST", "/api/bots", {
        platform: "whatsapp",
        name: "Orders WA",
        credentials: {
          accessToken: `EAAG${"x".repeat(40)}`,
          phoneNumberId: randomPhoneNumberId(),
          verifyToken: "orders-verify-token",
        },
      }),
    ])
    expect(created.map((r) => r.status)).toEqual([201, 201, 201])
    const id = (r: (typeof created)[number]) => String((r.body.bot as { id: string }).id)
    bots.support = id(created[0] as (typeof created)[number])
    bots.backup = id(created[1] as (typeof created)[number])
    bots.orders = id(created[2] as (typeof created)[number])
    await nav("Contacts").click()
    await page.getByRole("heading", { name: "No contacts yet" }).waitFor()
    await page.getByRole("link", { name: "+ Add your first contact" }).waitFor()
    await expect(nav("Contacts").getAttribute("aria-current")).resolves.toBe("page")
    // Grace holds chat 9009 of Support TG.
    const grace = await api("POST", "/api/contacts", {
      name: "Grace Hopper",
      tags: ["navy"],
      identities: [{ botId: bots.support, chatId: "9009" }],
    })
    expect(grace.status).toBe(201)
    graceId = String((grace.body.contact as { id: string }).id)

    await page.getByRole("button", { name: "Refresh" }).click()
    await row("Grace Hopper").waitFor()
  })

  it("creates a contact with two chats from the form; a chat another contact holds is refused at its row", async () => {
    await page.getByRole("link", { name: "+ New contact" }).click()
    await page.getByRole("heading", { name: "New contact" }).waitFor()
    await page.getByLabel("Name", { exact: true }).fill("Ada Lovelace")
    await page.getByLabel("Tags", { exact: true }).fill("vip, beta")
    const chats = page.getByRole("group", { name: /^Chat \d$/ })
    await chats.nth(0).getByLabel("Bot").selectOption({ label: "Support TG · Telegram" })
    await chats.nth(0).getByLabel("Chat id").fill("9009")
    await page.getByRole("button", { name: "+ Add a chat" }).click()
    await chats.nth(1).getByLabel("Bot").selectOption({ label: "Orders WA · WhatsApp" })
    await chats.nth(1).getByLabel("Chat id").fill("15550001")
    await shoot("contact-new")
    await page.getByRole("button", { name: "Create contact" }).click()
    // Grace already holds chat 9009: the message is next to that row's chat id, and the top says what to do.
    await expect.poll(() => chats.nth(0).locator(".field-error").last().textContent()).toMatch(/already belongs/)
    await expect(chats.nth(0).getByLabel("Chat id").getAttribute("aria-invalid")).resolves.toBe("true")
    await expect(page.getByRole("alert").first().textContent()).resolves.toMatch(/Merge the two contacts/)
    await shoot("contact-new-conflict")
    await chats.nth(0).getByLabel("Chat id").fill("5001")
    await page.getByRole("button", { name: "Create contact" }).click()
    await page.getByRole("heading", { name: "Ada Lovelace", level: 1 }).waitFor()
    adaId = decodeURIComponent(page.url().split("/").at(-1) ?? "")
    expect(adaId).toMatch(/^ct_/)
    const chatRows = page.locator("tr[data-identity]")
    await expect(chatRows.count()).resolves.toBe(2)
    await expect(chatRows.nth(0).textContent()).resolves.toMatch(/Telegram.*Support TG.*5001.*never.*Reachable/)
    await expect(chatRows.nth(1).textContent()).resolves.toMatch(/WhatsApp.*Orders WA.*15550001/)
  })

  it("searches by name, filters by tag and platform, and marks a chat whose person opted out", async () => {
    // Grace writes STOP on Support TG: that chat is opted out once the bot's records reach D1 (~15 s).
    const stop = await fakeControl(stack.fakes.telegramOrigin).deliver({
      account: supportToken,
      body: telegramTextUpdate({ chatId: 9009, text: "STOP", firstName: "Grace" }),
    })
    expect(stop.status).toBe(200)
    await nav("Contacts").click()
    await row("Ada Lovelace").waitFor()
    await page.waitForLoadState("networkidle")
    const rows = page.locator("tr[data-contact]")
    await expect.poll(() => rows.count()).toBe(2)
    const ada = row("Ada Lovelace")
    await expect(ada.locator(".identity").allTextContents()).resolves.toEqual([
      "TelegramSupport TG",
      "WhatsAppOrders WA",
    ])
    await expect(ada.locator(".badge.tag").allTextContents()).resolves.toEqual(["vip", "beta"])
    await expect(ada.locator(".c-last").textContent()).resolves.toBe("never")

    await page.getByLabel("Search contacts by name").fill("ada")
    await expect.poll(() => rows.count(), SOON).toBe(1)
    await expect.poll(() => page.evaluate(() => location.hash), SOON).toBe("#/contacts?q=ada")
    await page.getByLabel("Search contacts by name").fill("")
    await page.getByLabel("Tag (exact)").fill("navy")
    await expect.poll(() => rows.first().getAttribute("data-contact"), SOON).toBe(graceId)
    await expect.poll(() => rows.count(), SOON).toBe(1)
    await page.getByLabel("Tag (exact)").fill("")
    await expect.poll(() => rows.count(), SOON).toBe(2)
    await page.getByLabel("Platform", { exact: true }).selectOption("whatsapp")
    await expect.poll(() => rows.count(), SOON).toBe(1)
    await expect(rows.first().getAttribute("data-contact")).resolves.toBe(adaId)
    await page.getByLabel("Platform", { exact: true }).selectOption("")
    await expect.poll(() => rows.count(), SOON).toBe(2)

    // The person opted out: Grace's chat says so (after a refresh, once D1 has it).
    await expect
      .poll(async () => {
        await page.getByRole("button", { name: "Refresh" }).click()
        return row("Grace Hopper").locator(".identity .badge.opted-out").count()
      }, SLOW)
      .toBe(1)
    await expect(row("Grace Hopper").locator(".c-last").textContent()).resolves.toBe("just now")
    await shoot("contacts")
  })

  it("opens the contact and previews its route live: the order, and each skipped chat with its reason", async () => {
    await row("Ada Lovelace").getByRole("link").click()
    await page.getByRole("heading", { name: "Ada Lovelace", level: 1 }).waitFor()
    // Nobody wrote yet: Support TG is the one chat to try; WhatsApp's service window is closed for text.
    await expect.poll(() => keptBots(), SOON).toEqual(["Support TG"])
    await expect(page.locator(".route-source").getAttribute("data-source")).resolves.toBe("recency")
    await expect(skipped().count()).resolves.toBe(1)
    await expect(skipped().first().textContent()).resolves.toMatch(
      /WhatsApp.*Orders WA.*15550001.*no message from the person in the last 24 hours.*window_closed/,
    )

    // A chat added on the page joins the preview (the newest chat first when nobody wrote).
    await page
      .getByRole("form", { name: "Add a chat" })
      .getByLabel("Bot")
      .selectOption({ label: "Backup TG · Telegram" })
    await page.getByRole("form", { name: "Add a chat" }).getByLabel("Chat id").fill("5002")
    await page.getByRole("button", { name: "Add chat" }).click()
    await page.locator('tr[data-identity$=":5002"]').waitFor()
    await expect.poll(() => keptBots(), SOON).toEqual(["Backup TG", "Support TG"])

    // The channels chosen on the form order it, and leave the others out with their reason.
    const form = page.getByRole("form", { name: "Send a message" })
    await form.getByLabel("Channels, in order (optional)").selectOption({ label: "Support TG (Telegram)" })
    await form.getByRole("button", { name: "Add channel" }).click()
    await form.getByLabel("Channels, in order (optional)").selectOption({ label: "Backup TG (Telegram)" })
    await form.getByRole("button", { name: "Add channel" }).click()
    await expect.poll(() => keptBots(), SOON).toEqual(["Support TG", "Backup TG"])
    await expect(page.locator(".route-source").getAttribute("data-source")).resolves.toBe("route")
    await expect(kept().first().locator(".candidate-why").textContent()).resolves.toBe("Support TG (bot) is choice 1")
    await expect(skipped().first().textContent()).resolves.toMatch(/Orders WA.*not named by route\.channels/)
    // Reordered with the keyboard-reachable buttons.
    await form.getByRole("button", { name: "Move Backup TG (Telegram) up" }).click()
    await expect.poll(() => keptBots(), SOON).toEqual(["Backup TG", "Support TG"])
    await form.getByRole("button", { name: "Move Backup TG (Telegram) down" }).click()
    await expect.poll(() => keptBots(), SOON).toEqual(["Support TG", "Backup TG"])
    // A failover below the API's minimum is refused under its field, in plain words.
    await form.getByLabel("Fail over after (seconds, optional)").fill("2")
    await expect.poll(() => page.locator("#send-failover-error").textContent(), SOON).toBe("must be at least 5")
    await form.getByLabel("Fail over after (seconds, optional)").fill("")
    await expect.poll(() => page.locator("#send-failover-error").textContent(), SOON).toBe("")
    await form.getByLabel("Message", { exact: true }).fill("Your order has shipped")
    await shoot("contact-preview")
  })

  it("sends: the blocked first chat fails, the next one takes it, and the timeline follows every hop", async () => {
    // The person blocked Support TG: its next send is refused with 403.
    await fakeControl(stack.fakes.telegramOrigin).fail({
      account: supportToken,
      method: "sendMessage",
      mode: "403",
    })
    await page.getByRole("button", { name: "Send", exact: true }).click()
    const entry = page.locator("li.send-entry").first()
    await entry.waitFor()
    await expect.poll(() => entry.getAttribute("data-status"), SOON).toBe("sent")
    const hops = entry.locator("ol.timeline > li.hop")
    await expect.poll(() => hops.count()).toBe(2)
    await expect(hops.evaluateAll((nodes) => nodes.map((n) => n.getAttribute("data-status")))).resolves.toEqual([
      "failed",
      "sent",
    ])
    await expect(hops.nth(0).textContent()).resolves.toMatch(/Telegram.*Support TG.*5001.*Failed.*blocked by the user/)
    await expect(hops.nth(1).textContent()).resolves.toMatch(/Telegram.*Backup TG.*5002.*Sent/)
    await expect(entry.locator(".send-text").textContent()).resolves.toBe("Your order has shipped")
    // It reached the person through Backup TG.
    const delivered = await fakeControl(stack.fakes.telegramOrigin).waitForRequests(
      { account: backupToken, method: "sendMessage" },
      1,
      10_000,
    )
    expect(delivered[0]?.body).toMatchObject({ chat_id: 5002, text: "Your order has shipped" })
    await expect(page.getByLabel("Message", { exact: true }).inputValue()).resolves.toBe("")
    await shoot("contact-sent")
  })

  it("fails a send no chat can take at once, with every reason, and stops following it", async () => {
    const form = page.getByRole("form", { name: "Send a message" })
    for (const name of ["Support TG (Telegram)", "Backup TG (Telegram)"])
      await form.getByRole("button", { name: `Remove ${name}` }).click()
    await form.getByLabel("Channels, in order (optional)").selectOption({ label: "Any WhatsApp chat" })
    await form.getByRole("button", { name: "Add channel" }).click()
    await expect.poll(() => kept().count(), SOON).toBe(0)
    await page.locator("#route-preview .no-route").waitFor()
    await form.getByLabel("Message", { exact: true }).fill("Only on WhatsApp")
    await form.getByRole("button", { name: "Send", exact: true }).click()
    const entry = page.locator("li.send-entry").first()
    await expect.poll(() => entry.locator(".send-text").textContent(), SOON).toBe("Only on WhatsApp")
    await expect(entry.getAttribute("data-status")).resolves.toBe("failed")
    await expect(entry.getAttribute("data-final")).resolves.toBe("true")
    await expect(entry.locator(".send-error").textContent()).resolves.toMatch(/no channel can take it.*window_closed/)
    await expect(entry.locator(".watch-done").textContent()).resolves.toBe("Final")
    await expect(page.locator("li.send-entry").count()).resolves.toBe(2)
  })

  it("shows the timelines again after a reload (kept for the tab)", async () => {
    await page.reload()
    await page.getByRole("heading", { name: "Ada Lovelace", level: 1 }).waitFor()
    const entries = page.locator("li.send-entry")
    await expect.poll(() => entries.count()).toBe(2)
    await expect.poll(() => entries.nth(0).getAttribute("data-status"), SOON).toBe("failed")
    await expect.poll(() => entries.nth(1).getAttribute("data-status"), SOON).toBe("sent")
    await expect(entries.nth(1).locator("ol.timeline > li.hop").count()).resolves.toBe(2)
    const stored = await page.evaluate(() => sessionStorage.getItem("switchboard.contactSends") ?? "")
    expect(Object.keys(JSON.parse(stored))).toEqual([adaId])
  })

  it("edits the details: tags, preferred platforms and attributes, refusing a line that isn't key=value", async () => {
    const details = page.getByRole("region", { name: "Details" })
    await details.getByLabel("Attributes").fill("plan=gold\nlanguage")
    await details.getByRole("button", { name: "Save details" }).click()
    await expect.poll(() => page.locator("#contact-attributes-error").textContent()).toMatch(/Line 2 is not key=value/)
    await details.getByLabel("Attributes").fill("plan=gold\nlanguage=en")
    await details.getByLabel("Tags").fill("vip, beta, shipping")
    await details.getByLabel("Preferred platforms").selectOption({ label: "WhatsApp" })
    await details.getByRole("button", { name: "Add preferred platform" }).click()
    await details.getByRole("button", { name: "Save details" }).click()
    await expect.poll(() => page.locator("#toast").textContent()).toBe("Details saved")
    const saved = await api("GET", `/api/contacts/${adaId}`)
    expect(saved.body.contact).toMatchObject({
      tags: ["vip", "beta", "shipping"],
      preferredPlatforms: ["whatsapp"],
      attributes: { plan: "gold", language: "en" },
    })
    await expect(page.locator(".page-head .badge.tag").allTextContents()).resolves.toEqual(["vip", "beta", "shipping"])
    // Back to no preference, so the routing rules below decide.
    await details.getByRole("button", { name: "Remove WhatsApp" }).click()
    await details.getByRole("button", { name: "Save details" }).click()
    await expect
      .poll(async () => (await api("GET", `/api/contacts/${adaId}`)).body.contact as { preferredPlatforms: string[] })
      .toMatchObject({ preferredPlatforms: [] })
  })

  it("edits routing rules: a refusal in plain words at its field, then saved, reordered, and used by the preview", () =>
    routingRules({ page, stack, session, adaId }))

  it("merges a duplicate into the contact after a confirmation, and deletes another", async () => {
    const dup = await api("POST", "/api/contacts", {
      name: "Ada (old number)",
      tags: ["legacy"],
      identities: [{ botId: bots.orders, chatId: "15550002" }],
    })
    expect(dup.status).toBe(201)
    const dupId = String((dup.body.contact as { id: string }).id)
    const merge = page.getByRole("region", { name: "Merge a duplicate" })
    await merge.getByLabel("ID of the contact to merge into this one").fill("ct_nobody")
    await merge.getByRole("button", { name: "Merge…" }).click()
    await expect.poll(() => page.locator("#merge-source-error").textContent()).toMatch(/No contact of your business/)
    await merge.getByLabel("ID of the contact to merge into this one").fill(dupId)
    await merge.getByRole("button", { name: "Merge…" }).click()
    const dialog = page.getByRole("dialog")
    await expect(dialog.getByRole("heading").textContent()).resolves.toBe(
      "Merge “Ada (old number)” into “Ada Lovelace”?",
    )
    await dialog.getByRole("button", { name: "Merge contacts" }).click()
    await page.locator('tr[data-identity$=":15550002"]').waitFor()
    await expect(page.locator("tr[data-identity]").count()).resolves.toBe(4)
    await expect(page.locator(".page-head .badge.tag").allTextContents()).resolves.toContain("legacy")
    expect((await api("GET", `/api/contacts/${dupId}`)).status).toBe(404)

    await page.goto(`${stack.url}/#/contacts/${encodeURIComponent(graceId)}`)
    await page.getByRole("heading", { name: "Grace Hopper", level: 1 }).waitFor()
    // Her only chat is opted out: nothing can be sent.
    await page.locator("#route-preview .no-route").waitFor()
    await expect(skipped().first().textContent()).resolves.toMatch(/opted out on this channel.*opted_out/)
    await page.getByRole("button", { name: "Delete", exact: true }).click()
    await page.getByRole("dialog").getByRole("button", { name: "Delete contact" }).click()
    await page.getByRole("heading", { name: "Contacts", level: 1 }).waitFor()
    await expect.poll(() => row("Grace Hopper").count()).toBe(0)
    await page.reload() // the next test starts without the toast
  })

  it("lets a viewer see contacts, routes and rules but change nothing", async () => {
    await devSignIn("viewer")
    await nav("Contacts").click()
    await row("Ada Lovelace").waitFor()
    await expect(page.getByRole("button", { name: "+ New contact" }).isDisabled()).resolves.toBe(true)
    await page.getByText("You have read-only access").waitFor()
    await row("Ada Lovelace").getByRole("link").click()
    await page.getByRole("heading", { name: "Ada Lovelace", level: 1 }).waitFor()
    // The route preview is a read: it still shows.
    await expect.poll(() => kept().count(), SOON).toBeGreaterThan(0)
    for (const name of ["Delete", "Send", "Save details", "Add chat", "Merge…"])
      await expect(page.getByRole("button", { name, exact: true }).isDisabled()).resolves.toBe(true)
    for (const button of await page.locator("tr[data-identity] button").all())
      await expect(button.isDisabled()).resolves.toBe(true)
    await expect(page.getByRole("region", { name: "Details" }).getByLabel("Tags").isDisabled()).resolves.toBe(true)
    await shoot("viewer-contact")
    await nav("Routing").click()
    await page.locator("fieldset.rule").first().waitFor()
    for (const name of ["+ Add rule", "Save rules", "Save opt-out settings", "Remove rule 1"])
      await expect(page.getByRole("button", { name, exact: true }).isDisabled()).resolves.toBe(true)
    await expect(page.locator("fieldset.rule input").first().isDisabled()).resolves.toBe(true)
    await page.goto(`${stack.url}/#/contacts/new`)
    await page.getByText("adding contacts is disabled").waitFor()
    const refused = await api("POST", "/api/contacts", { name: "Nope" })
    expect(refused.status).toBe(403)
  })

  it("pages through many contacts with Load more", async () => {
    await devSignIn("owner")
    const bearer = await token()
    const created = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        api("POST", "/api/contacts", { name: `Lead ${String(i + 1).padStart(2, "0")}` }, bearer),
      ),
    )
    expect(created.every((r) => r.status === 201)).toBe(true)
    const total = Number(((await api("GET", "/api/contacts?limit=100")).body.contacts as unknown[]).length)
    expect(total).toBeGreaterThan(25)
    await nav("Contacts").click()
    await expect.poll(() => page.locator("tr[data-contact]").count()).toBe(25)
    await page.getByRole("button", { name: "Load more" }).click()
    await expect.poll(() => page.locator("tr[data-contact]").count()).toBe(total)
    await expect(page.getByRole("button", { name: "Load more" }).isHidden()).resolves.toBe(true)
    await expect(page.locator("#contacts-count").textContent()).resolves.toBe(`Showing ${total} contacts`)
  })

  it("fetched nothing from another origin, threw no errors, broke no CSP rule, and wrote its screenshots", () => {
    session.assertClean({ atLeast: 16 })
  })
})
