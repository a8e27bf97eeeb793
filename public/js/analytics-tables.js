// @ts-check
// The Analytics numbers as text: totals as cards, a row per platform (with the whole business in the footer) and the
// busiest bots, each linking to its page.
import { fmtMs } from "./analytics-charts.js"
import { platformBadge } from "./platforms.js"
import { fmt, h, pct, plural } from "./ui.js"

/** @typedef {import("./api.js").Analytics} Analytics */
/** @typedef {import("./api.js").Summary} Summary */

/** p50 / p95 in one cell. @param {{ p50: number, p95: number } | null} p */
export const percentiles = (p) => (p ? `${fmtMs(p.p50)} / ${fmtMs(p.p95)}` : "—")

/** Whether anything happened (a send that failed or was limited counts). @param {Summary} t */
export const hasTraffic = (t) => t.inbound + t.outbound + t.failed + t.rateLimited + t.failovers > 0

/** @param {string} key @param {string} label @param {string} value @param {string} [note] @param {string} [tone] */
const stat = (key, label, value, note = "", tone = "") =>
  h(
    "div",
    { class: `stat ${tone}`, "data-stat": key },
    h("div", { class: "label" }, label),
    h("div", { class: "value" }, value),
    note ? h("div", { class: "note" }, note) : null,
  )

/** @param {{ p95: number } | null} p @param {string} what */
const p95 = (p, what) => (p ? `p95 ${fmtMs(p.p95)} · ${what}` : `nothing sent · ${what}`)

/** A low success rate reads as a problem. @param {number | null} rate */
const poor = (rate) => rate !== null && rate < 0.95

/** @param {Summary} t */
export function summaryCards(t) {
  return h(
    "div",
    { class: "cards an-cards" },
    stat("inbound", "Inbound", fmt(t.inbound), "messages received"),
    stat("outbound", "Outbound", fmt(t.outbound), "messages sent"),
    stat(
      "success",
      "Success rate",
      pct(t.successRate),
      t.successRate === null ? "nothing sent" : `${plural(t.failed, "send")} failed`,
      poor(t.successRate) ? "bad" : "",
    ),
    stat("send-latency", "Send latency p50", fmtMs(t.sendLatencyMs?.p50), p95(t.sendLatencyMs, "per platform call")),
    stat(
      "reply-latency",
      "Reply latency p50",
      fmtMs(t.replyLatencyMs?.p50),
      p95(t.replyLatencyMs, "received to replied"),
    ),
    stat("rate-limited", "Rate limited", fmt(t.rateLimited), "429 answers", t.rateLimited > 0 ? "warn" : ""),
    stat("failovers", "Failovers", fmt(t.failovers), "sends moved to another bot"),
  )
}

/** The columns both tables show after their first ones: [key, header, cell]. */
const COLUMNS = /** @type {const} */ ([
  ["inbound", "Inbound", (/** @type {Summary} */ t) => fmt(t.inbound)],
  ["outbound", "Outbound", (/** @type {Summary} */ t) => fmt(t.outbound)],
  ["failed", "Failed", (/** @type {Summary} */ t) => fmt(t.failed)],
  ["success", "Success rate", (/** @type {Summary} */ t) => pct(t.successRate)],
  ["send-latency", "Send p50 / p95", (/** @type {Summary} */ t) => percentiles(t.sendLatencyMs)],
  ["reply-latency", "Reply p50 / p95", (/** @type {Summary} */ t) => percentiles(t.replyLatencyMs)],
  ["rate-limited", "429s", (/** @type {Summary} */ t) => fmt(t.rateLimited)],
  ["failovers", "Failovers", (/** @type {Summary} */ t) => fmt(t.failovers)],
])

/** @param {...string} first */
const head = (...first) =>
  h(
    "thead",
    {},
    h(
      "tr",
      {},
      ...first.map((t) => h("th", { scope: "col" }, t)),
      ...COLUMNS.map(([key, label]) => h("th", { scope: "col", class: "num", "data-col": key }, label)),
    ),
  )

/** @param {Summary} t */
const cells = (t) =>
  COLUMNS.map(([key, label, cell]) =>
    h(
      "td",
      {
        class: `num${(key === "failed" && t.failed > 0) || (key === "success" && poor(t.successRate)) ? " bad-text" : ""}`,
        "data-col": key,
        "data-label": label,
      },
      cell(t),
    ),
  )

/** A table that scrolls sideways on narrow screens (focusable, so the keyboard can scroll it). @param {string} label @param {HTMLTableElement} table */
const scroller = (label, table) =>
  h("div", { class: "an-scroll", tabindex: 0, role: "region", "aria-label": label }, table)

/** @param {Analytics} data @param {string} prefix */
export function platformTable(data, prefix) {
  const id = `${prefix}-platforms-title`
  return h(
    "section",
    { class: "panel table-wrap an-table", "aria-labelledby": id },
    h("h2", { id, class: "table-title" }, "Totals per platform"),
    scroller(
      "Totals per platform",
      h(
        "table",
        { class: "an-platforms" },
        head("Platform"),
        h(
          "tbody",
          {},
          ...data.platforms.map((p) =>
            h(
              "tr",
              { "data-platform": p.platform },
              h("th", { scope: "row" }, platformBadge(p.platform)),
              ...cells(p.totals),
            ),
          ),
        ),
        h(
          "tfoot",
          {},
          h("tr", { "data-platform": "" }, h("th", { scope: "row" }, "All platforms"), ...cells(data.totals)),
        ),
      ),
    ),
  )
}

/** @param {Analytics} data @param {string} prefix */
export function botTable(data, prefix) {
  const id = `${prefix}-bots-title`
  const href = (/** @type {string} */ botId) => `#/bots/${encodeURIComponent(botId)}`
  return h(
    "section",
    { class: "panel table-wrap an-table", "aria-labelledby": id },
    h("h2", { id, class: "table-title" }, "Busiest bots"),
    h(
      "p",
      { class: "sub an-table-sub" },
      data.bots.length < data.botsTotal
        ? `The ${fmt(data.bots.length)} busiest of ${plural(data.botsTotal, "bot")} with traffic in this range.`
        : `${plural(data.botsTotal, "bot")} with traffic in this range, busiest first.`,
    ),
    scroller(
      "Busiest bots",
      h(
        "table",
        { class: "an-bots" },
        head("Bot", "Platform"),
        h(
          "tbody",
          {},
          ...data.bots.map((b) =>
            h(
              "tr",
              {
                "data-bot": b.botId,
                // The whole row opens the bot; the name is the link keyboards and screen readers use.
                onclick: (/** @type {MouseEvent} */ e) => {
                  if (!(e.target instanceof Element && e.target.closest("a"))) location.hash = href(b.botId)
                },
              },
              h("th", { scope: "row", class: "c-name" }, h("a", { href: href(b.botId) }, b.name)),
              h("td", {}, platformBadge(b.platform)),
              ...cells(b.totals),
            ),
          ),
        ),
      ),
    ),
  )
}
