// @ts-check
// The Analytics time range: a preset (24 hours, 7 days, 30 days) counted back from now, or a custom from/to; its
// granularity by the API's rules; and the picker (radio buttons, and two datetime-local inputs for a custom range).
import { h } from "./ui.js"

/** @typedef {"24h" | "7d" | "30d" | "custom"} RangeKey */
/** A choice in the picker: a preset, or a custom range with its ends. @typedef {{ key: RangeKey, from?: Date, to?: Date }} RangeChoice */
/** A range to ask for. @typedef {{ key: RangeKey, from: Date, to: Date, granularity: "hour" | "day" }} Range */

const HOUR = 3_600_000
const DAY = 24 * HOUR
/** @type {Record<Exclude<RangeKey, "custom">, { label: string, ms: number }>} */
export const PRESETS = {
  "24h": { label: "24 hours", ms: DAY },
  "7d": { label: "7 days", ms: 7 * DAY },
  "30d": { label: "30 days", ms: 30 * DAY },
}
/** The API keeps hourly points for 14 days; a custom range that starts this close to the limit asks for days. */
const HOURS_KEPT = 14 * DAY - HOUR

/**
 * Hourly points for ranges up to 7 days that start within the last 14 (the API refuses hourly ranges starting earlier,
 * or longer than 31 days), daily points beyond.
 * @param {Date} from @param {Date} to @param {number} [now]
 * @returns {"hour" | "day"}
 */
export function granularityFor(from, to, now = Date.now()) {
  return to.getTime() - from.getTime() <= 7 * DAY && from.getTime() >= now - HOURS_KEPT ? "hour" : "day"
}

/** The range a choice means now (a preset ends now). @param {RangeChoice} choice @returns {Range} */
export function resolve(choice) {
  const now = Date.now()
  const preset = choice.key === "custom" ? null : PRESETS[choice.key]
  const to = preset || !choice.to ? new Date(now) : choice.to
  const from = preset || !choice.from ? new Date(to.getTime() - (preset?.ms ?? DAY)) : choice.from
  return { key: choice.key, from, to, granularity: granularityFor(from, to, now) }
}

/** The API query for a range (and one bot). @param {Range} range @param {string} [botId] */
export function rangeQuery(range, botId) {
  const q = new URLSearchParams({
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    granularity: range.granularity,
  })
  if (botId) q.set("botId", botId)
  return q
}

/** A choice from the page address (`range=7d`, or `range=custom&from=…&to=…`); 24 hours otherwise. @param {URLSearchParams} query @returns {RangeChoice} */
export function choiceFromQuery(query) {
  const key = query.get("range")
  if (key === "7d" || key === "30d") return { key }
  if (key === "custom") {
    const from = new Date(query.get("from") ?? "")
    const to = new Date(query.get("to") ?? "")
    if (!Number.isNaN(from.getTime()) && !Number.isNaN(to.getTime()) && from < to) return { key, from, to }
  }
  return { key: "24h" }
}

/** The page address's query for a choice. @param {RangeChoice} choice */
export function choiceQuery(choice) {
  const q = new URLSearchParams({ range: choice.key })
  if (choice.key === "custom" && choice.from && choice.to) {
    q.set("from", choice.from.toISOString())
    q.set("to", choice.to.toISOString())
  }
  return q
}

/** A date as a datetime-local input's value (local time, to the minute). @param {Date} d */
const localValue = (d) => {
  const p = (/** @type {number} */ n) => String(n).padStart(2, "0")
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`
}

/**
 * The picker. A preset applies when picked; "Custom" shows From and To, applied with the Apply button (or Enter).
 * @param {{ prefix: string, initial: RangeChoice, onChange: (choice: RangeChoice) => void }} options
 * @returns {{ element: HTMLFormElement, choice: () => RangeChoice }}
 */
export function rangePicker({ prefix, initial, onChange }) {
  let choice = initial
  const id = (/** @type {string} */ s) => `${prefix}-${s}`
  const from = h("input", { type: "datetime-local", id: id("from"), required: true, "aria-describedby": id("error") })
  const to = h("input", { type: "datetime-local", id: id("to"), required: true, "aria-describedby": id("error") })
  const error = h("p", { class: "field-error", id: id("error") })
  const custom = h(
    "div",
    { class: "an-custom", hidden: initial.key !== "custom" },
    h("div", { class: "an-when" }, h("label", { for: id("from") }, "From"), from),
    h("div", { class: "an-when" }, h("label", { for: id("to") }, "To"), to),
    h("button", { type: "submit", class: "primary" }, "Apply"),
    error,
  )

  /** @param {RangeKey} key @param {string} label */
  const option = (key, label) =>
    h(
      "label",
      { class: "an-option" },
      h("input", {
        type: "radio",
        name: id("range"),
        value: key,
        checked: key === initial.key,
        onchange: () => pick(key),
      }),
      h("span", {}, label),
    )

  /** @param {string} message @param {HTMLInputElement | null} field */
  function invalid(message, field) {
    error.textContent = message
    for (const input of [from, to])
      if (input === field) input.setAttribute("aria-invalid", "true")
      else input.removeAttribute("aria-invalid")
    field?.focus()
  }

  /** @param {RangeKey} key */
  function pick(key) {
    custom.hidden = key !== "custom"
    invalid("", null)
    if (key !== "custom") {
      choice = { key }
      onChange(choice)
      return
    }
    // Custom starts from the range on screen; nothing is fetched until Apply.
    const shown = resolve(choice)
    from.value = localValue(shown.from)
    to.value = localValue(shown.to)
    from.focus()
  }

  function apply() {
    const start = new Date(from.value)
    const end = new Date(to.value)
    const now = Date.now()
    if (Number.isNaN(start.getTime())) return invalid("Enter when the range starts.", from)
    if (Number.isNaN(end.getTime())) return invalid("Enter when the range ends.", to)
    if (start.getTime() >= now) return invalid("The range must start in the past.", from)
    if (end <= start) return invalid("The end must be after the start.", to)
    invalid("", null)
    choice = { key: "custom", from: start, to: new Date(Math.min(end.getTime(), now)) }
    onChange(choice)
  }

  if (initial.key === "custom" && initial.from && initial.to) {
    from.value = localValue(initial.from)
    to.value = localValue(initial.to)
  }
  const element = h(
    "form",
    {
      class: "an-range",
      novalidate: true,
      onsubmit: (/** @type {SubmitEvent} */ e) => {
        e.preventDefault()
        apply()
      },
    },
    h(
      "fieldset",
      { class: "an-presets" },
      h("legend", { class: "visually-hidden" }, "Time range"),
      option("24h", PRESETS["24h"].label),
      option("7d", PRESETS["7d"].label),
      option("30d", PRESETS["30d"].label),
      option("custom", "Custom"),
    ),
    custom,
  )
  return { element, choice: () => choice }
}
