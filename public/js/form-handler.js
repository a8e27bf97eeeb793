// @ts-check
// The bot form's Replies section: echo, forward to an HTTPS endpoint, or an AI assistant, each with its own fields.

import { field } from "./form-fields.js"
import { h, mount } from "./ui.js"

/** @typedef {import("./api.js").Handler} Handler */
/** @typedef {import("./form-fields.js").Fields} Fields */
/** @typedef {Handler["type"]} HandlerType */

const HANDLERS = /** @type {const} */ ([
  ["echo", "Echo", "Replies with what it received: the quickest end-to-end check."],
  ["forward", "Forward to my server", "POSTs each message to your HTTPS endpoint; your JSON answer is the reply."],
  ["ai", "AI assistant", "Answers with an OpenAI-compatible model, using the chat's recent history."],
])

/**
 * The Replies fieldset, prefilled from the bot's current handler (secrets never: the AI key is write-only).
 * @param {Fields} fields  where the handler's fields register their error slots ("handler.url", "handler.model", ...)
 * @param {Handler} handler  the bot's current handler; echo for a new bot
 * @returns {{ section: HTMLFieldSetElement, collect: () => Handler }}
 */
export function handlerSection(fields, handler) {
  const forwardUrl = h("input", {
    type: "url",
    value: handler.type === "forward" ? handler.url : "",
    placeholder: "https://example.com/switchboard",
  })
  const aiBase = h("input", {
    type: "url",
    value: handler.type === "ai" ? handler.baseUrl : "",
    placeholder: "https://api.openai.com/v1",
  })
  const aiModel = h("input", {
    type: "text",
    value: handler.type === "ai" ? handler.model : "",
    placeholder: "gpt-4o-mini",
  })
  const aiKey = h("input", {
    type: "password",
    autocomplete: "off",
    placeholder: handler.type === "ai" ? "•••••••• (kept unless you type a new key)" : "sk-…",
  })
  const aiPrompt = h("textarea", {
    rows: 3,
    value: handler.type === "ai" ? (handler.systemPrompt ?? "") : "",
    placeholder: "You are the support assistant of …",
  })
  /** @type {Record<HandlerType, HTMLElement>} */
  const panes = {
    echo: h("div", {}),
    forward: h(
      "div",
      {},
      field(
        fields,
        "handler.url",
        "Endpoint URL",
        forwardUrl,
        "Each message is POSTed with an X-Switchboard-Signature (HMAC-SHA256). A new signing secret is shown once after saving.",
      ),
    ),
    ai: h(
      "div",
      { class: "two-col" },
      field(fields, "handler.baseUrl", "API base URL", aiBase, "Any OpenAI-compatible endpoint."),
      field(fields, "handler.model", "Model", aiModel),
      field(fields, "handler.apiKey", "API key", aiKey, "Stored encrypted; never shown again."),
      field(fields, "handler.systemPrompt", "System prompt (optional)", aiPrompt),
    ),
  }
  const choices = h("div", { class: "choices", role: "radiogroup", "aria-labelledby": "handler-legend" })
  const handlerPane = h("div", { class: "handler-pane" })
  for (const [value, label, hint] of HANDLERS) {
    choices.append(
      h(
        "label",
        { class: "choice" },
        h("input", {
          type: "radio",
          name: "handler-type",
          value,
          checked: handler.type === value,
          onchange: drawHandler,
        }),
        h("span", {}, h("strong", {}, label), h("span", { class: "hint" }, hint)),
      ),
    )
  }
  const chosenHandler = () =>
    /** @type {HandlerType} */ (
      /** @type {HTMLInputElement | null} */ (choices.querySelector("input:checked"))?.value ?? "echo"
    )
  function drawHandler() {
    mount(handlerPane, panes[chosenHandler()])
  }
  drawHandler()

  const section = h(
    "fieldset",
    { class: "section" },
    h("legend", { id: "handler-legend" }, "Replies"),
    choices,
    handlerPane,
  )

  /**
   * The handler as the request body sends it: the chosen type and its fields; empty optional ones are left out.
   * @returns {Handler}
   */
  function collect() {
    const type = chosenHandler()
    if (type === "forward") return { type, url: forwardUrl.value.trim() }
    if (type === "ai") {
      /** @type {Extract<Handler, { type: "ai" }>} */
      const ai = { type, baseUrl: aiBase.value.trim(), model: aiModel.value.trim() }
      if (aiKey.value.trim()) ai.apiKey = aiKey.value.trim()
      if (aiPrompt.value.trim()) ai.systemPrompt = aiPrompt.value.trim()
      return ai
    }
    return { type: "echo" }
  }

  return { section, collect }
}
