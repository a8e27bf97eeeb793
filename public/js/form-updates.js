// @ts-check
// The bot form's "How updates arrive" section: webhooks, or long polling where GET /api/platforms says it can poll.

import { field } from "./form-fields.js"
import { h } from "./ui.js"

/** @typedef {import("./api-types").UpdatesMode} UpdatesMode */
/** @typedef {import("./api.js").PlatformSpec} PlatformSpec */
/** @typedef {import("./form-fields.js").Fields} Fields */
/**
 * The section, `showFor` to call whenever the platform changes, and `collect` for the body's `updates` (if changed).
 * @typedef {{
 *   section: HTMLFieldSetElement,
 *   showFor: (spec: PlatformSpec | undefined) => void,
 *   collect: () => UpdatesMode | undefined,
 * }} UpdatesPart
 */

const MODES = /** @type {const} */ ([
  [
    "webhook",
    "Webhook (default)",
    "Each update is pushed to Switchboard's webhook URL as it happens: the fastest way.",
  ],
  ["polling", "Long polling", "Switchboard asks for new updates itself: for a bot whose webhook must stay unset."],
])

/**
 * Webhooks (the platform calls Switchboard), or long polling from Switchboard (for a bot that must not receive
 * webhooks). The section shows only for a platform that can poll, or for a bot that already polls.
 * @param {Fields} fields  where `updates` (under the choice) and `updates.intervalMs` register their error slots
 * @param {UpdatesMode | undefined} existing  the bot's current mode; undefined for a new bot
 * @returns {UpdatesPart}
 */
export function updatesSection(fields, existing) {
  const updates = existing ?? { mode: "webhook" }
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
  for (const [value, label, hint] of MODES) {
    const input = h("input", {
      type: "radio",
      name: "updates-mode",
      value,
      checked: updates.mode === value,
      onchange: draw,
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
    fields,
    "updates.intervalMs",
    "Pause between polls (ms)",
    pollInterval,
    "0 to 60000; each poll itself waits up to 25 s for news.",
  )
  const chosenMode = () => (pollingInput.checked ? "polling" : "webhook")
  const section = h(
    "fieldset",
    { class: "section" },
    h("legend", { id: "updates-legend" }, "How updates arrive"),
    modeChoices,
    modeError,
    intervalField,
  )
  let canPoll = false
  function draw() {
    section.hidden = !canPoll && chosenMode() !== "polling"
    intervalField.hidden = chosenMode() !== "polling"
  }

  /** Offers the choice for the selected platform (the form calls it on every platform change). */
  function showFor(/** @type {PlatformSpec | undefined} */ spec) {
    canPoll = spec?.capabilities.polling ?? false
    draw()
  }

  /** The mode to send, or undefined when unchanged (a new bot uses webhooks unless told otherwise). */
  function collect() {
    // A number as typed; anything else goes as is and the API's message lands under the field.
    const interval = pollInterval.value.trim() === "" ? 1000 : Number(pollInterval.value)
    /** @type {UpdatesMode} */
    const wanted = chosenMode() === "polling" ? { mode: "polling", intervalMs: interval } : { mode: "webhook" }
    // Only a change is sent: switching modes sets the bot up again.
    const same = updates.mode === wanted.mode && (updates.mode !== "polling" || updates.intervalMs === interval)
    return same ? undefined : wanted
  }

  return { section, showFor, collect }
}
