// @ts-check
// "Alerts" (#/settings/alerts): where the business's bots post alerts and when (GET/PUT /api/settings/alerts, replaced
// whole), each event in plain words; the API's refusals shown at once at their fields; the signing secret (set or not,
// shown once when a save issues it, rotated after a confirmation: alert-secret.js). An empty URL turns alerts off.
// Viewers read (the URL's credentials and query values hidden by the API) and change nothing.
import { secretPanel } from "./alert-secret.js"
import { ApiError, api, session } from "./api.js"
import { labelled } from "./contact-common.js"
import { errorSummary, readableErrors, showErrors } from "./form-fields.js"
import { append, errorText, fmt, h, mount, toast } from "./ui.js"

/** @typedef {import("./api.js").AlertSettings} AlertSettings */
/** @typedef {import("./api.js").AlertSettingsInput} AlertSettingsInput */
/** @typedef {import("./api.js").FieldError} FieldError */
/** @typedef {import("./form-fields.js").Fields} Fields */

/** The API's defaults (src/registry/alert-settings.ts): an empty field takes them. */
const DEFAULTS = { queueDepth: 1000, failureRate: 0.2, minAttempts: 20 }
/** The API's bounds for the counts. */
const MAX = { queueDepth: 10_000_000, minAttempts: 1_000_000 }

/** A share (0..1) as the percentage typed in the form: 0.125 reads 12.5. @param {number} rate */
const percent = (rate) => String(Math.round(rate * 100_000) / 1000)

/**
 * @param {HTMLElement} view
 * @returns {Promise<undefined>}
 */
export async function renderAlerts(view) {
  const canWrite = session.canWrite()
  const disabled = !canWrite
  const settings = await api.alertSettings()

  /** @type {Fields} */
  const fields = new Map()
  const errors = h("div", { class: "error-box", role: "alert", tabIndex: -1, hidden: true })
  const state = h("p", { class: "alerts-state", id: "alerts-state" })

  const url = h("input", {
    type: "url",
    id: "alerts-url",
    autocomplete: "off",
    spellcheck: false,
    maxLength: 2048,
    placeholder: "https://ops.example.com/switchboard-alerts",
    disabled,
  })
  /** @param {string} id @param {string} step */
  const number = (id, step) =>
    h("input", { type: "number", id, inputMode: step === "1" ? "numeric" : "decimal", min: 1, step, disabled })
  const queueDepth = number("alerts-queue-depth", "1")
  const failureRate = number("alerts-failure-rate", "any")
  failureRate.min = "0"
  failureRate.max = "100"
  const minAttempts = number("alerts-min-attempts", "1")

  const secret = secretPanel({
    canWrite,
    onRotated: (rotated) => secret.update(rotated),
  })

  /** The form and the state line show `s`. @param {AlertSettings} s */
  function fill(s) {
    url.value = s.url ?? ""
    queueDepth.value = String(s.queueDepth)
    failureRate.value = percent(s.failureRate)
    minAttempts.value = String(s.minAttempts)
    mount(
      state,
      ...(s.url
        ? [h("span", { class: "status active" }, "Alerts on"), " Posted to ", h("code", {}, s.url)]
        : [h("span", { class: "status stopped" }, "Alerts off"), " No URL: nothing is sent."]),
    )
    secret.update(s)
  }

  /**
   * What the form says, as the API takes it; the counts and the rate checked here first (every problem at once).
   * @returns {{ body: AlertSettingsInput, problems: FieldError[] }}
   */
  function collect() {
    /** @type {FieldError[]} */
    const problems = []
    /** @type {AlertSettingsInput} */
    const body = { url: url.value.trim() || null }
    /** @param {"queueDepth" | "minAttempts"} path @param {HTMLInputElement} input */
    const count = (path, input) => {
      const text = input.value.trim()
      if (!text && !input.validity.badInput) return // empty: the default
      const n = Number(text)
      if (!text || !Number.isInteger(n) || n < 1 || n > MAX[path])
        problems.push({ path, message: `Must be a whole number from 1 to ${fmt(MAX[path])}` })
      else body[path] = n
    }
    count("queueDepth", queueDepth)
    const rate = failureRate.value.trim()
    if (rate || failureRate.validity.badInput) {
      const n = Number(rate)
      if (!rate || !Number.isFinite(n) || n <= 0 || n > 100)
        problems.push({ path: "failureRate", message: "Must be a percentage over 0 and at most 100" })
      else body.failureRate = n / 100
    }
    count("minAttempts", minAttempts)
    return { body, problems }
  }

  /** Every problem at once: listed above the form, and each under its field. @param {FieldError[]} problems */
  function showProblems(problems) {
    showErrors(fields, problems)
    errors.hidden = false
    mount(errors, h("strong", {}, "The alert settings were not saved."), errorSummary(fields, problems))
  }

  const save = h(
    "button",
    { type: "submit", class: "primary", disabled, title: canWrite ? undefined : "Viewers can't change alerts" },
    "Save alert settings",
  )

  const form = h(
    "form",
    { class: "alerts-form", noValidate: true, "aria-labelledby": "alerts-where-title" },
    errors,
    labelled({
      fields,
      path: "url",
      label: "Alert URL",
      control: url,
      hint:
        "Where Switchboard POSTs each alert: a public https: address (not localhost or a private network). " +
        "Leave it empty to turn alerts off.",
    }),
    h(
      "fieldset",
      { class: "section" },
      h("legend", {}, "When to alert"),
      h(
        "ul",
        { class: "alert-events hint" },
        h(
          "li",
          {},
          h("strong", {}, "A bot in error: "),
          "its platform refused it (a revoked token…) or a start failed. Always reported, no threshold.",
        ),
        h("li", {}, h("strong", {}, "A deep queue: "), "more messages waiting to be sent than the queue depth below."),
        h(
          "li",
          {},
          h("strong", {}, "Failing sends: "),
          "over the last 15 minutes, the failure rate below or more of a bot's sends failed, with at least the " +
            "minimum attempts.",
        ),
      ),
      h(
        "div",
        { class: "alert-thresholds" },
        labelled({
          fields,
          path: "queueDepth",
          label: "Queue depth",
          control: queueDepth,
          hint: `Alert above this many waiting messages; over when back to 90% of it. Empty: ${fmt(DEFAULTS.queueDepth)}.`,
        }),
        labelled({
          fields,
          path: "failureRate",
          label: "Failure rate (%)",
          control: failureRate,
          hint: `Share of sends that failed in 15 minutes; over under 80% of it. Empty: ${percent(DEFAULTS.failureRate)}%.`,
        }),
        labelled({
          fields,
          path: "minAttempts",
          label: "Minimum attempts",
          control: minAttempts,
          hint: `The rate counts only with at least this many sends in the 15 minutes. Empty: ${DEFAULTS.minAttempts}.`,
        }),
      ),
      h(
        "p",
        { class: "hint alert-once" },
        "Each problem is reported at most once, when it starts, however long it lasts; when it clears, a resolved " +
          "event follows. Only then can the same problem be reported again.",
      ),
    ),
    h("div", { class: "form-actions" }, save),
  )

  form.addEventListener("submit", async (e) => {
    e.preventDefault()
    errors.hidden = true
    showErrors(fields, [])
    const { body, problems } = collect()
    if (problems.length) return showProblems(problems)
    save.disabled = true
    save.textContent = "Saving…"
    try {
      const saved = await api.putAlertSettings(body)
      fill(saved)
      toast(saved.url ? "Alert settings saved" : "Alerts turned off")
      if (saved.signingSecret) secret.show(saved.signingSecret, false)
    } catch (err) {
      const problems = err instanceof ApiError ? readableErrors(err.fields) : []
      if (problems.length) showProblems(problems)
      else {
        errors.hidden = false
        mount(errors, `The alert settings were not saved: ${errorText(err)}`)
        errors.focus()
      }
    } finally {
      save.disabled = disabled
      save.textContent = "Save alert settings"
    }
  })

  fill(settings)

  append(
    view,
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        h("h1", {}, "Alerts"),
        h(
          "p",
          { class: "sub" },
          "Your bots tell your server when something is wrong, once when it starts and once when it is over. " +
            "For all of this business's bots.",
        ),
      ),
    ),
    canWrite ? null : h("div", { class: "readonly-note" }, "You have read-only access: changes are disabled."),
    h(
      "div",
      { class: "stack" },
      h(
        "section",
        { class: "panel alerts-panel", "aria-labelledby": "alerts-where-title" },
        h("h2", { id: "alerts-where-title" }, "Where and when"),
        state,
        form,
      ),
      secret.element,
    ),
  )
  return undefined
}
