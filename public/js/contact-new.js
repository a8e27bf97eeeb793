// @ts-check
// "New contact": name, tags, preferred platforms, and the chats the person is reached on (a bot of the business and
// the chat id on its platform). The API's messages land next to their fields; a chat held by another contact is named.
import { ApiError, api, session } from "./api.js"
import { labelled, loadBots, parseList, plainFields, uniqueId } from "./contact-common.js"
import { showErrors } from "./form-fields.js"
import { orderPicker } from "./order-picker.js"
import { loadPlatforms, platformName } from "./platforms.js"
import { append, errorText, h, mount, toast } from "./ui.js"

/** @typedef {import("./form-fields.js").Fields} Fields */
/** @typedef {import("./contact-common.js").BotDirectory} BotDirectory */

/**
 * @param {HTMLElement} view
 * @returns {Promise<undefined>}
 */
export async function renderNewContact(view) {
  if (!session.canWrite()) {
    append(
      view,
      h("div", { class: "readonly-note" }, "You have read-only access: adding contacts is disabled."),
      h("a", { href: "#/contacts" }, "← Back to contacts"),
    )
    return undefined
  }
  const [platforms, bots] = await Promise.all([loadPlatforms(), loadBots()])
  /** @type {Fields} */
  const fields = new Map()
  const topError = h("div", { class: "error-box", role: "alert", tabIndex: -1, hidden: true })

  const name = h("input", { type: "text", maxLength: 200, autocomplete: "off", "data-autofocus": "1" })
  const tags = h("input", { type: "text", autocomplete: "off", spellcheck: false, placeholder: "vip, newsletter" })
  const preferred = orderPicker({
    options: platforms.map((p) => ({ value: p.platform, label: p.displayName })),
    empty: "No preference: routing rules or the most recent chat decide.",
    addLabel: "Add a platform…",
    noun: "preferred platform",
  })
  const identities = identityRows(fields, bots)

  const submit = h("button", { type: "submit", class: "primary" }, "Create contact")
  const form = h(
    "form",
    { class: "panel form", noValidate: true, "aria-labelledby": "contact-form-title" },
    topError,
    h(
      "div",
      { class: "two-col" },
      labelled({ fields, path: "name", label: "Name", control: name, hint: "Shown in this dashboard only." }),
      labelled({
        fields,
        path: "tags",
        label: "Tags",
        control: tags,
        hint: "Comma-separated. Routing rules can match them.",
      }),
    ),
    labelled({
      fields,
      path: "preferredPlatforms",
      label: "Preferred platforms",
      control: preferred.control,
      body: preferred.element,
      hint: "Tried first, in this order, before any routing rule.",
    }),
    identities.section,
    h("div", { class: "form-actions" }, h("a", { class: "button", href: "#/contacts" }, "Cancel"), submit),
  )

  form.addEventListener("submit", async (e) => {
    e.preventDefault()
    topError.hidden = true
    showErrors(fields, [])
    submit.disabled = true
    submit.textContent = "Creating…"
    try {
      const { contact } = await api.createContact({
        name: name.value.trim(),
        tags: parseList(tags.value),
        preferredPlatforms: /** @type {import("./api.js").CreateContact["preferredPlatforms"]} */ (preferred.values()),
        identities: identities.collect(),
      })
      toast(`${contact.name || "Contact"} created`)
      if (view.isConnected) location.hash = `#/contacts/${encodeURIComponent(contact.id)}`
    } catch (err) {
      const conflict = err instanceof ApiError && err.code === "identity_conflict"
      const placed = err instanceof ApiError ? showErrors(fields, plainFields(conflictFields(err))) : 0
      topError.hidden = false
      topError.textContent = conflict
        ? `One of these chats already belongs to another contact: ${err.message}. Merge the two contacts instead, or pick another chat.`
        : placed > 0
          ? `Please fix the highlighted ${placed === 1 ? "field" : "fields"} below.`
          : errorText(err)
      if (placed === 0) topError.focus()
    } finally {
      submit.disabled = false
      submit.textContent = "Create contact"
    }
  })

  append(
    view,
    h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("a", { href: "#/contacts" }, "Contacts")),
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        h("h1", { id: "contact-form-title" }, "New contact"),
        h("p", { class: "sub" }, "A person, and the chats of your bots where they can be reached."),
      ),
    ),
    form,
  )
  return undefined
}

/**
 * A 409 names the identity in its message ("identities.0: chat … already belongs to …"): put it under that row.
 * @param {ApiError} err
 */
function conflictFields(err) {
  if (err.code !== "identity_conflict") return err.fields
  const m = /^(identities\.\d+): (.+)$/.exec(err.message)
  return m?.[1] && m[2] ? [{ path: `${m[1]}.chatId`, message: m[2] }] : err.fields
}

/**
 * The identities fieldset: one row per chat (bot + chat id), rows added and removed; rows without a chat id are left
 * out. Each row's fields register as identities.{n}.botId / .chatId, renumbered when a row goes.
 * @param {Fields} fields @param {BotDirectory} bots
 */
export function identityRows(fields, bots) {
  /** @type {{ row: HTMLElement, bot: HTMLSelectElement, chat: HTMLInputElement,
   *   slots: { botId: HTMLElement, chatId: HTMLElement } }[]} */
  const rows = []
  const list = h("div", { class: "identity-rows" })
  const addButton = h("button", { type: "button", onclick: () => addRow(true) }, "+ Add a chat")
  const noBots = bots.size === 0

  /** Registers the rows sent under their index in the request (empty rows are not sent). */
  function register() {
    for (const key of [...fields.keys()]) if (key.startsWith("identities.")) fields.delete(key)
    for (const [i, r] of rows.entries()) r.row.setAttribute("aria-label", `Chat ${i + 1}`)
    for (const [i, r] of rows.filter((r) => r.chat.value.trim()).entries()) {
      fields.set(`identities.${i}.botId`, { slot: r.slots.botId, control: r.bot })
      fields.set(`identities.${i}.chatId`, { slot: r.slots.chatId, control: r.chat })
      fields.set(`identities.${i}`, { slot: r.slots.chatId, control: r.chat })
    }
  }

  /** @param {boolean} focus */
  function addRow(focus) {
    const bot = h(
      "select",
      { id: uniqueId("identity-bot") },
      ...[...bots.values()].map((b) => h("option", { value: b.id }, `${b.name} · ${platformName(b.platform)}`)),
    )
    const chat = h("input", {
      type: "text",
      id: uniqueId("identity-chat"),
      autocomplete: "off",
      spellcheck: false,
      placeholder: "Chat id on the bot's platform",
    })
    const botField = labelled({ label: "Bot", control: bot })
    const chatField = labelled({
      label: "Chat id",
      control: chat,
      hint: "The person's chat (or channel) id on the bot's platform, as its messages name it.",
    })
    const entry = {
      row: h("div", { class: "identity-row", role: "group" }),
      bot,
      chat,
      slots: { botId: botField.errorSlot, chatId: chatField.errorSlot },
    }
    const remove = h(
      "button",
      {
        type: "button",
        class: "ghost",
        onclick: () => {
          rows.splice(rows.indexOf(entry), 1)
          entry.row.remove()
          register()
          addButton.focus()
        },
      },
      "Remove",
    )
    mount(entry.row, botField, chatField, h("div", { class: "identity-remove" }, remove))
    remove.setAttribute("aria-label", "Remove this chat")
    rows.push(entry)
    list.append(entry.row)
    register()
    if (focus) bot.focus()
  }
  if (!noBots) addRow(false)

  const section = h(
    "fieldset",
    { class: "section" },
    h("legend", {}, "Chats"),
    noBots
      ? h(
          "p",
          { class: "hint" },
          "Your business has no bots yet, so there is no chat to add. ",
          h("a", { href: "#/new" }, "Add a bot"),
          " first; you can add the contact's chats later.",
        )
      : h("p", { class: "hint" }, "Where the person can be reached: a bot of yours and their chat on its platform."),
    list,
    noBots ? null : addButton,
  )

  return {
    section,
    /** @returns {{ botId: string, chatId: string }[]} */
    collect() {
      register()
      return rows.filter((r) => r.chat.value.trim()).map((r) => ({ botId: r.bot.value, chatId: r.chat.value.trim() }))
    },
  }
}
