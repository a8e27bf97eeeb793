// @ts-check
// Business overview: bots by status and last-24-hour traffic per platform, failure rate and queue depth.
import { api, session } from "./api.js"
import { loadPlatforms, platformBadge } from "./platforms.js"
import { append, emptyState, fmt, go, h, pct, plural } from "./ui.js"

/** @typedef {import("./api.js").PlatformTotals} PlatformTotals */
/** @typedef {import("./api.js").Totals} Totals */

/**
 * @param {HTMLElement} view
 * @returns {Promise<undefined>}
 */
export async function renderOverview(view) {
  // The platform list gives the badges their names.
  const [{ platforms, totals }] = await Promise.all([api.overview(), loadPlatforms()])
  const canWrite = session.canWrite()

  /** @param {string} label @param {string} value @param {string} [note] @param {string} [tone] */
  const stat = (label, value, note = "", tone = "") =>
    h(
      "div",
      { class: `stat ${tone}` },
      h("div", { class: "label" }, label),
      h("div", { class: "value" }, value),
      note ? h("div", { class: "note" }, note) : null,
    )
  const failing = (totals.failureRate ?? 0) >= 0.05

  append(
    view,
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        h("h1", {}, "Overview"),
        h(
          "p",
          { class: "sub" },
          "Your business across platforms, last 24 hours. Traffic lags live activity by up to 15 s.",
        ),
      ),
      h("button", { type: "button", class: "ghost", onclick: () => go("#/overview") }, "Refresh"),
    ),
    h(
      "div",
      { class: "cards six" },
      stat("Bots", fmt(totals.bots), statusLine(totals)),
      stat("Inbound", fmt(totals.inbound24h), "messages received"),
      stat("Outbound", fmt(totals.outbound24h), "messages sent"),
      stat("Failed", fmt(totals.failed24h), "sends that gave up", totals.failed24h > 0 ? "bad" : ""),
      stat("Failure rate", pct(totals.failureRate), "failed / all sends", failing ? "bad" : ""),
      stat("Queue depth", fmt(totals.queueDepth), "waiting to be sent"),
    ),
    platforms.length === 0
      ? h(
          "div",
          { class: "panel" },
          emptyState(
            "Nothing to show yet",
            canWrite
              ? "Add a bot and its platform, traffic and failures appear here."
              : "When an owner or admin adds a bot, its platform and traffic appear here.",
            canWrite ? h("a", { class: "button primary", href: "#/new" }, "+ Add a bot") : null,
          ),
        )
      : h(
          "section",
          { class: "panel table-wrap", "aria-labelledby": "per-platform" },
          h("h2", { id: "per-platform", class: "table-title" }, "Per platform"),
          h(
            "table",
            { class: "platforms" },
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                h("th", { scope: "col" }, "Platform"),
                h("th", { scope: "col" }, "Bots by status"),
                ...["In 24 h", "Out 24 h", "Failed 24 h", "Failure rate", "Queue"].map((t) =>
                  h("th", { class: "num", scope: "col" }, t),
                ),
              ),
            ),
            h("tbody", {}, ...platforms.map(platformRow)),
          ),
        ),
  )
  return undefined
}

/** @param {Totals} t */
const statusLine = (t) => [`${fmt(t.active)} active`, `${fmt(t.stopped)} stopped`, `${fmt(t.error)} error`].join(" · ")

/** @param {PlatformTotals} p */
function platformRow(p) {
  const bar = h("div", { class: "status-bar", "aria-hidden": "true" })
  for (const [key, n] of /** @type {const} */ ([
    ["active", p.active],
    ["stopped", p.stopped],
    ["error", p.error],
  ]))
    if (n > 0) bar.append(h("span", { class: key, style: `flex-grow:${n}` }))
  const failing = (p.failureRate ?? 0) >= 0.05
  return h(
    "tr",
    { "data-platform": p.platform },
    h(
      "td",
      { class: "c-platform" },
      h(
        "a",
        { href: `#/bots?platform=${encodeURIComponent(p.platform)}`, title: "List these bots" },
        platformBadge(p.platform),
      ),
    ),
    h(
      "td",
      { class: "c-status" },
      h(
        "div",
        { class: "status-summary" },
        h("strong", {}, plural(p.bots, "bot")),
        h("span", { class: "muted" }, statusLine(p)),
      ),
      bar,
    ),
    h("td", { class: "num", "data-label": "In 24 h" }, fmt(p.inbound24h)),
    h("td", { class: "num", "data-label": "Out 24 h" }, fmt(p.outbound24h)),
    h("td", { class: `num${p.failed24h > 0 ? " bad-text" : ""}`, "data-label": "Failed 24 h" }, fmt(p.failed24h)),
    h("td", { class: `num${failing ? " bad-text" : ""}`, "data-label": "Failure rate" }, pct(p.failureRate)),
    h("td", { class: "num", "data-label": "Queue" }, fmt(p.queueDepth)),
  )
}
