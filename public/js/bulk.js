// @ts-check
// Bulk start/stop/restart/delete: a confirmation, then one public API call per bot (a few in flight at a time) and a
// per-bot result, exactly what an API client would do.
import { api } from "./api.js"
import { platformBadge } from "./platforms.js"
import { confirmDialog, dropped, errorText, h, mount, plural, pool } from "./ui.js"

/** @typedef {import("./api.js").Bot} Bot */
/** @typedef {"start" | "stop" | "restart" | "delete"} BulkAction */
/** @typedef {{ bot: Bot, outcome: "ok" | "warn" | "bad", text: string }} Outcome */

/** Requests in flight during a bulk action: hundreds of bots stay gentle on the API and the platforms. */
const CONCURRENCY = 6
/** Button label, progress verb, past tense. */
export const VERBS = /** @type {Record<BulkAction, [string, string, string]>} */ ({
  start: ["Start", "Starting", "started"],
  stop: ["Stop", "Stopping", "stopped"],
  restart: ["Restart", "Restarting", "restarted"],
  delete: ["Delete", "Deleting", "deleted"],
})

/** @type {Record<BulkAction, string>} */
const CONSEQUENCES = {
  start: "Each bot's webhook is registered with its platform, and messages start flowing again.",
  stop: "Their webhooks are removed; the platforms stop delivering messages until you start them again.",
  restart: "Each bot's webhook is registered again with its platform.",
  delete:
    "Their webhooks are removed from the platforms, and their logs and queues are deleted. This cannot be undone.",
}

/**
 * Asks, runs, and shows the per-bot results in `results` (an aria-live region).
 * @param {BulkAction} action
 * @param {Bot[]} chosen
 * @param {HTMLElement} results
 * @param {() => void} confirmed  called once the user said yes (e.g. to disable the bulk controls)
 * @returns {Promise<string[] | null>} ids of the bots that failed, or null when the user cancelled
 */
export async function runBulk(action, chosen, results, confirmed) {
  if (chosen.length === 0) return null
  const [verb, doing, done] = VERBS[action]
  const ok = await confirmDialog({
    title: `${verb} ${plural(chosen.length, "bot")}?`,
    body: h(
      "div",
      {},
      h("p", {}, CONSEQUENCES[action]),
      h(
        "ul",
        { class: "dialog-list" },
        ...chosen.slice(0, 8).map((b) => h("li", {}, b.name, " ", platformBadge(b.platform))),
        chosen.length > 8 ? h("li", { class: "muted" }, `and ${chosen.length - 8} more`) : null,
      ),
    ),
    confirm: `${verb} ${plural(chosen.length, "bot")}`,
    danger: action === "delete",
  })
  if (!ok) return null
  confirmed()

  const progress = h("span", {}, `${doing} ${plural(chosen.length, "bot")}…`)
  mount(results, h("div", { class: "results-head" }, progress))
  const outcomes = await pool(
    chosen,
    CONCURRENCY,
    (bot) => applyTo(bot, action, done),
    (n) => {
      progress.textContent = `${doing}… ${n} of ${chosen.length} done`
    },
  )
  const failed = outcomes.filter((o) => o.outcome === "bad")
  mount(
    results,
    h(
      "div",
      { class: `results-head ${failed.length ? "has-failures" : "all-ok"}` },
      h(
        "strong",
        {},
        `${verb}: ${outcomes.length - failed.length} of ${plural(outcomes.length, "bot")} ${done}`,
        failed.length ? `, ${failed.length} failed` : "",
      ),
      failed.length ? h("span", { class: "muted" }, "Failed bots stay selected so you can retry.") : null,
      h("button", { type: "button", class: "ghost", onclick: () => mount(results) }, "Dismiss"),
    ),
    h(
      "ul",
      {},
      ...outcomes.map((o) =>
        h(
          "li",
          { class: o.outcome, "data-result": o.bot.id },
          h(
            "span",
            { class: "icon", "aria-hidden": "true" },
            o.outcome === "ok" ? "✓" : o.outcome === "warn" ? "!" : "✕",
          ),
          h("span", { class: "name" }, o.bot.name),
          h("span", { class: "text" }, o.text),
        ),
      ),
    ),
  )
  return failed.map((o) => o.bot.id)
}

/**
 * One bot's part of a bulk action.
 * @param {Bot} bot @param {BulkAction} action @param {string} done
 * @returns {Promise<Outcome>}
 */
async function applyTo(bot, action, done) {
  try {
    if (action === "delete") {
      const { discarded } = await api.deleteBot(bot.id)
      return { bot, outcome: "ok", text: discarded > 0 ? `${done}; ${dropped(discarded)}` : done }
    }
    const { bot: after, result } = await api.control(bot.id, action)
    if (result.ok) return { bot, outcome: "ok", text: after.status === "active" ? "running" : after.status }
    const why = result.error?.message ?? "the platform refused"
    // A stop the platform refused still stops the bot here (its updates are dropped); say so, as a warning.
    return after.status === "stopped"
      ? { bot, outcome: "warn", text: `stopped, but the platform kept its webhook: ${why}` }
      : { bot, outcome: "bad", text: `the platform refused: ${why}` }
  } catch (e) {
    return { bot, outcome: "bad", text: errorText(e) }
  }
}
