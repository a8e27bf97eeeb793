// @ts-check
// The contact page's send form: the text, an optional order of channels (platforms or bots) and failover delay, and
// the route the API would take for it, previewed live (debounced) as the form changes: the channels it would try, in
// order, and each skipped one with its reason. Sending hands the message to the timeline.
import { ApiError, api } from "./api.js"
import { botName, fieldError, keptReason, labelled, plainFields, reasonText } from "./contact-common.js"
import { showErrors } from "./form-fields.js"
import { orderPicker } from "./order-picker.js"
import { platformBadge, platformName } from "./platforms.js"
import { errorBox, errorText, h, mount, toast } from "./ui.js"

/** @typedef {import("./api.js").Contact} Contact */
/** @typedef {import("./api.js").ContactSend} ContactSend */
/** @typedef {import("./api.js").ContactRoute} ContactRoute */
/** @typedef {import("./api.js").ContactMessage} ContactMessage */
/** @typedef {import("./contact-common.js").BotDirectory} BotDirectory */
/** @typedef {import("./form-fields.js").Fields} Fields */

const PREVIEW_DEBOUNCE_MS = 350
/** What the preview asks about while the text is still empty: the route depends on the kind, not the words. */
const PLACEHOLDER_TEXT = "…"

/** What ordered the channels, in words. @type {Record<ContactRoute["source"], string>} */
const SOURCES = {
  route: "the channels you chose, in your order",
  preferredPlatforms: "this contact's preferred platforms",
  rule: "routing rule",
  recency: "where the person wrote most recently (no channels, preference or rule apply)",
}

/**
 * @param {{ contact: Contact, bots: BotDirectory, canWrite: boolean,
 *   onSent: (message: ContactMessage, text: string) => void }} o
 * @returns {{ section: HTMLElement, update: (contact: Contact) => void }}
 */
export function sendPanel({ contact: initial, bots, canWrite, onSent }) {
  let contact = initial
  /** @type {Fields} */
  const fields = new Map()
  const text = h("textarea", {
    id: "send-text",
    rows: 3,
    maxLength: 4096,
    placeholder: "Write the message as the person will read it",
  })
  const channels = orderPicker({
    options: channelOptions(contact, bots),
    empty: "Automatic: preferred platforms, routing rules or the most recent chat decide.",
    addLabel: "Add a channel…",
    noun: "channel",
    onChange: schedule,
  })
  channels.control.id = "send-channels"
  const failover = h("input", {
    type: "number",
    id: "send-failover",
    min: 5,
    max: 604800,
    step: 1,
    inputMode: "numeric",
    placeholder: "e.g. 120",
  })
  const submit = h(
    "button",
    { type: "submit", class: "primary", disabled: !canWrite, title: canWrite ? undefined : "Viewers can't send" },
    "Send",
  )
  const topError = h("div", {})
  const preview = h("div", { class: "route-preview", id: "route-preview" })
  // The preview redraws as the form changes; screen readers hear only its summary, and only when that changes.
  const summary = h("p", { class: "visually-hidden", role: "status" })
  // One key per message: a retry after a network error is recognised by the API instead of sent twice.
  let idempotencyKey = crypto.randomUUID()

  const form = h(
    "form",
    { class: "send-form", noValidate: true, "aria-labelledby": "send-title" },
    topError,
    labelled({ fields, path: "text", label: "Message", control: text }),
    labelled({
      fields,
      path: "route.channels",
      label: "Channels, in order (optional)",
      control: channels.control,
      body: channels.element,
      hint: "Only these are tried, in this order: a platform means every chat of the contact on it.",
    }),
    labelled({
      fields,
      path: "route.failoverAfterSeconds",
      label: "Fail over after (seconds, optional)",
      control: failover,
      hint: "On a platform that confirms delivery, move on when it hasn't within this time (5 s to 7 days).",
      className: "field narrow",
    }),
    h("div", { class: "form-actions" }, submit),
  )
  fields.set("route", { slot: /** @type {HTMLElement} */ (fields.get("route.channels")?.slot), control: failover })

  /** The request body as the form stands; null when the failover is not a number (its field says why). */
  function body() {
    /** @type {ContactSend} */
    const b = { text: text.value.trim() || PLACEHOLDER_TEXT }
    /** @type {NonNullable<ContactSend["route"]>} */
    const route = {}
    const order = channels.values()
    if (order.length) route.channels = order
    const raw = failover.value.trim()
    if (raw) {
      const n = Number(raw)
      if (!Number.isInteger(n)) return null
      route.failoverAfterSeconds = n
    }
    if (Object.keys(route).length) b.route = route
    return b
  }

  let timer = 0
  let latest = 0
  function schedule() {
    clearTimeout(timer)
    timer = window.setTimeout(() => void refresh(), PREVIEW_DEBOUNCE_MS)
  }
  async function refresh() {
    clearTimeout(timer)
    const seq = ++latest
    const b = body()
    if (!b) {
      mount(preview, h("p", { class: "muted" }, "Type a whole number of seconds to see the route."))
      return
    }
    preview.setAttribute("aria-busy", "true")
    try {
      const route = await api.routePreview(contact.id, b)
      if (seq !== latest) return // a newer preview was asked for
      showErrors(fields, [])
      mount(preview, drawRoute(route, bots))
      const kept = route.candidates.filter((c) => c.kept).length
      const said = `Route preview: ${kept} ${kept === 1 ? "channel" : "channels"} to try, ${route.candidates.length - kept} skipped.`
      if (summary.textContent !== said) summary.textContent = said
    } catch (err) {
      if (seq !== latest) return
      const fieldsWrong = err instanceof ApiError && err.fields.length > 0
      if (fieldsWrong) showErrors(fields, plainFields(err.fields))
      mount(
        preview,
        fieldsWrong
          ? h("p", { class: "muted" }, "Fix the highlighted field to see the route.")
          : errorBox(`Could not preview the route: ${errorText(err)}`),
      )
    } finally {
      if (seq === latest) preview.removeAttribute("aria-busy")
    }
  }
  text.addEventListener("input", schedule)
  failover.addEventListener("input", schedule)

  form.addEventListener("submit", async (e) => {
    e.preventDefault()
    mount(topError)
    showErrors(fields, [])
    const typed = text.value.trim()
    if (!typed) return fieldError(fields, "text", "Write the message first.")
    const b = body()
    if (!b) return fieldError(fields, "route.failoverAfterSeconds", "A whole number of seconds, 5 or more.")
    submit.disabled = true
    submit.textContent = "Sending…"
    try {
      const message = await api.sendToContact(contact.id, { ...b, text: typed, idempotencyKey })
      idempotencyKey = crypto.randomUUID()
      text.value = ""
      onSent(message, typed)
      toast(message.status === "failed" ? "No channel could take the message" : "Message accepted: following it below")
      text.focus()
      void refresh()
    } catch (err) {
      const placed = err instanceof ApiError ? showErrors(fields, plainFields(err.fields)) : 0
      if (placed === 0) mount(topError, errorBox(`Not sent: ${errorText(err)}`))
    } finally {
      submit.disabled = !canWrite
      submit.textContent = "Send"
    }
  })

  const section = h(
    "section",
    { class: "panel", "aria-labelledby": "send-title" },
    h("h2", { id: "send-title" }, "Send a message"),
    canWrite
      ? null
      : h("p", { class: "hint" }, "Viewers can preview the route a message would take, but not send one."),
    h(
      "div",
      { class: "send-grid" },
      form,
      h("div", { class: "preview-col" }, h("h3", { class: "preview-title" }, "Route preview"), preview, summary),
    ),
  )
  void refresh()

  return {
    section,
    /** The contact changed (chats added or removed, preferences saved): new channel choices and a new preview. */
    update(next) {
      contact = next
      channels.setOptions(channelOptions(contact, bots))
      schedule()
    },
  }
}

/**
 * What a send's route may name: each platform the contact is on, and each bot of its chats.
 * @param {Contact} contact @param {BotDirectory} bots
 */
function channelOptions(contact, bots) {
  const platforms = [...new Set(contact.identities.map((i) => i.platform))]
  const botIds = [...new Set(contact.identities.map((i) => i.botId))]
  return [
    ...platforms.map((p) => ({ value: p, label: `Any ${platformName(p)} chat` })),
    ...botIds.map((id) => ({
      value: id,
      label: `${botName(bots, id)} (${platformName(bots.get(id)?.platform ?? "")})`,
    })),
  ]
}

/**
 * The route in words: what ordered it, the channels to try in order, the ones skipped with their reason.
 * @param {ContactRoute} route @param {BotDirectory} bots
 */
function drawRoute(route, bots) {
  const kept = route.candidates.filter((c) => c.kept)
  const skipped = route.candidates.filter((c) => !c.kept)
  /** @param {ContactRoute["candidates"][number]} c */
  const where = (c) => [
    platformBadge(c.platform),
    h("span", { class: "candidate-bot" }, botName(bots, c.botId)),
    h("span", { class: "mono muted" }, c.chatId),
  ]
  return h(
    "div",
    {},
    h(
      "p",
      { class: "route-source", "data-source": route.source },
      "Order: ",
      route.source === "rule"
        ? h("span", {}, `${SOURCES.rule} “${route.rule ?? ""}” (`, h("a", { href: "#/routing" }, "edit rules"), ")")
        : SOURCES[route.source],
    ),
    kept.length
      ? h(
          "ol",
          { class: "candidates kept", "aria-label": "Tried in this order" },
          ...kept.map((c) =>
            h(
              "li",
              { "data-bot": c.botId, "data-chat": c.chatId },
              h("span", { class: "candidate-where" }, ...where(c)),
              h("span", { class: "candidate-why muted" }, keptReason(c.reason, bots)),
            ),
          ),
        )
      : h(
          "div",
          { class: "error-box no-route" },
          "No channel can take this message now: sent like this, it would fail at once.",
        ),
    skipped.length
      ? h(
          "div",
          { class: "skipped" },
          h("h4", {}, "Skipped"),
          h(
            "ul",
            { class: "candidates skipped-list", "aria-label": "Skipped" },
            ...skipped.map((c) =>
              h(
                "li",
                { "data-bot": c.botId, "data-chat": c.chatId },
                h("span", { class: "candidate-where" }, ...where(c)),
                h("span", { class: "candidate-why" }, reasonText(c.reason)),
              ),
            ),
          ),
        )
      : null,
  )
}
