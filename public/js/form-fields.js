// @ts-check
// The bot form's labelled fields, each with an error slot under its API field path, and placing the API's messages.

/** @typedef {import("./api.js").FieldError} FieldError */
/** @typedef {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} Control */
/** Error slot and control of each API field path, shared by the form's sections. */
/** @typedef {Map<string, { slot: HTMLElement, control: Control }>} Fields */

import { plainFields } from "./contact-common.js"
import { h } from "./ui.js"

/**
 * A labelled control with its hint and its error slot, registered in `fields` under the API's field path.
 * @param {Fields} fields @param {string} path @param {string} labelText @param {Control} control @param {string} [hint]
 */
export function field(fields, path, labelText, control, hint) {
  const id = `f-${path.replace(/\W/g, "-")}`
  control.id = id
  control.name = path
  const slot = h("div", { class: "field-error", id: `${id}-error` })
  control.setAttribute("aria-describedby", hint ? `${id}-hint ${id}-error` : `${id}-error`)
  fields.set(path, { slot, control })
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, labelText),
    control,
    hint ? h("div", { class: "hint", id: `${id}-hint` }, hint) : null,
    slot,
  )
}

/**
 * Puts each validation message under its field (or its closest registered parent path); returns how many landed.
 * @param {Fields} fields
 * @param {FieldError[]} errors
 */
export function showErrors(fields, errors) {
  for (const { slot, control } of fields.values()) {
    slot.textContent = ""
    control.removeAttribute("aria-invalid")
  }
  /** @type {Control | null} */
  let first = null
  let placed = 0
  for (const e of errors) {
    const parts = e.path.split(".")
    let target = null
    for (let n = parts.length; n > 0 && !target; n--) target = fields.get(parts.slice(0, n).join(".")) ?? null
    if (!target) continue
    target.slot.textContent = target.slot.textContent ? `${target.slot.textContent} ${e.message}` : e.message
    target.control.setAttribute("aria-invalid", "true")
    first ??= target.control
    placed++
  }
  first?.focus()
  return placed
}

/** A message as a sentence: its first letter in capitals. @param {string} message */
export const sentence = (message) => message.charAt(0).toUpperCase() + message.slice(1)

/**
 * The API's field errors as a form shows them: in plain words, as sentences, the first of each field only (an empty
 * text is also "only whitespace": saying it twice helps nobody).
 * @param {FieldError[]} errors
 */
export function readableErrors(errors) {
  const seen = new Set()
  return plainFields(errors)
    .filter((e) => !seen.has(e.path) && seen.add(e.path))
    .map((e) => ({ path: e.path, message: sentence(e.message) }))
}

/**
 * Every error at once, above the form: each with the label of its field (or its closest registered parent path), so
 * the reader sees all that is wrong, including what no field of the form shows.
 * @param {Fields} fields
 * @param {FieldError[]} errors
 */
export function errorSummary(fields, errors) {
  const labelOf = (/** @type {string} */ path) => {
    const parts = path.split(".")
    for (let n = parts.length; n > 0; n--) {
      const label = fields.get(parts.slice(0, n).join("."))?.control.labels?.[0]?.textContent
      if (label) return label.replace(/ \(optional\)$/, "")
    }
    return path || "The request"
  }
  return h(
    "div",
    { class: "error-summary" },
    h("p", {}, errors.length === 1 ? "Please fix this field:" : `Please fix these ${errors.length} fields:`),
    h(
      "ul",
      {},
      ...errors.map((e) =>
        h("li", { "data-path": e.path }, h("strong", {}, `${labelOf(e.path)}: `), sentence(e.message)),
      ),
    ),
  )
}
