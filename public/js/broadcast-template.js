// @ts-check
// The composer's template picker: a stored template instead of typed text, a value for each of its variables (the
// default for every recipient; a CSV column of the same name overrides it per recipient), and a live preview of what
// the first recipient would read on the bot's platform (POST /api/templates/{id}/preview, debounced).
import { ApiError, api } from "./api.js"
import { labelled, plain } from "./contact-common.js"
import { errorBox, errorText, h, mount } from "./ui.js"

/** @typedef {import("./api.js").Template} Template */
/** @typedef {import("./api.js").Recipient} Recipient */
/** @typedef {import("./api.js").RenderedTemplate} RenderedTemplate */
/** @typedef {import("./form-fields.js").Fields} Fields */

const PREVIEW_DEBOUNCE_MS = 350
const TEMPLATE_PAGE = 100

/**
 * The business's templates (the first 100 by name), or null when this server has no templates API.
 * @returns {Promise<Template[] | null>}
 */
export async function loadTemplates() {
  try {
    const { templates } = await api.listTemplates(new URLSearchParams({ limit: String(TEMPLATE_PAGE) }))
    return [...templates].sort((a, b) => a.name.localeCompare(b.name))
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) return null
    throw e
  }
}

/**
 * @param {{ fields: Fields, templates: Template[], platform: string, sample: () => Recipient | null,
 *   onChange: () => void }} o  `sample`: the recipient the preview is written for (the first one)
 */
export function templatePicker({ fields, templates, platform, sample, onChange }) {
  const select = h(
    "select",
    { id: "broadcast-template" },
    h("option", { value: "" }, "None: write the message below"),
    ...templates.map((t) => h("option", { value: t.id }, `${t.name} (v${t.version})`)),
  )
  const variables = h("div", { class: "bc-variables" })
  const preview = h("div", { class: "bc-preview", id: "template-preview", "aria-live": "polite" })
  const previewBox = h(
    "div",
    { class: "bc-preview-box", hidden: true },
    h("h3", { class: "preview-title" }, "Preview"),
    preview,
  )
  /** @type {Map<string, HTMLInputElement>} */
  let inputs = new Map()

  const chosen = () => templates.find((t) => t.id === select.value) ?? null

  select.addEventListener("change", () => {
    const t = chosen()
    inputs = new Map()
    for (const key of [...fields.keys()]) if (key.startsWith("variables.")) fields.delete(key)
    mount(
      variables,
      ...(t?.variables ?? []).map((v) => {
        const input = h("input", { type: "text", maxLength: 1024, autocomplete: "off", placeholder: v.example ?? "" })
        input.addEventListener("input", schedule)
        inputs.set(v.name, input)
        return labelled({
          fields,
          path: `variables.${v.name}`,
          label: v.name,
          control: input,
          hint: `${v.description ? `${v.description}. ` : ""}For every recipient, unless their CSV row has a ${v.name} column.`,
          className: "field bc-variable",
        })
      }),
    )
    variables.hidden = !t?.variables.length
    previewBox.hidden = !t
    onChange()
    if (t) void refresh()
  })

  /** The values typed for every recipient (empty ones left out). */
  function values() {
    /** @type {Record<string, string>} */
    const out = {}
    for (const [name, input] of inputs) if (input.value !== "") out[name] = input.value
    return out
  }

  let timer = 0
  let latest = 0
  function schedule() {
    clearTimeout(timer)
    timer = window.setTimeout(() => void refresh(), PREVIEW_DEBOUNCE_MS)
  }
  async function refresh() {
    clearTimeout(timer)
    const t = chosen()
    if (!t) return
    const seq = ++latest
    const who = sample()
    const declared = new Set(t.variables.map((v) => v.name))
    /** @type {Record<string, string>} */
    const merged = { ...values() }
    for (const [k, v] of Object.entries(who?.variables ?? {})) if (declared.has(k)) merged[k] = v
    preview.setAttribute("aria-busy", "true")
    try {
      const rendered = await api.previewTemplate(t.id, {
        platform: /** @type {RenderedTemplate["platform"]} */ (platform),
        variables: merged,
      })
      if (seq !== latest) return
      mount(
        preview,
        h("p", { class: "muted bc-preview-who" }, who ? `As chat ${who.chatId} reads it:` : "With the values above:"),
        content(rendered),
      )
    } catch (err) {
      if (seq !== latest) return
      const missing = err instanceof ApiError ? err.fields.filter((f) => f.path.startsWith("variables")) : []
      mount(
        preview,
        missing.length
          ? h(
              "ul",
              { class: "problems bc-preview-missing" },
              ...missing.map((f) =>
                h("li", {}, `${f.path.replace(/^variables\.?/, "") || "Values"}: ${plain(f.message)}`),
              ),
            )
          : errorBox(`Could not preview the template: ${errorText(err)}`),
      )
    } finally {
      if (seq === latest) preview.removeAttribute("aria-busy")
    }
  }

  const field = labelled({
    fields,
    path: "templateId",
    label: "Template (optional)",
    control: select,
    hint: "A stored message with {{variables}}, filled in for each recipient.",
  })
  variables.hidden = true
  return {
    element: h("div", { class: "bc-template" }, field, variables, previewBox),
    /** @returns {Template | null} */
    selected: chosen,
    values,
    /** Names the template declares that neither a value above nor every recipient's row fills. @param {Recipient[]} list */
    unfilled(list) {
      const t = chosen()
      if (!t) return []
      const typed = values()
      return t.variables
        .map((v) => v.name)
        .filter((name) => typed[name] === undefined && list.some((r) => r.variables?.[name] === undefined))
    },
    /** The recipients changed: the preview follows the first one. */
    refresh: schedule,
    /** @param {boolean} locked */
    lock(locked) {
      select.disabled = locked
      for (const input of inputs.values()) input.disabled = locked
    },
  }
}

/**
 * Rendered content in words: its text, or the WhatsApp template it becomes with its parameters.
 * @param {RenderedTemplate} rendered
 */
function content(rendered) {
  const c = rendered.content
  if (c.text !== undefined) return h("blockquote", { class: "bc-preview-text" }, c.text)
  if (c.template)
    return h(
      "div",
      { class: "bc-preview-text" },
      h("p", {}, `WhatsApp template “${c.template.name}” (${c.template.language ?? "en_US"})`),
      c.template.parameters?.length
        ? h("ol", {}, ...c.template.parameters.map((p) => h("li", {}, p)))
        : h("p", { class: "muted" }, "No parameters"),
    )
  if (c.media) return h("p", { class: "bc-preview-text" }, `${c.media.kind}: ${c.media.url}`)
  return h("pre", { class: "bc-preview-text" }, JSON.stringify(c, null, 2))
}
