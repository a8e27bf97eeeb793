// @ts-check
// The bot page's send form: a text to a chat through this bot (POST /api/bots/{id}/messages), queued and paced like
// any send. The API's 422 lists every field's problem: each lands under its field, and all are listed above them.
import { ApiError, api } from "./api.js"
import { labelled } from "./contact-common.js"
import { errorSummary, readableErrors, showErrors } from "./form-fields.js"
import { errorBox, errorText, h, mount, toast } from "./ui.js"

/** @typedef {import("./form-fields.js").Fields} Fields */

/**
 * @param {string} botId @param {boolean} canWrite
 * @param {() => void} onSent  called once the message is queued (the page shows it in Sent messages)
 * @returns {HTMLElement}
 */
export function sendForm(botId, canWrite, onSent) {
  /** @type {Fields} */
  const fields = new Map()
  const chatId = h("input", {
    type: "text",
    id: "bot-send-chat",
    autocomplete: "off",
    spellcheck: false,
    maxLength: 128,
    disabled: !canWrite,
    placeholder: "e.g. 123456789",
  })
  const text = h("textarea", {
    id: "bot-send-text",
    rows: 3,
    disabled: !canWrite,
    placeholder: "The message, as the person will read it",
  })
  const submit = h(
    "button",
    { type: "submit", class: "primary", disabled: !canWrite, title: canWrite ? undefined : "Viewers can't send" },
    "Send message",
  )
  const top = h("div", { "aria-live": "polite" })
  // One key per message: sending again after a network error is recognised by the API instead of sent twice.
  let idempotencyKey = crypto.randomUUID()

  const form = h(
    "form",
    { class: "bot-send", noValidate: true, "aria-labelledby": "bot-send-title" },
    top,
    labelled({
      fields,
      path: "chatId",
      label: "Chat ID",
      control: chatId,
      hint: "The platform's id of the chat or user: the Chat column of Sent messages, or a log entry's details.",
    }),
    labelled({ fields, path: "text", label: "Message", control: text }),
    h("div", { class: "form-actions" }, submit),
  )

  form.addEventListener("submit", async (e) => {
    e.preventDefault()
    mount(top)
    showErrors(fields, [])
    submit.disabled = true
    submit.textContent = "Sending…"
    try {
      // As typed: an empty field is the API's to name, with the others.
      const res = await api.sendMessage(botId, { chatId: chatId.value.trim(), text: text.value, idempotencyKey })
      idempotencyKey = crypto.randomUUID()
      text.value = ""
      toast(res.duplicate ? "Already queued" : "Message queued: it appears in Sent messages")
      onSent()
      text.focus()
    } catch (err) {
      const errors = err instanceof ApiError ? readableErrors(err.fields) : []
      if (errors.length > 0) {
        mount(top, h("div", { class: "error-box", role: "alert" }, errorSummary(fields, errors)))
        showErrors(fields, errors)
      } else mount(top, errorBox(`Not sent: ${errorText(err)}`))
    } finally {
      submit.disabled = !canWrite
      submit.textContent = "Send message"
    }
  })
  return form
}
