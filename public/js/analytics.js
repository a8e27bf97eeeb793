// @ts-check
// Analytics: traffic over a time range, per platform side by side (a chart per metric, a line per platform), totals per
// platform, the busiest bots, and a CSV of what is shown; and the same charts for one bot on its page.

import { chartGrid, colorAt, metricCharts } from "./analytics-charts.js"
import { csvLink } from "./analytics-csv.js"
import { choiceFromQuery, choiceQuery, PRESETS, rangePicker, rangeQuery, resolve } from "./analytics-range.js"
import { botTable, hasTraffic, platformTable, summaryCards } from "./analytics-tables.js"
import { api } from "./api.js"
import { loadPlatforms, platformName } from "./platforms.js"
import { append, dateTime, emptyState, errorText, h, mount } from "./ui.js"

/** @typedef {import("./api.js").Analytics} Analytics */
/** @typedef {import("./analytics-range.js").RangeChoice} RangeChoice */
/** @typedef {import("./analytics-range.js").Range} Range */

const LAG_NOTE = "Numbers lag live traffic by up to 30 s."

/**
 * The Analytics page (#/analytics?range=…). The range lives in the address, replaced without a reload as it changes.
 * @param {HTMLElement} view
 * @param {import("./main.js").Route} route
 * @returns {Promise<() => void>}
 */
export async function renderAnalytics(view, route) {
  await loadPlatforms() // the platforms' names
  const panel = analyticsPanel({
    prefix: "an",
    initial: choiceFromQuery(route.query),
    onChoice: (choice) => history.replaceState(history.state, "", `#/analytics?${choiceQuery(choice)}`),
  })
  append(
    view,
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        h("h1", {}, "Analytics"),
        h("p", { class: "sub" }, "Traffic, success, latency, 429s and failovers across your platforms and bots."),
      ),
    ),
    panel.element,
  )
  await panel.load()
  return panel.stop
}

/**
 * The same charts for one bot, as a section appended to its page; loads on its own (the page does not wait for it).
 * @param {HTMLElement} view
 * @param {string} botId
 * @returns {{ stop(): void }}
 */
export function botAnalytics(view, botId) {
  const panel = analyticsPanel({ prefix: "bot-an", initial: { key: "24h" }, botId })
  view.append(
    h(
      "section",
      { class: "panel an-section", "aria-labelledby": "bot-an-title" },
      h(
        "div",
        { class: "panel-head" },
        h("h2", { id: "bot-an-title" }, "Analytics"),
        h("a", { href: "#/analytics" }, "All platforms and bots"),
      ),
      panel.element,
    ),
  )
  void panel.load()
  return { stop: panel.stop }
}

/**
 * The range picker, Refresh, the CSV link, and the numbers for the range, with their loading, empty and error states.
 * @param {{ prefix: string, initial: RangeChoice, botId?: string, onChoice?: (choice: RangeChoice) => void }} options
 * @returns {{ element: HTMLElement, load(): Promise<void>, stop(): void }}
 */
function analyticsPanel({ prefix, initial, botId, onChoice }) {
  const by = botId ? "bot" : "platforms"
  const picker = rangePicker({
    prefix,
    initial,
    onChange: (choice) => {
      onChoice?.(choice)
      void load()
    },
  })
  const csv = csvLink()
  const refresh = h("button", { type: "button", class: "ghost", onclick: () => void load() }, "Refresh")
  const shown = h("p", { class: "an-shown", id: `${prefix}-shown` })
  // Screen readers hear when new numbers are in (the body itself is not live: it is large).
  const said = h("p", { class: "visually-hidden", role: "status" })
  const body = h("div", { class: "an-body" })
  /** @type {{ destroy(): void } | null} */
  let charts = null
  let seq = 0

  function clear() {
    charts?.destroy()
    charts = null
  }

  async function load() {
    const mine = ++seq
    const range = resolve(picker.choice())
    body.setAttribute("aria-busy", "true")
    shown.textContent = `${describeRange(range)} · loading…`
    try {
      const data = await api.analytics(rangeQuery(range, botId))
      if (mine !== seq) return
      draw(data, range)
    } catch (e) {
      if (mine !== seq) return
      failed(e)
    } finally {
      if (mine === seq) body.removeAttribute("aria-busy")
    }
  }

  /** @param {Analytics} data @param {Range} range */
  function draw(data, range) {
    clear()
    const groups = botId
      ? data.bots.map((b, i) => ({ label: b.name, color: colorAt(i), series: b.series }))
      : data.platforms.map((p, i) => ({ label: platformName(p.platform), color: colorAt(i), series: p.series }))
    const empty = groups.length === 0 || !hasTraffic(data.totals)
    const granularity = data.granularity === "day" ? "by day (UTC)" : "by hour"
    shown.textContent = `${dateTime(data.from)} – ${dateTime(data.to)} · ${granularity}`
    shown.dataset.granularity = data.granularity
    said.textContent = empty ? "No traffic in this range" : `Showing ${describeRange(range)}, ${granularity}`
    csv.update(empty ? null : data, by)
    if (empty) {
      mount(
        body,
        h(
          "div",
          { class: botId ? "an-empty" : "panel an-empty" },
          emptyState(
            "No traffic in this range",
            `${botId ? "This bot did not receive or send" : "None of your bots received or sent"} anything in this ` +
              "range. Pick another range; messages from the last 30 seconds may not be counted yet.",
          ),
        ),
      )
      return
    }
    const grid = chartGrid(metricCharts(groups), data.points, data.granularity, "h3", prefix)
    charts = grid
    mount(
      body,
      summaryCards(data.totals),
      botId
        ? grid.element
        : h(
            "section",
            { class: "panel", "aria-labelledby": `${prefix}-charts-title` },
            h("h2", { id: `${prefix}-charts-title` }, "By platform"),
            grid.element,
          ),
      botId ? null : platformTable(data, prefix),
      botId || data.bots.length === 0 ? null : botTable(data, prefix),
    )
  }

  /** @param {unknown} e */
  function failed(e) {
    clear()
    csv.update(null, by)
    shown.textContent = "Could not load"
    said.textContent = ""
    mount(
      body,
      h(
        "div",
        { class: "error-box an-error", role: "alert" },
        h("strong", {}, "The numbers could not load. "),
        h("span", { class: "an-error-text" }, errorText(e)),
        h(
          "div",
          { class: "an-error-actions" },
          h("button", { type: "button", onclick: () => void load() }, "Try again"),
        ),
      ),
    )
  }

  return {
    element: h(
      "div",
      { class: "an" },
      h("div", { class: "an-controls" }, picker.element, h("div", { class: "row-actions" }, refresh, csv.element)),
      h("div", { class: "an-meta" }, shown, h("p", { class: "an-lag" }, LAG_NOTE), said),
      body,
    ),
    load,
    stop() {
      seq++ // an answer still on its way is dropped
      clear()
      csv.revoke()
    },
  }
}

/** @param {Range} range */
const describeRange = (range) =>
  range.key === "custom"
    ? `${dateTime(range.from.toISOString())} – ${dateTime(range.to.toISOString())}`
    : `the last ${PRESETS[range.key].label}`
