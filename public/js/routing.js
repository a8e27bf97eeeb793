// @ts-check
// "Routing": how a message to a contact picks its channels. The business's ordered smart-routing rules (added, removed,
// reordered, saved whole with PUT /api/routing; the API's refusals listed in plain words and shown at their fields),
// and the opt-out words and answers.
import { ApiError, api, session } from "./api.js"
import { plain } from "./contact-common.js"
import { showErrors } from "./form-fields.js"
import { optOutPanel } from "./opt-out.js"
import { loadPlatforms } from "./platforms.js"
import { describePath, ruleEditor } from "./routing-rule.js"
import { append, errorText, h, mount, plural, toast } from "./ui.js"

/** @typedef {import("./api.js").RoutingRule} RoutingRule */
/** @typedef {import("./routing-rule.js").RuleEditor} RuleEditor */
/** @typedef {import("./form-fields.js").Fields} Fields */

/** The API keeps at most this many rules. */
const MAX_RULES = 50

/**
 * @param {HTMLElement} view
 * @returns {Promise<undefined>}
 */
export async function renderRouting(view) {
  const canWrite = session.canWrite()
  const disabled = !canWrite
  const readOnly = canWrite ? undefined : "Viewers can't change routing"
  const [routing, optOut, platforms] = await Promise.all([api.routing(), api.optOut(), loadPlatforms()])

  /** @type {Fields} */
  const fields = new Map()
  /** @type {RuleEditor[]} */
  let editors = []
  const list = h("div", { class: "rules" })
  const none = h(
    "p",
    { class: "muted rules-empty" },
    "No rules: without a send's channels or a contact's preferred platforms, the chat the person wrote from most recently comes first.",
  )
  const errors = h("div", { class: "error-box", role: "alert", tabIndex: -1, hidden: true })
  const said = h("span", { class: "visually-hidden", role: "status" })

  /** @param {RoutingRule} rule */
  const editorFor = (rule) => ruleEditor({ rule, platforms, disabled, onMove: move, onRemove: remove })

  function draw() {
    fields.clear()
    mount(list, ...editors.map((e) => e.element))
    for (const [i, e] of editors.entries()) e.register(fields, i, editors.length)
    none.hidden = editors.length > 0
    addButton.disabled = disabled || editors.length >= MAX_RULES
  }

  /** @param {RuleEditor} editor @param {-1 | 1} by */
  function move(editor, by) {
    const from = editors.indexOf(editor)
    const to = from + by
    if (from < 0 || to < 0 || to >= editors.length) return
    editors.splice(from, 1)
    editors.splice(to, 0, editor)
    draw()
    said.textContent = `Rule moved to position ${to + 1}. Save to keep the new order.`
    const button = editor.element.querySelector(`.rule-actions button:nth-child(${by < 0 ? 1 : 2}):not(:disabled)`)
    if (button instanceof HTMLElement) button.focus()
    else editor.focus()
  }

  /** @param {RuleEditor} editor */
  function remove(editor) {
    const at = editors.indexOf(editor)
    editors = editors.filter((e) => e !== editor)
    draw()
    said.textContent = `Rule ${at + 1} removed. Save to keep the change.`
    const next = editors[Math.min(at, editors.length - 1)]
    if (next) next.focus()
    else addButton.focus()
  }

  const addButton = h(
    "button",
    {
      type: "button",
      disabled,
      title: readOnly,
      onclick: () => {
        const editor = editorFor({ match: {}, platforms: [] })
        editors.push(editor)
        draw()
        said.textContent = `Rule ${editors.length} added.`
        editor.focus()
      },
    },
    "+ Add rule",
  )
  const save = h("button", { type: "submit", class: "primary", disabled, title: readOnly }, "Save rules")

  const form = h(
    "form",
    { class: "rules-form", noValidate: true, "aria-labelledby": "rules-title" },
    errors,
    none,
    list,
    said,
    h("div", { class: "form-actions" }, addButton, save),
  )

  form.addEventListener("submit", async (e) => {
    e.preventDefault()
    errors.hidden = true
    showErrors(fields, [])
    /** @type {RoutingRule[]} */
    const rules = []
    for (const editor of editors) {
      const rule = editor.collect(fields)
      if (!rule) return
      rules.push(rule)
    }
    save.disabled = true
    save.textContent = "Saving…"
    try {
      const saved = await api.putRouting({ rules })
      editors = saved.rules.map(editorFor)
      draw()
      toast(saved.rules.length ? `${plural(saved.rules.length, "rule")} saved` : "Rules saved: none left")
    } catch (err) {
      const problems =
        err instanceof ApiError ? err.fields.map((f) => ({ path: f.path, message: plain(f.message) })) : []
      showErrors(fields, problems)
      errors.hidden = false
      mount(
        errors,
        problems.length
          ? h(
              "div",
              {},
              h("strong", {}, "The rules were not saved:"),
              h(
                "ul",
                { class: "problems" },
                ...problems.map((p) => h("li", {}, `${describePath(p.path)}: ${p.message}.`)),
              ),
            )
          : `The rules were not saved: ${errorText(err)}`,
      )
      if (problems.length === 0) errors.focus()
    } finally {
      save.disabled = disabled
      save.textContent = "Save rules"
    }
  })

  editors = routing.rules.map(editorFor)
  draw()

  append(
    view,
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        h("h1", {}, "Routing"),
        h("p", { class: "sub" }, "How a message to a contact picks its channel, and how people opt out."),
      ),
    ),
    canWrite ? null : h("div", { class: "readonly-note" }, "You have read-only access: changes are disabled."),
    h(
      "div",
      { class: "stack" },
      h(
        "section",
        { class: "panel", "aria-labelledby": "rules-title" },
        h("h2", { id: "rules-title" }, "Smart routing rules"),
        h(
          "ol",
          { class: "precedence hint" },
          h("li", {}, "A send that names its channels tries only those, in its order."),
          h("li", {}, "Otherwise the contact's preferred platforms come first."),
          h("li", {}, "Otherwise the first rule below that matches the contact and the message orders the platforms."),
          h("li", {}, "Otherwise the chat the person wrote from most recently comes first."),
        ),
        h(
          "p",
          { class: "hint" },
          "A chat is skipped when its bot isn't running, the person opted out there, or its platform can't take the message now. When a channel fails, the next one is tried.",
        ),
        form,
      ),
      optOutPanel({ settings: optOut, canWrite }),
    ),
  )
  return undefined
}
