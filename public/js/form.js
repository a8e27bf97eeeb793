// @ts-check
// Add and edit a bot: credential fields follow the platform (from GET /api/platforms), the handler choice, and the
// API's validation messages shown next to the field they are about.
import { ApiError, api, session } from "./api.js"
import { copy, errorText, fieldLabel, h, mount, platformName, toast } from "./ui.js"

/**
 * @param {HTMLElement} main
 * @param {string | null} botId  null: add a bot
 */
export async function renderForm(main, botId) {
  if (!session.canWrite()) {
    mount(
      main,
      h("div", { class: "readonly-note" }, "You have read-only access: adding and editing bots is disabled."),
      h("a", { href: "#/bots" }, "← Back to integrations"),
    )
    return
  }
  const [{ platforms }, existing] = await Promise.all([
    api("GET", "/api/platforms"),
    botId ? api("GET", `/api/bots/${botId}`).then((r) => r.bot) : null,
  ])
  const editing = Boolean(existing)
  const form = h("form", { class: "panel", novalidate: true })
  const topError = h("div", { class: "error-box", role: "alert", hidden: true })
  /** @type {Map<string, HTMLElement>} */
  const errorSlots = new Map()

  /** @param {string} path @param {string} labelText @param {HTMLElement} input @param {string} [hint] */
  const field = (path, labelText, input, hint) => {
    const id = `f-${path.replace(/\W/g, "-")}`
    input.id = id
    input.setAttribute("name", path)
    const err = h("div", { class: "field-error", id: `${id}-error` })
    input.setAttribute("aria-describedby", `${id}-error`)
    errorSlots.set(path, err)
    return h(
      "div",
      { class: "field" },
      h("label", { for: id }, labelText),
      input,
      hint ? h("div", { class: "hint" }, hint) : null,
      err,
    )
  }

  const platform = h(
    "select",
    { disabled: editing },
    ...platforms.map((/** @type {any} */ p) => h("option", { value: p.platform }, platformName(p.platform))),
  )
  if (existing) platform.value = existing.platform
  const name = h("input", {
    type: "text",
    required: true,
    maxLength: 100,
    value: existing?.name ?? "",
    placeholder: "e.g. Support (EU)",
  })
  const credentials = h("fieldset", {}, h("legend", {}, "Credentials"))

  function drawCredentials() {
    const spec = platforms.find((/** @type {any} */ p) => p.platform === platform.value)
    mount(
      credentials,
      h("legend", {}, `${platformName(platform.value)} credentials`),
      editing
        ? h(
            "p",
            { class: "hint" },
            "Secrets are never shown. Leave these empty to keep the current credentials, or fill them all to replace them.",
          )
        : null,
      ...spec.credentialFields.map((/** @type {{name: string, required: boolean, secret: boolean}} */ f) => {
        const [label, hint] = fieldLabel(f.name)
        const current = existing?.credentials?.[f.name]
        const input = h("input", {
          type: f.secret ? "password" : "text",
          autocomplete: "off",
          spellcheck: false,
          value: typeof current === "string" ? current : "",
          placeholder: editing && f.secret ? "•••••••• (set)" : "",
          "data-required": f.required ? "1" : "",
        })
        return field(`credentials.${f.name}`, `${label}${f.required ? "" : " (optional)"}`, input, hint)
      }),
    )
  }
  platform.addEventListener("change", drawCredentials)
  drawCredentials()

  // Handler: echo / forward / AI.
  const handler = existing?.handler ?? { type: "echo" }
  const kind = h("div", { class: "radios", role: "radiogroup", "aria-label": "Handler" })
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
    placeholder: handler.type === "ai" ? "leave empty to keep the current key" : "sk-…",
  })
  const aiPrompt = h("textarea", {
    rows: 3,
    value: handler.type === "ai" ? (handler.systemPrompt ?? "") : "",
    placeholder: "You are the support assistant of …",
  })
  const panes = {
    echo: h(
      "p",
      { class: "hint" },
      "Answers every message with what it received: the quickest way to check a bot end to end.",
    ),
    forward: h(
      "div",
      {},
      field(
        "handler.url",
        "Your endpoint (HTTPS)",
        forwardUrl,
        "We POST each message, signed with HMAC-SHA256; your JSON answer becomes the reply.",
      ),
    ),
    ai: h(
      "div",
      {},
      field("handler.baseUrl", "API base URL (OpenAI-compatible)", aiBase),
      field("handler.model", "Model", aiModel),
      field("handler.apiKey", "API key", aiKey, "Stored encrypted; never shown again."),
      field("handler.systemPrompt", "System prompt (optional)", aiPrompt),
    ),
  }
  for (const [value, label] of [
    ["echo", "Echo"],
    ["forward", "Forward to my URL"],
    ["ai", "AI (LLM)"],
  ]) {
    const radio = h("input", {
      type: "radio",
      name: "handler-type",
      value,
      checked: handler.type === value,
      onchange: drawHandler,
    })
    kind.append(h("label", {}, radio, label))
  }
  const handlerPane = h("div", {})
  function drawHandler() {
    const chosen = /** @type {"echo" | "forward" | "ai"} */ (
      /** @type {HTMLInputElement} */ (kind.querySelector("input:checked")).value
    )
    mount(handlerPane, panes[chosen])
  }
  drawHandler()

  const submit = h("button", { type: "submit", class: "primary" }, editing ? "Save changes" : "Create bot")
  form.append(
    topError,
    field("platform", "Platform", platform),
    field("name", "Name", name),
    credentials,
    h("fieldset", {}, h("legend", {}, "Replies"), kind, handlerPane),
    h(
      "div",
      { class: "row-actions" },
      submit,
      h("a", { class: "button", href: existing ? `#/bots/${existing.id}` : "#/bots" }, "Cancel"),
    ),
  )

  function collect() {
    /** @type {Record<string, string>} */
    const creds = {}
    for (const input of credentials.querySelectorAll("input")) {
      const key = (input.getAttribute("name") ?? "").replace(/^credentials\./, "")
      if (input.value.trim()) creds[key] = input.value.trim()
    }
    const type = /** @type {HTMLInputElement} */ (kind.querySelector("input:checked")).value
    /** @type {Record<string, unknown>} */
    let handlerBody = { type: "echo" }
    if (type === "forward") handlerBody = { type, url: forwardUrl.value.trim() }
    if (type === "ai") {
      handlerBody = { type, baseUrl: aiBase.value.trim(), model: aiModel.value.trim() }
      if (aiKey.value.trim()) handlerBody.apiKey = aiKey.value.trim()
      if (aiPrompt.value.trim()) handlerBody.systemPrompt = aiPrompt.value.trim()
    }
    /** @type {Record<string, unknown>} */
    const body = { name: name.value.trim(), handler: handlerBody }
    if (!editing) body.platform = platform.value
    // Editing: credentials are replaced only when something was typed (public fields are prefilled).
    const typedSecret = [...credentials.querySelectorAll('input[type="password"]')].some((i) =>
      /** @type {HTMLInputElement} */ (i).value.trim(),
    )
    if (!editing || typedSecret) body.credentials = creds
    return body
  }

  /**
   * Puts each API validation message under its field; returns how many found a field.
   * @param {{path: string, message: string}[]} fields
   */
  function showErrors(fields) {
    for (const slot of errorSlots.values()) {
      slot.textContent = ""
      document.getElementById(slot.id.replace(/-error$/, ""))?.removeAttribute("aria-invalid")
    }
    let first = null
    let placed = 0
    for (const f of fields) {
      const slot = errorSlots.get(f.path) ?? errorSlots.get(f.path.split(".").slice(0, 2).join("."))
      if (!slot) continue
      slot.textContent = f.message
      placed++
      const input = document.getElementById(slot.id.replace(/-error$/, ""))
      input?.setAttribute("aria-invalid", "true")
      first ??= input
    }
    first?.focus()
    return placed
  }

  form.addEventListener("submit", async (/** @type {SubmitEvent} */ e) => {
    e.preventDefault()
    topError.hidden = true
    showErrors([])
    submit.disabled = true
    try {
      const res = editing
        ? await api("PATCH", `/api/bots/${existing.id}`, collect())
        : await api("POST", "/api/bots", collect())
      if (editing) {
        toast("Saved")
        location.hash = `#/bots/${existing.id}`
      } else showCreated(res)
    } catch (err) {
      topError.hidden = false
      const placed = err instanceof ApiError ? showErrors(err.fields) : 0
      topError.textContent = placed > 0 ? "Please fix the highlighted fields." : errorText(err)
    } finally {
      submit.disabled = false
    }
  })

  /** @param {any} res */
  function showCreated(res) {
    const bot = res.bot
    const setupFailed = res.setup && !res.setup.ok
    mount(
      main,
      h("div", { class: "page-head" }, h("h1", {}, `“${bot.name}” is ready`)),
      h(
        "div",
        { class: "success-box", role: "status" },
        h("strong", {}, "Webhook URL"),
        h(
          "p",
          { class: "hint" },
          bot.platform === "telegram"
            ? "Switchboard already registered it with Telegram (setWebhook, with a secret token)."
            : "Paste it into Meta's webhook settings (Callback URL), with your verify token.",
        ),
        h(
          "div",
          { class: "copy-row" },
          h("code", { id: "webhook-url" }, bot.webhookUrl),
          h("button", { type: "button", onclick: () => copy(bot.webhookUrl) }, "Copy"),
        ),
        res.signingSecret
          ? h(
              "div",
              {},
              h(
                "p",
                { class: "hint" },
                "Forward signing secret: shown once. Verify our X-Switchboard-Signature with it.",
              ),
              h(
                "div",
                { class: "copy-row" },
                h("code", {}, res.signingSecret),
                h("button", { type: "button", onclick: () => copy(res.signingSecret) }, "Copy"),
              ),
            )
          : null,
      ),
      setupFailed
        ? h(
            "div",
            { class: "error-box", role: "alert" },
            `The platform refused the webhook setup: ${res.setup.error?.message ?? "unknown error"}. Check the credentials and restart the bot.`,
          )
        : null,
      h(
        "div",
        { class: "row-actions" },
        h("a", { class: "button primary", href: `#/bots/${bot.id}` }, "Open bot"),
        h("a", { class: "button", href: "#/bots" }, "Back to integrations"),
        h("a", { class: "button", href: "#/new" }, "Add another"),
      ),
    )
  }

  mount(
    main,
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        h("h1", {}, editing ? `Edit “${existing.name}”` : "Add a bot"),
        h(
          "p",
          { class: "sub" },
          editing
            ? "Change the name, credentials or how it replies."
            : "Connect a bot of one of your platforms; Switchboard verifies, queues and answers its messages.",
        ),
      ),
    ),
    form,
  )
  name.focus()
}
