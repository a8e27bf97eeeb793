// @ts-check
// A contact's page: its chats, the send form with its live route preview, the timelines of what was sent from here,
// its details (tags, attributes, preferred platforms), merging another contact into it, and deleting it.
import { ApiError, api, session } from "./api.js"
import { labelled, loadBots, plain, tagBadges } from "./contact-common.js"
import { detailsPanel } from "./contact-edit.js"
import { identitiesPanel } from "./contact-identities.js"
import { sendPanel } from "./contact-send.js"
import { sendTimeline } from "./contact-timeline.js"
import { loadPlatforms } from "./platforms.js"
import { ago, append, confirmDialog, copyRow, dateTime, errorBox, errorText, h, mount, plural, toast } from "./ui.js"

/** @typedef {import("./api.js").Contact} Contact */

/**
 * @param {HTMLElement} view
 * @param {string} id
 * @returns {Promise<() => void>} stops following the sends
 */
export async function renderContact(view, id) {
  const canWrite = session.canWrite()
  const readOnly = canWrite ? undefined : "Viewers can't change contacts"
  const [{ contact: loaded }, bots, platforms] = await Promise.all([api.getContact(id), loadBots(), loadPlatforms()])
  let contact = loaded
  const displayName = () => contact.name || "Unnamed contact"

  const title = h("h1", {}, displayName())
  const crumb = h("span", { "aria-current": "page" }, displayName())
  const meta = h("p", { class: "sub meta" })
  const notice = h("div", { "aria-live": "polite" })

  function drawHead() {
    title.textContent = displayName()
    crumb.textContent = displayName()
    document.title = `${displayName()} · Switchboard`
    mount(
      meta,
      tagBadges(contact.tags),
      h(
        "span",
        { title: contact.lastInboundAt ? dateTime(contact.lastInboundAt) : "" },
        `Last seen ${ago(contact.lastInboundAt)}`,
      ),
      h("span", {}, plural(contact.identities.length, "chat")),
    )
  }

  /** Another panel saved the contact: the others follow. @param {Contact} next @param {"identities" | "details" | "merge"} from */
  function changed(next, from) {
    contact = next
    drawHead()
    if (from !== "identities") identities.update(next)
    if (from !== "details") details.update(next)
    send.update(next)
    drawKv()
  }

  const identities = identitiesPanel({ contact, bots, canWrite, onSaved: (c) => changed(c, "identities") })
  const details = detailsPanel({ contact, platforms, canWrite, onSaved: (c) => changed(c, "details") })
  const timeline = sendTimeline({ contactId: id, bots, platforms })
  const send = sendPanel({ contact, bots, canWrite, onSent: (m, text) => timeline.add(m, text) })

  // Its id (what another contact's merge asks for) and times.
  const kv = h("dl", { class: "kv" })
  function drawKv() {
    mount(
      kv,
      h("dt", {}, "Contact ID"),
      h("dd", {}, copyRow(contact.id, "contact-id", "Contact ID")),
      h("dt", {}, "Created"),
      h("dd", {}, dateTime(contact.createdAt)),
      h("dt", {}, "Updated"),
      h("dd", {}, dateTime(contact.updatedAt)),
    )
  }

  // Merge: another contact (by id) folds into this one.
  const source = h("input", {
    type: "text",
    id: "merge-source",
    autocomplete: "off",
    spellcheck: false,
    disabled: !canWrite,
    placeholder: "ct_…",
  })
  const mergeButton = h("button", { type: "submit", disabled: !canWrite, title: readOnly }, "Merge…")
  const sourceField = labelled({
    label: "ID of the contact to merge into this one",
    control: source,
    hint: "Its chats move here and its tags and preferred platforms are added; where both have a name or an attribute, this contact's wins. The other contact is deleted.",
  })
  const mergeForm = h(
    "form",
    { noValidate: true, "aria-labelledby": "merge-title" },
    sourceField,
    h("div", { class: "form-actions" }, mergeButton),
  )
  /** @param {string} message */
  const mergeError = (message) => {
    sourceField.errorSlot.textContent = message
    source.setAttribute("aria-invalid", "true")
    source.focus()
  }
  mergeForm.addEventListener("submit", async (e) => {
    e.preventDefault()
    sourceField.errorSlot.textContent = ""
    source.removeAttribute("aria-invalid")
    const sourceId = source.value.trim()
    if (!sourceId) return mergeError("Paste the ID of the other contact (its page shows it).")
    if (sourceId === contact.id) return mergeError("That is this contact's own ID.")
    mergeButton.disabled = true
    try {
      // Read it first, so the confirmation names who is merged and what moves.
      const { contact: other } = await api.getContact(sourceId)
      const ok = await confirmDialog({
        title: `Merge “${other.name || "Unnamed contact"}” into “${displayName()}”?`,
        body: h(
          "div",
          {},
          h(
            "p",
            {},
            `${plural(other.identities.length, "chat")} and ${plural(other.tags.length, "tag")} move to “${displayName()}”; then “${other.name || other.id}” is deleted. This cannot be undone.`,
          ),
        ),
        confirm: "Merge contacts",
        danger: true,
      })
      if (!ok) return
      const res = await api.mergeContacts(contact.id, sourceId)
      source.value = ""
      changed(res.contact, "merge")
      toast(`${other.name || "The other contact"} merged into ${displayName()}`)
    } catch (err) {
      mergeError(
        err instanceof ApiError && err.status === 404
          ? "No contact of your business has this ID (it may have been merged or deleted already)."
          : err instanceof ApiError && err.fields.length
            ? err.fields.map((f) => plain(f.message)).join(" ")
            : errorText(err),
      )
    } finally {
      mergeButton.disabled = !canWrite
    }
  })

  const remove = h(
    "button",
    { type: "button", class: "danger", disabled: !canWrite, title: readOnly, onclick: () => void del() },
    "Delete",
  )
  async function del() {
    const ok = await confirmDialog({
      title: `Delete “${displayName()}”?`,
      body: "The contact and its chats are deleted from Switchboard; the conversations themselves stay on the platforms. This cannot be undone.",
      confirm: "Delete contact",
      danger: true,
    })
    if (!ok) return
    try {
      await api.deleteContact(contact.id)
      toast(`${displayName()} deleted`)
      location.hash = "#/contacts"
    } catch (err) {
      mount(notice, errorBox(errorText(err)))
    }
  }

  drawHead()
  drawKv()
  append(
    view,
    h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("a", { href: "#/contacts" }, "Contacts"), crumb),
    h("div", { class: "page-head" }, h("div", {}, title, meta), h("div", { class: "row-actions" }, remove)),
    canWrite
      ? null
      : h(
          "div",
          { class: "readonly-note" },
          "You have read-only access: sending, editing, merging and deleting are disabled.",
        ),
    notice,
    h(
      "div",
      { class: "detail-grid contact-grid" },
      h("div", { class: "col" }, identities.section, send.section, timeline.section),
      h(
        "div",
        { class: "col" },
        details.section,
        h("section", { class: "panel", "aria-labelledby": "about-title" }, h("h2", { id: "about-title" }, "About"), kv),
        h(
          "section",
          { class: "panel", "aria-labelledby": "merge-title" },
          h("h2", { id: "merge-title" }, "Merge a duplicate"),
          mergeForm,
        ),
      ),
    ),
  )
  return () => timeline.stop()
}
