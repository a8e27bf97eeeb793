// @ts-check
// The contact page's chats (identities): platform, bot, chat id, the name the platform gave, when the person last
// wrote there and whether they opted out; writers add and remove chats (PATCH with the new set).
import { ApiError, api } from "./api.js"
import { botLink, labelled, optedOutBadge, plain, uniqueId } from "./contact-common.js"
import { platformBadge, platformName } from "./platforms.js"
import { ago, confirmDialog, dateTime, errorBox, errorText, h, mount, toast } from "./ui.js"

/** @typedef {import("./api.js").Contact} Contact */
/** @typedef {import("./api.js").ContactIdentity} ContactIdentity */
/** @typedef {import("./contact-common.js").BotDirectory} BotDirectory */

/**
 * @param {{ contact: Contact, bots: BotDirectory, canWrite: boolean, onSaved: (contact: Contact) => void }} o
 * @returns {{ section: HTMLElement, update: (contact: Contact) => void }}
 */
export function identitiesPanel({ contact: initial, bots, canWrite, onSaved }) {
  let contact = initial
  const readOnly = canWrite ? undefined : "Viewers can't change contacts"
  const tbody = h("tbody")
  const table = h(
    "table",
    { class: "identities-table mini-table" },
    h("caption", { class: "visually-hidden" }, "Chats this contact is reached on"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, "Platform"),
        h("th", { scope: "col" }, "Bot"),
        h("th", { scope: "col", title: "The chat id, and the name the platform last gave for the person" }, "Chat"),
        h("th", { scope: "col" }, "Last seen"),
        h("th", { scope: "col" }, "Status"),
        h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")),
      ),
    ),
    tbody,
  )
  const none = h("p", { class: "muted" }, "No chats yet: this contact can't be reached until one is added.")
  const notice = h("div", { "aria-live": "polite" })

  // Adding a chat: a bot of the business and the chat id on its platform.
  const bot = h(
    "select",
    { id: uniqueId("add-identity-bot"), disabled: !canWrite || bots.size === 0 },
    ...[...bots.values()].map((b) => h("option", { value: b.id }, `${b.name} · ${platformName(b.platform)}`)),
  )
  const chat = h("input", {
    type: "text",
    id: uniqueId("add-identity-chat"),
    autocomplete: "off",
    spellcheck: false,
    disabled: !canWrite || bots.size === 0,
    placeholder: "Chat id on the bot's platform",
  })
  const add = h("button", { type: "submit", disabled: !canWrite || bots.size === 0, title: readOnly }, "Add chat")
  const chatField = labelled({ label: "Chat id", control: chat })
  const addForm = h(
    "form",
    { class: "inline-form", noValidate: true, "aria-label": "Add a chat" },
    labelled({ label: "Bot", control: bot }),
    chatField,
    h("div", { class: "inline-submit" }, add),
  )
  addForm.addEventListener("submit", async (e) => {
    e.preventDefault()
    chatField.errorSlot.textContent = ""
    chat.removeAttribute("aria-invalid")
    const chatId = chat.value.trim()
    if (!chatId) {
      chatField.errorSlot.textContent = "Type the person's chat id on the bot's platform."
      chat.setAttribute("aria-invalid", "true")
      chat.focus()
      return
    }
    const next = [...contact.identities.map(({ botId, chatId }) => ({ botId, chatId })), { botId: bot.value, chatId }]
    add.disabled = true
    const saved = await save(next, (err) => {
      const fields = err instanceof ApiError ? err.fields : []
      chatField.errorSlot.textContent =
        err instanceof ApiError && err.code === "identity_conflict"
          ? `${err.message.replace(/^identities\.\d+: /, "")}. Merge that contact into this one instead.`
          : fields.length
            ? fields.map((f) => plain(f.message)).join(" ")
            : errorText(err)
      chat.setAttribute("aria-invalid", "true")
      chat.focus()
    })
    add.disabled = false
    if (saved) {
      chat.value = ""
      toast("Chat added")
      chat.focus()
    }
  })

  /**
   * @param {{ botId: string, chatId: string }[]} identities
   * @param {(err: unknown) => void} failed
   */
  async function save(identities, failed) {
    mount(notice)
    try {
      const res = await api.updateContact(contact.id, { identities })
      update(res.contact)
      onSaved(res.contact)
      return true
    } catch (err) {
      failed(err)
      return false
    }
  }

  /** @param {ContactIdentity} identity */
  async function remove(identity) {
    const ok = await confirmDialog({
      title: "Remove this chat?",
      body: `Messages to this contact will no longer go to chat ${identity.chatId} on ${platformName(identity.platform)}. The chat itself and its history stay on the platform.`,
      confirm: "Remove chat",
      danger: true,
    })
    if (!ok) return
    const next = contact.identities
      .filter((i) => !(i.botId === identity.botId && i.chatId === identity.chatId))
      .map(({ botId, chatId }) => ({ botId, chatId }))
    if (await save(next, (err) => mount(notice, errorBox(`Could not remove the chat: ${errorText(err)}`))))
      toast("Chat removed")
  }

  /** @param {ContactIdentity} i */
  const row = (i) =>
    h(
      "tr",
      { "data-identity": `${i.botId}:${i.chatId}` },
      h("td", {}, platformBadge(i.platform)),
      h("td", {}, botLink(bots, i.botId)),
      h(
        "td",
        { class: "c-chat" },
        h("span", { class: "mono" }, i.chatId),
        i.displayName ? h("span", { class: "display-name" }, i.displayName) : null,
      ),
      h("td", { class: "c-last", title: i.lastInboundAt ? dateTime(i.lastInboundAt) : "" }, ago(i.lastInboundAt)),
      h(
        "td",
        {},
        i.optedOut
          ? optedOutBadge()
          : bots.get(i.botId)?.status === "active"
            ? h("span", { class: "muted" }, "Reachable")
            : h("span", { class: "warn-text" }, bots.has(i.botId) ? "Bot not running" : "Bot deleted"),
      ),
      h(
        "td",
        { class: "num" },
        h(
          "button",
          {
            type: "button",
            class: "ghost",
            disabled: !canWrite,
            title: readOnly,
            "aria-label": `Remove chat ${i.chatId} (${platformName(i.platform)})`,
            onclick: () => void remove(i),
          },
          "Remove",
        ),
      ),
    )

  /** @param {Contact} next */
  function update(next) {
    contact = next
    mount(tbody, ...contact.identities.map(row))
    table.hidden = contact.identities.length === 0
    none.hidden = !table.hidden
  }
  update(contact)

  const section = h(
    "section",
    { class: "panel", "aria-labelledby": "identities-title" },
    h("h2", { id: "identities-title" }, "Chats"),
    notice,
    h("div", { class: "table-scroll" }, table),
    none,
    canWrite && bots.size === 0
      ? h(
          "p",
          { class: "hint" },
          "Your business has no bots: ",
          h("a", { href: "#/new" }, "add one"),
          " to add a chat.",
        )
      : addForm,
  )
  return { section, update }
}
