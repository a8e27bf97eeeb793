// @ts-check
// The Analytics charts (uPlot, vendored in /vendor): one chart per metric (inbound, outbound, success rate, send and
// reply latency, 429s, failovers), one line per platform (or for the one bot), at the container's width, the cursor
// shared across the charts. Each chart says its numbers in words for screen readers (the canvas is hidden from them).
import uPlot from "../vendor/uplot.esm.js"
import { fmt, h } from "./ui.js"

/** @typedef {import("./api.js").AnalyticsPoint} AnalyticsPoint */
/** @typedef {"count" | "percent" | "ms"} Kind */
/** A line: its name, colour, dash pattern, and a value per point (null: nothing to measure). @typedef {{ label: string, color: string, dash?: number[], values: (number | null)[] }} Line */
/** @typedef {{ key: string, title: string, note: string, kind: Kind, lines: Line[] }} ChartSpec */
/** What one line of each chart follows: a platform or a bot, its colour and its points. @typedef {{ label: string, color: string, series: AnalyticsPoint[] }} Group */

const HEIGHT = 200
/** Distinct on white, in the order platforms are listed; the first is the dashboard's brand colour. */
const PALETTE = ["#4f46e5", "#10b981", "#f59e0b", "#d92d20", "#0ea5e9", "#a855f7", "#14b8a6", "#db2777", "#64748b"]
const SYNC_KEY = "switchboard-analytics"

/** @param {number} i */
export const colorAt = (i) => PALETTE[i % PALETTE.length] ?? "#4f46e5"

/** A duration: "850 ms", "1.2 s". @param {number | null | undefined} ms */
export const fmtMs = (ms) =>
  ms === null || ms === undefined ? "—" : ms < 1000 ? `${fmt(Math.round(ms))} ms` : `${(ms / 1000).toFixed(1)} s`

/** @param {Kind} kind @param {number | null | undefined} v */
function format(kind, v) {
  if (v === null || v === undefined) return "—"
  if (kind === "percent") return `${Number(v.toFixed(1))}%`
  if (kind === "ms") return fmtMs(v)
  return fmt(v)
}

/**
 * The charts for these groups: each metric with a line per group (latency: p50 solid, p95 dashed).
 * @param {Group[]} groups
 * @returns {ChartSpec[]}
 */
export function metricCharts(groups) {
  /** @param {(p: AnalyticsPoint) => number | null} pick @param {string} [suffix] @param {number[]} [dash] */
  const lines = (pick, suffix = "", dash) =>
    groups.map((g) => ({ label: `${g.label}${suffix}`, color: g.color, dash, values: g.series.map(pick) }))
  /** @param {(p: AnalyticsPoint) => { p50: number, p95: number } | null} pick */
  const latency = (pick) =>
    groups.flatMap((g) => [
      { label: `${g.label} p50`, color: g.color, values: g.series.map((p) => pick(p)?.p50 ?? null) },
      { label: `${g.label} p95`, color: g.color, dash: [5, 4], values: g.series.map((p) => pick(p)?.p95 ?? null) },
    ])
  return [
    {
      key: "inbound",
      title: "Inbound messages",
      note: "Messages received",
      kind: "count",
      lines: lines((p) => p.inbound),
    },
    {
      key: "outbound",
      title: "Outbound messages",
      note: "Messages sent",
      kind: "count",
      lines: lines((p) => p.outbound),
    },
    {
      key: "success",
      title: "Success rate",
      note: "Sent / (sent + failed); a gap where nothing was sent",
      kind: "percent",
      lines: lines((p) => (p.successRate === null ? null : p.successRate * 100)),
    },
    {
      key: "send-latency",
      title: "Send latency",
      note: "Platform API call per send, p50 solid, p95 dashed",
      kind: "ms",
      lines: latency((p) => p.sendLatencyMs),
    },
    {
      key: "reply-latency",
      title: "Reply latency",
      note: "Message received to its reply sent, p50 solid, p95 dashed",
      kind: "ms",
      lines: latency((p) => p.replyLatencyMs),
    },
    {
      key: "rate-limited",
      title: "Rate limited (429)",
      note: "Sends the platform answered 429",
      kind: "count",
      lines: lines((p) => p.rateLimited),
    },
    {
      key: "failovers",
      title: "Failovers",
      note: "Sends moved to another bot",
      kind: "count",
      lines: lines((p) => p.failovers),
    },
  ]
}

/** Steps for the y axis: whole numbers for counts, 10s for percentages, 1-2-5 for milliseconds. @param {Kind} kind */
function increments(kind) {
  if (kind === "percent") return [10, 20, 25, 50]
  const out = []
  for (let p = kind === "count" ? 1 : 0.1; p < 1e10; p *= 10) out.push(p, 2 * p, 5 * p)
  return out
}

/**
 * uPlot's point filter: nothing to add where it draws every point; otherwise the values with no neighbour to draw a
 * line to.
 * @param {(number | null)[]} values
 * @returns {(u: uPlot, seriesIdx: number, show: boolean) => number[] | null}
 */
function isolatedPoints(values) {
  const known = (/** @type {number} */ i) => values[i] !== null && values[i] !== undefined
  const lone = values.flatMap((_, i) => (known(i) && !known(i - 1) && !known(i + 1) ? [i] : []))
  return (_u, _i, show) => (show || lone.length === 0 ? null : lone)
}

/** What a chart shows, in words. @param {ChartSpec} spec */
function describe(spec) {
  const parts = spec.lines.map((line) => {
    const known = /** @type {number[]} */ (line.values.filter((v) => v !== null))
    if (known.length === 0) return `${line.label}: no data`
    if (spec.kind === "count") return `${line.label}: ${fmt(known.reduce((a, b) => a + b, 0))} in total`
    return `${line.label}: from ${format(spec.kind, Math.min(...known))} to ${format(spec.kind, Math.max(...known))}`
  })
  return `${spec.title}. ${parts.join("; ")}.`
}

/**
 * @param {ChartSpec} spec @param {number[]} xs @param {"hour" | "day"} granularity @param {number} width
 * @returns {import("../vendor/uplot.esm.js").default.Options}
 */
function options(spec, xs, granularity, width) {
  const kind = spec.kind
  const axis = { stroke: "#667085", grid: { stroke: "#eaecf0", width: 1 }, ticks: { stroke: "#d0d5dd", width: 1 } }
  return {
    width,
    height: HEIGHT,
    // Days are UTC days (the API's buckets); hours show in local time.
    tzDate: granularity === "day" ? (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC") : (ts) => new Date(ts * 1000),
    cursor: { sync: { key: SYNC_KEY }, y: false, drag: { x: false, y: false } },
    legend: { live: true },
    scales: {
      x: { time: true, range: xs.length === 1 ? (_u, min) => [min - 1800, min + 1800] : undefined },
      y: {
        range: (_u, _min, max) => {
          if (kind === "percent") return [0, 100]
          const top = Number.isFinite(max) && max > 0 ? max : 1
          return [0, kind === "count" ? Math.max(1, Math.ceil(top * 1.15)) : top * 1.15]
        },
      },
    },
    axes: [
      axis,
      {
        ...axis,
        size: kind === "count" ? 50 : 64,
        incrs: increments(kind),
        values: (_u, splits) => splits.map((v) => format(kind, v)),
      },
    ],
    series: [
      { label: "Time", value: granularity === "day" ? "{YYYY}-{MM}-{DD}" : "{YYYY}-{MM}-{DD} {HH}:{mm}" },
      ...spec.lines.map((line) => ({
        label: line.label,
        stroke: line.color,
        width: 2,
        dash: line.dash,
        spanGaps: false,
        // Points show when there is room; a value between gaps (one hour with sends) always shows, else it has no line.
        points: { size: 5, fill: line.color, filter: isolatedPoints(line.values) },
        value: (/** @type {uPlot} */ _u, /** @type {number | null} */ v) => format(kind, v),
      })),
    ],
  }
}

/**
 * Draws the charts into a grid of figures under headings of `level`.
 * @param {ChartSpec[]} specs
 * @param {string[]} points  each point's start, ISO
 * @param {"hour" | "day"} granularity
 * @param {"h2" | "h3"} level
 * @param {string} prefix  for the figures' ids
 * @returns {{ element: HTMLElement, destroy(): void }}
 */
export function chartGrid(specs, points, granularity, level, prefix) {
  const xs = points.map((p) => Date.parse(p) / 1000)
  /** @type {Map<Element, uPlot>} */
  const charts = new Map()
  const figures = specs.map((spec) => {
    const titleId = `${prefix}-${spec.key}-title`
    const plot = h("div", { class: "an-plot", "aria-hidden": "true" })
    const figure = h(
      "figure",
      { class: "an-figure", "aria-labelledby": titleId, "data-chart": spec.key },
      h(level, { id: titleId, class: "an-chart-title" }, spec.title),
      h("p", { class: "an-chart-note" }, spec.note),
      h("p", { class: "visually-hidden" }, describe(spec)),
      plot,
    )
    const data = /** @type {uPlot.AlignedData} */ ([xs, ...spec.lines.map((l) => l.values)])
    charts.set(plot, new uPlot(options(spec, xs, granularity, 480), data, plot))
    return figure
  })
  // Drawn at the width the grid gives each figure, again whenever it changes (the first call comes once it is shown).
  const resize = new ResizeObserver((entries) => {
    for (const entry of entries) {
      const width = Math.floor(entry.contentRect.width)
      const chart = charts.get(entry.target)
      if (chart && width > 0 && width !== chart.width) chart.setSize({ width, height: HEIGHT })
    }
  })
  for (const plot of charts.keys()) resize.observe(plot)
  return {
    element: h("div", { class: "an-charts" }, ...figures),
    destroy() {
      resize.disconnect()
      for (const chart of charts.values()) chart.destroy()
      charts.clear()
    },
  }
}
