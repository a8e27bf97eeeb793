// @ts-check
// "New broadcast": a name, the message (typed, or a stored template filled per recipient with a live preview), the
// recipients (pasted or a CSV / TXT file, read in the browser), an optional start time. Sent in chunks of 5,000 with
// a progress bar; the API's refusals land next to their fields in plain words, a recipient's at its line.
import { ApiError, api, session } from "./api.js"
import { broadcastsHref } from "./broadcast-common.js"
import { recipientsInput } from "./broadcast-recipients.js"
import { chunkedSend } from "./broadcast-send.js"
import { loadTemplates, templatePicker } from "./broadcast-template.js"
import { botCrumbs } from "./broadcasts.js"
import { fieldError, labelled, plainFields } from "./contact-common.js"
import { showErrors } from "./form-fields.js"
import { loadPlatforms, platformName } from "./platforms.js"
import { append, confirmDialog, errorBox, errorText, fmt, h, mount, plural, toast } from "./ui.js"

/** @typedef {import("./api.js").FieldError} FieldError */
/** @typedef {import("./api.js").CreateBroadcast} CreateBroadcast */
/** @typedef {import("./form-fields.js").Fields} Fields */

/**
 * @param {HTMLElement} view
 * @param {string} botId
 * @returns {Promise<undefined>}
 */
export async function renderComposer(view, botId) {
  const [{ bot }, platforms] = await Promise.all([api.getBot(botId), loadPlatforms()])
  document.title = `New broadcast · ${bot.name} · Switchboard`
  const crumbs = botCrumbs(
    bot,
    h("a", { href: broadcastsHref(botId) }, "Broadcasts"),
    h("span", { "aria-current": "page" }, "New"),
  )
  if (!session.canWrite()) {
    append(
      view,
      crumbs,
      h("div", { class: "readonly-note" }, "You have read-only access: sending broadcasts is disabled."),
      h("a", { href: broadcastsHref(botId) }, "← Back to broadcasts"),
    )
    return undefined
  }
  /** @type {import("./api.js").Template[] | null} */
  let templates = null
  let templatesProblem = ""
  try {
    templates = await loadTemplates()
  } catch (e) {
    templatesProblem = `Templates could not load (${errorText(e)}): you can still write the message.`
  }
  const spec = platforms.find((p) => p.platform === bot.platform)

  /** @type {Fields} */
  const fields = new Map()
  const topError = h("div", { class: "error-box", role: "alert", tabIndex: -1, hidden: true })
  const name = h("input", {
    type: "text",
    id: "broadcast-name",
    maxLength: 200,
    autocomplete: "off",
    "data-autofocus": "1",
  })
  const text = h("textarea", {
    id: "broadcast-text",
    rows: 5,
    maxLength: 8192,
    placeholder: "Write the message as every recipient will read it",
  })
  const textCount = h("span", { class: "bc-text-count muted", "aria-live": "off" })
  text.addEventListener("input", () => {
    textCount.textContent = text.value ? plural(text.value.length, "character") : ""
  })
  const schedule = h("input", { type: "datetime-local", id: "broadcast-schedule", step: 60 })
  const submit = h("button", { type: "submit", class: "primary" }, "Start broadcast")
  schedule.addEventListener("input", () => {
    submit.textContent = schedule.value ? "Schedule broadcast" : "Start broadcast"
  })
  const progress = h("progress", { max: 1, value: 0, id: "broadcast-upload" })
  const progressText = h("span", { id: "broadcast-upload-text" })
  const progressBox = h(
    "div",
    { class: "bc-upload", hidden: true, role: "status" },
    h("label", { for: "broadcast-upload", class: "visually-hidden" }, "Recipients handed over"),
    progress,
    progressText,
  )
  const retryBox = h("div", { class: "bc-retry", hidden: true })

  const recipients = recipientsInput({ fields, onChange: () => picker?.refresh() })
  // The template picker, when the server has templates (GET /api/templates) and the business has one.
  const picker = templates?.length
    ? templatePicker({
        fields,
        templates,
        platform: bot.platform,
        sample: () => recipients.parsed().recipients[0] ?? null,
        onChange: () => {
          textField.hidden = picker?.selected() !== null
        },
      })
    : null
  const textField = labelled({
    fields,
    path: "text",
    label: "Message",
    control: text,
    body: h("div", {}, text, textCount),
  })

  const windowHours = spec?.capabilities.serviceWindowHours ?? null
  const form = h(
    "form",
    { class: "panel form bc-form", noValidate: true, "aria-labelledby": "broadcast-form-title" },
    topError,
    bot.status === "active"
      ? null
      : h(
          "div",
          { class: "error-box" },
          `${bot.name} is ${bot.status}: start it first, or every recipient will be counted as failed.`,
        ),
    labelled({
      fields,
      path: "name",
      label: "Name",
      control: name,
      hint: "For you: it names the broadcast in the list and the results file.",
    }),
    picker?.element ?? null,
    templatesProblem ? h("p", { class: "hint" }, templatesProblem) : null,
    templates && !templates.length
      ? h(
          "p",
          { class: "hint" },
          "No templates yet (see the API docs): a template fills in each recipient's own values.",
        )
      : null,
    textField,
    windowHours
      ? h(
          "p",
          { class: "hint" },
          `On ${platformName(bot.platform)}, a text reaches only people who wrote in the last ${windowHours} hours; the others are counted as failed.`,
        )
      : null,
    recipients.element,
    labelled({
      fields,
      path: "scheduledAt",
      label: "Start at (optional)",
      control: schedule,
      hint: `Your local time (${Intl.DateTimeFormat().resolvedOptions().timeZone}). Empty: it starts as soon as every recipient is in.`,
      className: "field narrow",
    }),
    progressBox,
    retryBox,
    h("div", { class: "form-actions" }, h("a", { class: "button", href: broadcastsHref(botId) }, "Cancel"), submit),
  )

  /** @type {ReturnType<typeof chunkedSend> | null} */
  let sending = null
  /** @param {boolean} locked */
  function lock(locked) {
    name.disabled = locked
    text.disabled = locked
    schedule.disabled = locked
    submit.disabled = locked
    recipients.lock(locked)
    picker?.lock(locked)
  }

  /** @param {string} path @param {string} message @returns {null} */
  const stop = (path, message) => {
    fieldError(fields, path, message)
    return null
  }

  /** What the form says, checked before anything is sent; null when a field says what's wrong. */
  function collect() {
    const parsed = recipients.parsed()
    const template = picker?.selected() ?? null
    if (!name.value.trim()) return stop("name", "Give the broadcast a name.")
    if (!template && !text.value.trim()) return stop("text", "Write the message first.")
    const unfilled = picker?.unfilled(parsed.recipients) ?? []
    if (unfilled.length) return stop(`variables.${unfilled[0]}`, "Give a value: not every recipient's row has one.")
    if (parsed.problems.length)
      return stop("recipients", `Fix ${plural(parsed.problems.length, "line")} listed below first.`)
    if (!parsed.recipients.length) return stop("recipients", "Paste at least one chat id, or upload a file.")
    /** @type {Omit<CreateBroadcast, "recipients" | "more">} */
    const base = template
      ? { name: name.value.trim(), templateId: template.id, variables: picker?.values() ?? {} }
      : { name: name.value.trim(), text: text.value }
    if (schedule.value) {
      const at = new Date(schedule.value)
      if (Number.isNaN(at.getTime())) return stop("scheduledAt", "Pick a date and a time.")
      if (at.getTime() <= Date.now())
        return stop("scheduledAt", "That time has passed: pick a later one, or clear it to start now.")
      base.scheduledAt = at.toISOString()
    }
    // Each recipient's values go only with a template, and only those it declares (other columns are not sent).
    const declared = new Set(template?.variables.map((v) => v.name) ?? [])
    const list = parsed.recipients.map(({ chatId, variables = {} }) => {
      const own = Object.entries(variables).filter(([k]) => declared.has(k))
      return own.length ? { chatId, variables: Object.fromEntries(own) } : { chatId }
    })
    return { base, list }
  }

  /** The API's field paths, where this form shows them: a recipient's at its line. @param {FieldError[]} errors */
  function placeable(errors) {
    const parsed = recipients.parsed()
    const offset = sending?.offset() ?? 0
    return plainFields(errors).map((e) => {
      const m = /^recipients\.(\d+)(?:\.(.+))?$/.exec(e.path)
      if (m) {
        const line = parsed.lines[offset + Number(m[1])]
        const what = m[2]?.replace(/^variables\./, "")
        return { path: "recipients", message: `Line ${fmt(line ?? 0)}: ${what ? `${what}: ` : ""}${e.message}` }
      }
      if (e.path !== "") return e
      return { path: picker?.selected() ? "templateId" : "text", message: e.message }
    })
  }

  async function send() {
    const run = /** @type {NonNullable<typeof sending>} */ (sending)
    const total = recipients.parsed().recipients.length
    lock(true)
    retryBox.hidden = true
    progressBox.hidden = false
    progress.max = total
    const shown = (/** @type {number} */ n) => {
      progress.value = n
      progressText.textContent = `${fmt(n)} of ${plural(total, "recipient")} handed over${run.chunks > 1 ? ` (in ${run.chunks} parts)` : ""}`
    }
    shown(run.offset())
    submit.textContent = "Sending…"
    try {
      const broadcast = await run.run(shown)
      toast(broadcast.status === "scheduled" ? `“${broadcast.name}” is scheduled` : `“${broadcast.name}” started`)
      if (view.isConnected) location.hash = broadcastsHref(botId, broadcast.id)
    } catch (err) {
      failed(err)
    } finally {
      submit.textContent = schedule.value ? "Schedule broadcast" : "Start broadcast"
    }
  }

  /** @param {unknown} err */
  function failed(err) {
    const draft = sending?.broadcast() ?? null
    const placed = err instanceof ApiError ? showErrors(fields, placeable(err.fields)) : 0
    topError.hidden = false
    topError.textContent =
      placed > 0 ? `Not sent: fix the highlighted ${placed === 1 ? "field" : "fields"}.` : `Not sent: ${errorText(err)}`
    if (!draft) {
      // Nothing was created: the form is the user's again.
      sending = null
      progressBox.hidden = true
      lock(false)
      if (placed === 0) topError.focus()
      return
    }
    // The first chunks are in a draft that waits for the rest: go on from where it stopped, or drop it.
    const done = sending?.offset() ?? 0
    retryBox.hidden = false
    mount(
      retryBox,
      h(
        "p",
        {},
        `The draft “${draft.name}” holds the first ${plural(done, "recipient")}; the rest were not added. It starts only when they are.`,
      ),
      h(
        "div",
        { class: "row-actions" },
        h("button", { type: "button", class: "primary", onclick: () => void send() }, "Try the rest again"),
        h("button", { type: "button", class: "danger", onclick: () => void dropDraft(draft) }, "Cancel the draft"),
      ),
    )
    topError.focus()
  }

  /** @param {import("./api.js").Broadcast} draft */
  async function dropDraft(draft) {
    const ok = await confirmDialog({
      title: `Cancel the draft “${draft.name}”?`,
      body: "Nothing of it has been sent; it is kept in the list as cancelled.",
      confirm: "Cancel the draft",
      danger: true,
    })
    if (!ok) return
    try {
      await api.controlBroadcast(botId, draft.id, "cancel")
      toast(`“${draft.name}” cancelled`)
      location.hash = broadcastsHref(botId)
    } catch (e) {
      mount(retryBox, errorBox(`Could not cancel the draft: ${errorText(e)}`))
    }
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault()
    if (sending) return
    topError.hidden = true
    showErrors(fields, [])
    const ready = collect()
    if (!ready) return
    sending = chunkedSend(botId, ready.base, ready.list)
    void send()
  })

  append(
    view,
    crumbs,
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        h("h1", { id: "broadcast-form-title" }, "New broadcast"),
        h(
          "p",
          { class: "sub" },
          `One message to many chats of ${bot.name}, at the platform's pace, behind live replies.`,
        ),
      ),
    ),
    form,
  )
  return undefined
}
