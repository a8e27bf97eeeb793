// @ts-check
// Add and edit a bot: credential fields follow the platform (from GET /api/platforms), the handler choice, and the
// API's validation messages shown next to the field they are about.
import { ApiError, api, session } from "./api.js"
import { loadPlatforms, platformName } from "./platforms.js"
import { append, copyRow, errorText, fmt, go, h, mount, toast } from "./ui.js"

/** @typedef {import("./api.js").Bot} Bot */
/** @typedef {import("./api.js").BotWrite} BotWrite */
/** @typedef {import("./api.js").FieldError} FieldError */
/** @typedef {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} Control */

const HANDLERS = /** @type {const} */ ([
  ["echo", "Echo", "Replies with what it received: the quickest end-to-end check."],
  ["forward", "Forward to my server", "POSTs each message to your HTTPS endpoint; your JSON answer is the reply."],
  ["ai", "AI assistant", "Answers with an OpenAI-compatible model, using the chat's recent history."],
])

/**
 * @param {HTMLElement} view
 * @param {string | null} botId  null: add a bot
 * @returns {Promise<undefined>}
 */
export async function renderForm(view, botId) {
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
  /** @type {Map<string, { slot: HTMLElement, control: Control }>} */
  const fields = new Map()

  /**
   * A labelled control with its hint and its error slot, registered under the API's field path.
   * @param {string} path @param {string} labelText @param {Control} control @param {string} [hint]
   */
  const field = (path, labelText, control, hint) => {
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
        placeholder: existing && f.secret ? "•••••••• (set; type to replace)" : (f.placeholder ?? ""),
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

  // Handler: echo / forward / AI, each with its own fields.
  const handler = existing?.handler ?? { type: "echo" }
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
  const panes = {
    echo: h("div", {}),
    forward: h(
      "div",
      {},
      field(
        "handler.url",
        "Endpoint URL",
        forwardUrl,
        "Each message is POSTed with an X-Switchboard-Signature (HMAC-SHA256). A new signing secret is shown once after saving.",
      ),
    ),
    ai: h(
      "div",
      { class: "two-col" },
      field("handler.baseUrl", "API base URL", aiBase, "Any OpenAI-compatible endpoint."),
      field("handler.model", "Model", aiModel),
      field("handler.apiKey", "API key", aiKey, "Stored encrypted; never shown again."),
      field("handler.systemPrompt", "System prompt (optional)", aiPrompt),
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
    /** @type {"echo" | "forward" | "ai"} */ (
      /** @type {HTMLInputElement | null} */ (choices.querySelector("input:checked"))?.value ?? "echo"
    )
  function drawHandler() {
    mount(handlerPane, panes[chosenHandler()])
  }
  drawHandler()

  // How updates arrive: webhooks (the platform calls Switchboard), or long polling from Switchboard (for a bot that
  // must not receive webhooks), offered where GET /api/platforms says the platform can poll.
  const updates = existing?.updates ?? { mode: "webhook" }
  const pollInterval = h("input", {
    type: "number",
    min: 0,
    max: 60000,
    step: 100,
    inputMode: "numeric",
    value: String(updates.mode === "polling" ? (updates.intervalMs ?? 1000) : 1000),
  })
  const modeChoices = h("div", { class: "choices", role: "radiogroup", "aria-labelledby": "updates-legend" })
  /** @type {Map<"webhook" | "polling", HTMLInputElement>} */
  const modeInputs = new Map()
  for (const [value, label, hint] of /** @type {const} */ ([
    [
      "webhook",
      "Webhook (default)",
      "Each update is pushed to Switchboard's webhook URL as it happens: the fastest way.",
    ],
    ["polling", "Long polling", "Switchboard asks for new updates itself: for a bot whose webhook must stay unset."],
  ])) {
    const input = h("input", {
      type: "radio",
      name: "updates-mode",
      value,
      checked: updates.mode === value,
      onchange: drawUpdates,
    })
    modeInputs.set(value, input)
    modeChoices.append(
      h("label", { class: "choice" }, input, h("span", {}, h("strong", {}, label), h("span", { class: "hint" }, hint))),
    )
  }
  const modeError = h("div", { class: "field-error", id: "f-updates-error", role: "status" })
  const pollingInput = /** @type {HTMLInputElement} */ (modeInputs.get("polling"))
  for (const input of modeInputs.values()) input.setAttribute("aria-describedby", "f-updates-error")
  // Errors about `updates` or `updates.mode` go under the choice (the closest registered path).
  fields.set("updates", { slot: modeError, control: pollingInput })
  const intervalField = field(
    "updates.intervalMs",
    "Pause between polls (ms)",
    pollInterval,
    "0 to 60000; each poll itself waits up to 25 s for news.",
  )
  const chosenMode = () => (pollingInput.checked ? "polling" : "webhook")
  const updatesSection = h(
    "fieldset",
    { class: "section" },
    h("legend", { id: "updates-legend" }, "How updates arrive"),
    modeChoices,
    modeError,
    intervalField,
  )
  function drawUpdates() {
    const spec = platforms.find((p) => p.platform === platform.value)
    const canPoll = spec?.capabilities.polling ?? false
    updatesSection.hidden = !canPoll && chosenMode() !== "polling"
    intervalField.hidden = chosenMode() !== "polling"
  }
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
    updatesSection,
    h("fieldset", { class: "section" }, h("legend", { id: "handler-legend" }, "Replies"), choices, handlerPane),
    h("div", { class: "form-actions" }, h("a", { class: "button", href: cancelHref }, "Cancel"), submit),
  )

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
    const type = chosenHandler()
    /** @type {Record<string, string>} */
    let handlerBody = { type: "echo" }
    if (type === "forward") handlerBody = { type, url: forwardUrl.value.trim() }
    if (type === "ai") {
      handlerBody = { type, baseUrl: aiBase.value.trim(), model: aiModel.value.trim() }
      if (aiKey.value.trim()) handlerBody.apiKey = aiKey.value.trim()
      if (aiPrompt.value.trim()) handlerBody.systemPrompt = aiPrompt.value.trim()
    }
    /** @type {Record<string, unknown>} */
    const body = { name: name.value.trim(), handler: handlerBody }
    if (!existing) body.platform = platform.value
    if (!existing || changed) body.credentials = creds
    // A number as typed; anything else goes as is and the API's message lands under the field.
    const interval = pollInterval.value.trim() === "" ? 1000 : Number(pollInterval.value)
    const wanted = chosenMode() === "polling" ? { mode: "polling", intervalMs: interval } : { mode: "webhook" }
    // Only a change is sent (a new bot uses webhooks unless told otherwise): switching modes sets the bot up again.
    const current = existing?.updates ?? { mode: "webhook" }
    const same = current.mode === wanted.mode && (current.mode !== "polling" || current.intervalMs === interval)
    if (!same) body.updates = wanted
    return body
  }

  /**
   * Puts each validation message under its field (or its closest registered parent path); returns how many landed.
   * @param {FieldError[]} errors
   */
  function showErrors(errors) {
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

  form.addEventListener("submit", async (e) => {
    e.preventDefault()
    topError.hidden = true
    showErrors([])
    submit.disabled = true
    submit.textContent = existing ? "Saving…" : "Creating…"
    try {
      if (existing) {
        const res = await api.updateBot(existing.id, collect())
        // If the user moved on while saving, a toast tells them; they are not pulled back here.
        if (!view.isConnected) toast(`${res.bot.name} saved`)
        else if (res.signingSecret) showSaved(view, res, false)
        else {
          toast("Changes saved")
          location.hash = `#/bots/${encodeURIComponent(existing.id)}`
        }
      } else {
        const res = await api.createBot(collect())
        if (view.isConnected) showSaved(view, res, true)
        else toast(`${res.bot.name} created`)
      }
    } catch (err) {
      const placed = err instanceof ApiError ? showErrors(err.fields) : 0
      topError.hidden = false
      topError.textContent =
        placed > 0 ? `Please fix the highlighted ${placed === 1 ? "field" : "fields"} below.` : errorText(err)
      if (placed === 0) topError.focus()
    } finally {
      submit.disabled = false
      submit.textContent = existing ? "Save changes" : "Create bot"
    }
  })

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

/**
 * After create (or an edit that issued a signing secret): the webhook URL to paste, and a one-time secret.
 * @param {HTMLElement} view
 * @param {BotWrite} res
 * @param {boolean} created
 */
function showSaved(view, res, created) {
  const { bot } = res
  const setupFailed = res.setup && !res.setup.ok
  mount(
    view,
    h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("a", { href: "#/bots" }, "Integrations")),
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        h(
          "h1",
          { tabIndex: -1, "data-autofocus": "1" },
          created ? `“${bot.name}” is connected` : `“${bot.name}” saved`,
        ),
        h(
          "p",
          { class: "sub" },
          bot.updates.mode === "polling"
            ? "Switchboard polls for its updates: messages start flowing now."
            : "One more step on the platform's side, then messages start flowing.",
        ),
      ),
    ),
    setupFailed
      ? h(
          "div",
          { class: "error-box", role: "alert" },
          h(
            "strong",
            {},
            bot.updates.mode === "polling"
              ? "The platform refused to start polling. "
              : "The platform refused the webhook setup. ",
          ),
          `${res.setup?.error?.message ?? "Unknown error"}. Check the credentials (Edit), then Start the bot.`,
        )
      : null,
    h(
      "section",
      { class: "panel success" },
      ...(bot.updates.mode === "polling"
        ? [
            h("h2", {}, "Long polling"),
            h(
              "p",
              { class: "hint", id: "polling-note" },
              `Nothing to paste: Switchboard removed the bot's webhook and asks ${platformName(bot.platform)} for new updates itself, ` +
                `pausing ${fmt(bot.updates.intervalMs ?? 1000)} ms between polls. The bot's page shows when it last polled.`,
            ),
          ]
        : [
            h("h2", {}, "Webhook URL"),
            h(
              "p",
              { class: "hint" },
              `Switchboard registers it with ${platformName(bot.platform)} itself where the platform allows that; ` +
                `otherwise paste it where ${platformName(bot.platform)} asks for a webhook or callback URL (the help next to its credential fields says where).`,
            ),
            copyRow(bot.webhookUrl, "webhook-url", "Webhook URL"),
          ]),
      res.signingSecret
        ? h(
            "div",
            { class: "secret" },
            h("h2", {}, "Signing secret"),
            h(
              "p",
              { class: "hint" },
              h("strong", {}, "Shown only this once. "),
              'Your endpoint verifies X-Switchboard-Signature with it: sha256=HMAC-SHA256(secret, "<timestamp>.<body>").',
            ),
            copyRow(res.signingSecret, "signing-secret", "Signing secret"),
          )
        : null,
    ),
    h(
      "div",
      { class: "row-actions" },
      h("a", { class: "button primary", href: `#/bots/${encodeURIComponent(bot.id)}` }, "Open bot"),
      h("a", { class: "button", href: "#/bots" }, "Back to integrations"),
      h("button", { type: "button", onclick: () => go("#/new") }, "Add another"),
    ),
  )
  const heading = view.querySelector("h1")
  heading?.focus()
  window.scrollTo(0, 0)
}
