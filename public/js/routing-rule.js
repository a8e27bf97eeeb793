// @ts-check
// One smart-routing rule in the editor: its name, what it matches (message kinds, any of some tags, attribute values)
// and the platforms to try, in order. Its fields register under `rules.{n}.…` (renumbered when rules move) so the
// API's messages land next to them.
import { fieldError, formatAttributes, labelled, parseAttributes, parseList, uniqueId } from "./contact-common.js"
import { orderPicker } from "./order-picker.js"
import { h } from "./ui.js"

/** @typedef {import("./api.js").RoutingRule} RoutingRule */
/** @typedef {import("./api.js").PlatformSpec} PlatformSpec */
/** @typedef {import("./form-fields.js").Fields} Fields */
/** @typedef {import("./form-fields.js").Control} Control */
/**
 * @typedef {{
 *   element: HTMLFieldSetElement,
 *   register: (fields: Fields, index: number, count: number) => void,
 *   collect: (fields: Fields) => RoutingRule | null,
 *   focus: () => void,
 * }} RuleEditor
 */

export const KINDS = /** @type {const} */ ([
  ["text", "Text"],
  ["media", "Media"],
  ["template", "Template"],
])

/**
 * @param {{ rule: RoutingRule, platforms: PlatformSpec[], disabled: boolean,
 *   onMove: (editor: RuleEditor, by: -1 | 1) => void, onRemove: (editor: RuleEditor) => void }} o
 * @returns {RuleEditor}
 */
export function ruleEditor({ rule, platforms, disabled, onMove, onRemove }) {
  const legend = h("legend", {})
  const name = h("input", {
    type: "text",
    id: uniqueId("rule-name"),
    maxLength: 100,
    autocomplete: "off",
    disabled,
    value: rule.name ?? "",
    placeholder: "e.g. VIPs on WhatsApp",
  })
  const kindGroupId = uniqueId("rule-kinds")
  const kinds = KINDS.map(([value, label]) => {
    const box = h("input", {
      type: "checkbox",
      id: uniqueId("rule-kind"),
      value,
      disabled,
      checked: rule.match?.kinds?.includes(value) ?? false,
    })
    return { box, label: h("label", { class: "check", for: box.id }, box, label) }
  })
  const firstKind = /** @type {HTMLInputElement} */ (kinds[0]?.box)
  const kindsSlot = h("div", { class: "field-error", id: `${kindGroupId}-error` })
  for (const k of kinds) k.box.setAttribute("aria-describedby", `${kindGroupId}-hint ${kindGroupId}-error`)
  const tags = h("input", {
    type: "text",
    id: uniqueId("rule-tags"),
    autocomplete: "off",
    spellcheck: false,
    disabled,
    value: (rule.match?.tagsAny ?? []).join(", "),
    placeholder: "vip, beta",
  })
  const attributes = h("textarea", {
    id: uniqueId("rule-attributes"),
    rows: 2,
    spellcheck: false,
    disabled,
    value: formatAttributes(rule.match?.attributes ?? {}),
    placeholder: "plan=gold",
  })
  const order = orderPicker({
    options: platforms.map((p) => ({ value: p.platform, label: p.displayName })),
    values: rule.platforms,
    disabled,
    empty: "No platform yet: add at least one.",
    addLabel: "Add a platform…",
    noun: "platform",
  })
  order.control.id = uniqueId("rule-platforms")

  const nameField = labelled({ label: "Name (optional)", control: name })
  const tagsField = labelled({
    label: "Contact has any of these tags",
    control: tags,
    hint: "Comma-separated; empty: any contact.",
  })
  const attributesField = labelled({
    label: "Contact has these attributes",
    control: attributes,
    hint: "One key=value per line; all must match. Empty: any.",
  })
  const platformsField = labelled({
    label: "Platforms to try, in order",
    control: order.control,
    body: order.element,
    hint: "The contact's chats on other platforms are tried after these, most recent first.",
  })
  const kindsField = h(
    "div",
    { class: "field", role: "group", "aria-labelledby": `${kindGroupId}-label` },
    h("span", { class: "label", id: `${kindGroupId}-label` }, "Message kinds"),
    h("div", { class: "checks" }, ...kinds.map((k) => k.label)),
    h("div", { class: "hint", id: `${kindGroupId}-hint` }, "None checked: every kind."),
    kindsSlot,
  )
  const ruleSlot = h("div", { class: "field-error" })

  const up = h("button", { type: "button", class: "ghost", disabled, onclick: () => onMove(editor, -1) }, "Move up")
  const down = h("button", { type: "button", class: "ghost", disabled, onclick: () => onMove(editor, 1) }, "Move down")
  const remove = h(
    "button",
    { type: "button", class: "ghost danger", disabled, onclick: () => onRemove(editor) },
    "Remove",
  )

  const element = h(
    "fieldset",
    { class: "rule" },
    legend,
    h("div", { class: "rule-actions" }, up, down, remove),
    ruleSlot,
    h("div", { class: "two-col" }, nameField, kindsField),
    h("div", { class: "two-col" }, tagsField, attributesField),
    platformsField,
  )

  /** @type {RuleEditor} */
  const editor = {
    element,
    register(fields, index, count) {
      const label = `Rule ${index + 1}${name.value.trim() ? `: ${name.value.trim()}` : ""}`
      legend.textContent = label
      element.dataset.rule = String(index)
      up.setAttribute("aria-label", `Move rule ${index + 1} up`)
      down.setAttribute("aria-label", `Move rule ${index + 1} down`)
      remove.setAttribute("aria-label", `Remove rule ${index + 1}`)
      up.disabled = disabled || index === 0
      down.disabled = disabled || index === count - 1
      const at = `rules.${index}`
      /** @param {string} path @param {HTMLElement} slot @param {Control} control */
      const set = (path, slot, control) => fields.set(`${at}${path}`, { slot, control })
      set("", ruleSlot, name)
      set(".name", nameField.errorSlot, name)
      set(".match", ruleSlot, name)
      set(".match.kinds", kindsSlot, firstKind)
      set(".match.tagsAny", tagsField.errorSlot, tags)
      set(".match.attributes", attributesField.errorSlot, attributes)
      set(".platforms", platformsField.errorSlot, order.control)
    },
    collect(fields) {
      const index = Number(element.dataset.rule)
      const parsed = parseAttributes(attributes.value)
      if (parsed.error) {
        fieldError(fields, `rules.${index}.match.attributes`, parsed.error)
        return null
      }
      /** @type {NonNullable<RoutingRule["match"]>} */
      const match = {}
      const checked = kinds.filter((k) => k.box.checked).map((k) => /** @type {"text"} */ (k.box.value))
      if (checked.length) match.kinds = checked
      const tagList = parseList(tags.value)
      if (tagList.length) match.tagsAny = tagList
      if (Object.keys(parsed.attributes).length) match.attributes = parsed.attributes
      /** @type {RoutingRule} */
      const out = { match, platforms: /** @type {RoutingRule["platforms"]} */ (order.values()) }
      if (name.value.trim()) out.name = name.value.trim()
      return out
    },
    focus: () => name.focus(),
  }
  name.addEventListener("input", () => {
    const index = Number(element.dataset.rule)
    legend.textContent = `Rule ${index + 1}${name.value.trim() ? `: ${name.value.trim()}` : ""}`
  })
  return editor
}

/** What a rule's field path is called, for the summary of errors ("Rule 2, tags"). @param {string} path */
export function describePath(path) {
  const parts = path.split(".")
  if (parts[0] !== "rules") return path
  if (parts.length === 1) return "The rules"
  const words = [`Rule ${Number(parts[1]) + 1}`]
  const rest = parts.slice(2).join(".")
  /** @type {Record<string, string>} */
  const names = {
    name: "name",
    match: "what it matches",
    "match.kinds": "message kinds",
    "match.tagsAny": "tags",
    "match.attributes": "attributes",
    platforms: "platforms",
  }
  const item = /^(match\.kinds|match\.tagsAny|platforms)\.(\d+)$/.exec(rest)
  if (item?.[1]) words.push(`${names[item[1]]} (item ${Number(item[2]) + 1})`)
  else if (rest.startsWith("match.attributes.")) words.push(`attribute “${rest.slice("match.attributes.".length)}”`)
  else if (rest) words.push(names[rest] ?? rest)
  return words.join(", ")
}
