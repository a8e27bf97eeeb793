// @ts-check
// The contact page's details: name, tags, preferred platforms (in order) and attributes (key=value lines), saved with
// one PATCH; the API's messages land under their fields in plain words.
import { ApiError, api } from "./api.js"
import { fieldError, formatAttributes, labelled, parseAttributes, parseList, plainFields } from "./contact-common.js"
import { showErrors } from "./form-fields.js"
import { orderPicker } from "./order-picker.js"
import { errorText, h, toast } from "./ui.js"

/** @typedef {import("./api.js").Contact} Contact */
/** @typedef {import("./api.js").PatchContact} PatchContact */
/** @typedef {import("./api.js").PlatformSpec} PlatformSpec */
/** @typedef {import("./form-fields.js").Fields} Fields */

/**
 * @param {{ contact: Contact, platforms: PlatformSpec[], canWrite: boolean, onSaved: (contact: Contact) => void }} o
 * @returns {{ section: HTMLElement, update: (contact: Contact) => void }}
 */
export function detailsPanel({ contact: initial, platforms, canWrite, onSaved }) {
  let contact = initial
  /** @type {Fields} */
  const fields = new Map()
  const disabled = !canWrite
  const topError = h("div", { class: "error-box", role: "alert", tabIndex: -1, hidden: true })
  const name = h("input", { type: "text", id: "contact-name", maxLength: 200, autocomplete: "off", disabled })
  const tags = h("input", {
    type: "text",
    id: "contact-tags",
    autocomplete: "off",
    spellcheck: false,
    disabled,
    placeholder: "vip, newsletter",
  })
  const preferred = orderPicker({
    options: platforms.map((p) => ({ value: p.platform, label: p.displayName })),
    disabled,
    empty: "No preference: routing rules or the most recent chat decide.",
    addLabel: "Add a platform…",
    noun: "preferred platform",
  })
  preferred.control.id = "contact-preferred"
  const attributes = h("textarea", {
    id: "contact-attributes",
    rows: 4,
    spellcheck: false,
    disabled,
    placeholder: "plan=gold\nlanguage=de",
  })
  const submit = h(
    "button",
    { type: "submit", class: "primary", disabled, title: canWrite ? undefined : "Viewers can't change contacts" },
    "Save details",
  )

  /** @param {Contact} next */
  function update(next) {
    contact = next
    name.value = contact.name
    tags.value = contact.tags.join(", ")
    preferred.set(contact.preferredPlatforms)
    attributes.value = formatAttributes(contact.attributes)
  }
  update(contact)

  const form = h(
    "form",
    { noValidate: true, "aria-labelledby": "details-title" },
    topError,
    labelled({ fields, path: "name", label: "Name", control: name }),
    labelled({
      fields,
      path: "tags",
      label: "Tags",
      control: tags,
      hint: "Comma-separated. Routing rules can match them.",
    }),
    labelled({
      fields,
      path: "preferredPlatforms",
      label: "Preferred platforms",
      control: preferred.control,
      body: preferred.element,
      hint: "Tried first, in this order, before any routing rule.",
    }),
    labelled({
      fields,
      path: "attributes",
      label: "Attributes",
      control: attributes,
      hint: "One key=value per line (plan=gold). Routing rules can match them.",
    }),
    h("div", { class: "form-actions" }, submit),
  )

  form.addEventListener("submit", async (e) => {
    e.preventDefault()
    topError.hidden = true
    showErrors(fields, [])
    const parsed = parseAttributes(attributes.value)
    if (parsed.error) {
      fieldError(fields, "attributes", parsed.error)
      return
    }
    /** @type {PatchContact} */
    const body = {
      name: name.value.trim(),
      tags: parseList(tags.value),
      preferredPlatforms: /** @type {PatchContact["preferredPlatforms"]} */ (preferred.values()),
      attributes: parsed.attributes,
    }
    submit.disabled = true
    submit.textContent = "Saving…"
    try {
      const res = await api.updateContact(contact.id, body)
      update(res.contact)
      onSaved(res.contact)
      toast("Details saved")
    } catch (err) {
      const placed = err instanceof ApiError ? showErrors(fields, plainFields(err.fields)) : 0
      topError.hidden = false
      topError.textContent =
        placed > 0 ? `Please fix the highlighted ${placed === 1 ? "field" : "fields"} below.` : errorText(err)
      if (placed === 0) topError.focus()
    } finally {
      submit.disabled = false
      submit.textContent = "Save details"
    }
  })

  const section = h(
    "section",
    { class: "panel", "aria-labelledby": "details-title" },
    h("h2", { id: "details-title" }, "Details"),
    form,
  )
  return { section, update }
}
