// @ts-check
// The business's opt-out settings: the words that, as a whole message, opt a person out of a chat (or back in), and
// what the bot answers each time. Read and replaced whole (GET/PUT /api/settings/opt-out).
import { ApiError, api } from "./api.js"
import { labelled, parseList, plainFields } from "./contact-common.js"
import { showErrors } from "./form-fields.js"
import { errorText, h, toast } from "./ui.js"

/** @typedef {import("./api.js").OptOutSettings} OptOutSettings */
/** @typedef {import("./form-fields.js").Fields} Fields */

/**
 * @param {{ settings: OptOutSettings, canWrite: boolean }} o
 * @returns {HTMLElement}
 */
export function optOutPanel({ settings, canWrite }) {
  /** @type {Fields} */
  const fields = new Map()
  const disabled = !canWrite
  const topError = h("div", { class: "error-box", role: "alert", tabIndex: -1, hidden: true })
  const stopKeywords = h("input", {
    type: "text",
    id: "optout-stop",
    autocomplete: "off",
    spellcheck: false,
    disabled,
    value: settings.stopKeywords.join(", "),
  })
  const startKeywords = h("input", {
    type: "text",
    id: "optout-start",
    autocomplete: "off",
    spellcheck: false,
    disabled,
    value: settings.startKeywords.join(", "),
  })
  const stopReply = h("textarea", { id: "optout-stop-reply", rows: 2, maxLength: 1000, disabled })
  stopReply.value = settings.stopReply
  const startReply = h("textarea", { id: "optout-start-reply", rows: 2, maxLength: 1000, disabled })
  startReply.value = settings.startReply
  const submit = h(
    "button",
    { type: "submit", class: "primary", disabled, title: canWrite ? undefined : "Viewers can't change settings" },
    "Save opt-out settings",
  )

  const form = h(
    "form",
    { noValidate: true, "aria-labelledby": "optout-title" },
    topError,
    h(
      "div",
      { class: "two-col" },
      labelled({
        fields,
        path: "stopKeywords",
        label: "Stop words",
        control: stopKeywords,
        hint: "Comma-separated. A message that is exactly one of them (any case) opts the person out of that chat.",
      }),
      labelled({
        fields,
        path: "startKeywords",
        label: "Start words",
        control: startKeywords,
        hint: "Comma-separated. Opts the person back in.",
      }),
      labelled({ fields, path: "stopReply", label: "Answer to a stop word", control: stopReply }),
      labelled({ fields, path: "startReply", label: "Answer to a start word", control: startReply }),
    ),
    h("div", { class: "form-actions" }, submit),
  )

  form.addEventListener("submit", async (e) => {
    e.preventDefault()
    topError.hidden = true
    showErrors(fields, [])
    submit.disabled = true
    submit.textContent = "Saving…"
    try {
      const saved = await api.putOptOut({
        stopKeywords: parseList(stopKeywords.value),
        startKeywords: parseList(startKeywords.value),
        stopReply: stopReply.value.trim(),
        startReply: startReply.value.trim(),
      })
      stopKeywords.value = saved.stopKeywords.join(", ")
      startKeywords.value = saved.startKeywords.join(", ")
      stopReply.value = saved.stopReply
      startReply.value = saved.startReply
      toast("Opt-out settings saved")
    } catch (err) {
      const placed = err instanceof ApiError ? showErrors(fields, plainFields(err.fields)) : 0
      topError.hidden = false
      topError.textContent =
        placed > 0 ? `Please fix the highlighted ${placed === 1 ? "field" : "fields"} below.` : errorText(err)
      if (placed === 0) topError.focus()
    } finally {
      submit.disabled = disabled
      submit.textContent = "Save opt-out settings"
    }
  })

  return h(
    "section",
    { class: "panel", "aria-labelledby": "optout-title" },
    h("h2", { id: "optout-title" }, "Opting out"),
    h(
      "p",
      { class: "hint" },
      "Nothing is sent to a chat whose person opted out. The words are matched on the whole message, in any case.",
    ),
    form,
  )
}
