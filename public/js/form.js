// @ts-check
// Add and edit a bot: the form's assembly, credentials from the platform description, submit (every field's problem
// at once, in plain words), then the after-save view (bot-saved.js).
import { ApiError, api, session } from "./api.js"
import { showSaved } from "./bot-saved.js"
import { errorSummary, field as fieldIn, readableErrors, showErrors } from "./form-fields.js"
import { handlerSection } from "./form-handler.js"
import { updatesSection } from "./form-updates.js"
import { loadPlatforms } from "./platforms.js"
import { append, errorText, h, mount, toast } from "./ui.js"

/** @typedef {import("./api.js").BotWrite} BotWrite */
/** @typedef {import("./form-fields.js").Control} Control */
/** @typedef {import("./form-fields.js").Fields} Fields */

/**
 * @param {HTMLElement} view
 * @param {string | null} botId  null: add a bot
 * @param {string | null} [focusPath]  the field to start in (the bot page's "Replace" of a secret: credentials.<name>)
 * @returns {Promise<undefined>}
 */
export async function renderForm(view, botId, focusPath = null) {
  if (!session.canWrite()) {
    append(
      view,
      h("div", { class: "readonly-note" }, "You have read-only access: adding and editing bots is disabled."),
      h("a", { href: botId ? `#/bots/${encodeURIComponent(botId)}` : "#/bots" }, "← Back"),
    )
    return undefined
  }
  const [platforms, existing] = await Promise.all([
    loadPlatforms(),
    botId ? api.getBot(botId).then((r) => r.bot) : Promise.resolve(null),
  ])
  const topError = h("div", { class: "error-box", role: "alert", tabIndex: -1, hidden: true })
  /** Error slot and control of each API field path ("name", "credentials.botToken", "handler.url"). */
  /** @type {Fields} */
  const fields = new Map()
  /** @param {string} path @param {string} labelText @param {Control} control @param {string} [hint] */
  const field = (path, labelText, control, hint) => fieldIn(fields, path, labelText, control, hint)

  const platform = h(
    "select",
    { disabled: Boolean(existing) },
    ...platforms.map((p) => h("option", { value: p.platform }, p.displayName)),
  )
  if (existing) platform.value = existing.platform
  const name = h("input", {
    type: "text",
    maxLength: 100,
    value: existing?.name ?? "",
    placeholder: "e.g. Support (EU)",
    autocomplete: "off",
    "data-autofocus": "1",
  })

  // Credentials: one input per field the platform declares, labelled and explained by the API. Secrets are
  // write-only: a password input, never prefilled; when editing, its placeholder says a value is set.
  const credentials = h("fieldset", { class: "section" })
  /** @type {Map<string, { input: HTMLInputElement, initial: string }>} */
  let credentialInputs = new Map()
  function drawCredentials() {
    const spec = platforms.find((p) => p.platform === platform.value)
    for (const path of [...fields.keys()]) if (path.startsWith("credentials.")) fields.delete(path)
    credentialInputs = new Map()
    const inputs = (spec?.credentialFields ?? []).map((f) => {
      const current = existing?.credentials[f.name]
      const initial = !f.secret && typeof current === "string" ? current : ""
      const input = h("input", {
        type: f.secret ? "password" : "text",
        autocomplete: "off",
        spellcheck: false,
        value: initial,
        placeholder:
          existing && f.secret
            ? existing.secretsSet?.[f.name]
              ? "•••••••• (set; type to replace)"
              : "Not set"
            : (f.placeholder ?? ""),
      })
      credentialInputs.set(f.name, { input, initial })
      return field(`credentials.${f.name}`, `${f.label}${f.required ? "" : " (optional)"}`, input, f.help)
    })
    mount(
      credentials,
      h("legend", {}, `${spec?.displayName ?? platform.value} credentials`),
      existing
        ? h(
            "p",
            { class: "hint" },
            "Saved secrets are never shown. Leave every field as it is to keep the current credentials, or fill in all required fields to replace them.",
          )
        : null,
      ...inputs,
    )
  }
  platform.addEventListener("change", drawCredentials)
  drawCredentials()

  const handler = handlerSection(fields, existing?.handler ?? { type: "echo" })
  const updates = updatesSection(fields, existing?.updates)
  const drawUpdates = () => updates.showFor(platforms.find((p) => p.platform === platform.value))
  platform.addEventListener("change", drawUpdates)
  drawUpdates()

  const submit = h("button", { type: "submit", class: "primary" }, existing ? "Save changes" : "Create bot")
  const cancelHref = existing ? `#/bots/${encodeURIComponent(existing.id)}` : "#/bots"
  const form = h(
    "form",
    { class: "panel form", noValidate: true, "aria-labelledby": "form-title" },
    topError,
    h(
      "div",
      { class: "two-col" },
      field("platform", "Platform", platform, existing ? "A bot's platform can't change." : undefined),
      field("name", "Name", name, "Shown in this dashboard only."),
    ),
    credentials,
    updates.section,
    handler.section,
    h("div", { class: "form-actions" }, h("a", { class: "button", href: cancelHref }, "Cancel"), submit),
  )

  const specOf = (/** @type {string} */ p) => platforms.find((s) => s.platform === p)

  /** The request body; on edit, credentials go only when something in them changed (the API replaces them whole). */
  function collect() {
    /** @type {Record<string, string>} */
    const creds = {}
    let changed = false
    for (const [key, { input, initial }] of credentialInputs) {
      const value = input.value.trim()
      if (value) creds[key] = value
      if (value !== initial) changed = true
    }
    /** @type {Record<string, unknown>} */
    const body = { name: name.value.trim(), handler: handler.collect() }
    if (!existing) body.platform = platform.value
    if (!existing || changed) body.credentials = creds
    const updatesBody = updates.collect()
    if (updatesBody) body.updates = updatesBody
    return body
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault()
    topError.hidden = true
    showErrors(fields, [])
    submit.disabled = true
    submit.textContent = existing ? "Saving…" : "Creating…"
    try {
      if (existing) {
        const res = await api.updateBot(existing.id, collect())
        // If the user moved on while saving, a toast tells them; they are not pulled back here.
        if (!view.isConnected) toast(`${res.bot.name} saved`)
        else if (res.signingSecret) showSaved(view, res, false, specOf(res.bot.platform))
        else {
          toast("Changes saved")
          location.hash = `#/bots/${encodeURIComponent(existing.id)}`
        }
      } else {
        const res = await api.createBot(collect())
        if (view.isConnected) showSaved(view, res, true, specOf(res.bot.platform))
        else toast(`${res.bot.name} created`)
      }
    } catch (err) {
      // Every problem the API found, at once: listed above the form, and each under its field.
      const errors = err instanceof ApiError ? readableErrors(err.fields) : []
      const placed = showErrors(fields, errors)
      topError.hidden = false
      mount(topError, errors.length > 0 ? errorSummary(fields, errors) : errorText(err))
      if (placed === 0) topError.focus()
    } finally {
      submit.disabled = false
      submit.textContent = existing ? "Save changes" : "Create bot"
    }
  })

  // Asked to start in a field (a secret to replace): it takes the autofocus from the name.
  const focusControl = focusPath ? fields.get(focusPath)?.control : undefined
  if (focusControl) {
    name.removeAttribute("data-autofocus")
    focusControl.setAttribute("data-autofocus", "1")
  }
  append(
    view,
    h(
      "nav",
      { class: "crumbs", "aria-label": "Breadcrumb" },
      h("a", { href: "#/bots" }, "Integrations"),
      existing ? h("a", { href: cancelHref }, existing.name) : null,
    ),
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        h("h1", { id: "form-title" }, existing ? `Edit “${existing.name}”` : "Add a bot"),
        h(
          "p",
          { class: "sub" },
          existing
            ? "Change its name, credentials or how it replies."
            : "Connect a bot you own on a messaging platform. Switchboard verifies, queues and answers its messages.",
        ),
      ),
    ),
    form,
  )
  return undefined
}
