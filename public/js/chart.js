// @ts-check
// The last 24 hours of a bot as grouped bars (inbound, outbound, failed) in plain SVG, drawn at the container's real
// pixel width so labels stay readable from phones to wide screens, plus the same numbers as a table.
import { fmt, h, mount, svg } from "./ui.js"

/** @typedef {import("./api.js").Hour} Hour */

const HEIGHT = 210
const PAD = { top: 12, right: 18, bottom: 26, left: 36 }
const SERIES = /** @type {const} */ ([
  ["inbound", "Inbound", "var(--in)"],
  ["outbound", "Outbound", "var(--out)"],
  ["failed", "Failed", "var(--bad)"],
])

/** 1, 2, 5 × 10^n at or above n. @param {number} n */
function niceCeil(n) {
  if (n <= 5) return Math.max(1, Math.ceil(n))
  const p = 10 ** Math.floor(Math.log10(n))
  for (const m of [1, 2, 5, 10]) if (m * p >= n) return m * p
  return 10 * p
}

/** @param {string} iso */
const hourLabel = (iso) => `${String(new Date(iso).getHours()).padStart(2, "0")}:00`

/**
 * A chart that redraws itself when its container resizes.
 * @param {HTMLElement} container
 * @returns {{ update(hours: Hour[]): void, disconnect(): void }}
 */
export function hourlyChart(container) {
  /** @type {Hour[]} */
  let data = []
  let drawnWidth = 0
  const plot = h("div", { class: "chart-plot" })
  const table = h("div", {})
  container.append(
    plot,
    h(
      "div",
      { class: "legend", "aria-hidden": "true" },
      ...SERIES.map(([key, label]) => h("span", { class: `key-${key}` }, label)),
    ),
    h("details", { class: "chart-table" }, h("summary", {}, "Show as a table"), table),
  )

  function draw() {
    const width = Math.max(260, Math.floor(plot.clientWidth || container.clientWidth || 600))
    drawnWidth = width
    const max = niceCeil(Math.max(0, ...data.flatMap((b) => [b.inbound, b.outbound, b.failed])))
    const plotW = width - PAD.left - PAD.right
    const plotH = HEIGHT - PAD.top - PAD.bottom
    const slot = plotW / Math.max(1, data.length)
    const bar = Math.max(2, Math.min(10, (slot - 4) / 3))
    const totals = SERIES.map(([key, label]) => `${label.toLowerCase()} ${data.reduce((n, b) => n + b[key], 0)}`)
    const root = svg("svg", {
      width,
      height: HEIGHT,
      viewBox: `0 0 ${width} ${HEIGHT}`,
      role: "img",
      "aria-label": `Messages per hour over the last 24 hours: ${totals.join(", ")}; busiest hour up to ${max}.`,
    })
    const ticks = max >= 4 && max % 4 === 0 ? [0, 0.25, 0.5, 0.75, 1] : max >= 2 && max % 2 === 0 ? [0, 0.5, 1] : [0, 1]
    for (const f of ticks) {
      const y = PAD.top + plotH * (1 - f)
      root.append(
        svg("line", { x1: PAD.left, x2: width - PAD.right, y1: y, y2: y, class: f === 0 ? "axis" : "grid" }),
        svg("text", { x: PAD.left - 8, y: y + 4, "text-anchor": "end", class: "tick" }, fmt(max * f)),
      )
    }
    const every = slot >= 26 ? 3 : 6
    data.forEach((b, i) => {
      const x = PAD.left + i * slot
      const group = svg("g", { class: "slot" })
      group.append(
        svg("rect", { x, y: PAD.top, width: slot, height: plotH, class: "hover" }),
        svg(
          "title",
          {},
          `${hourLabel(b.hour)}: ${b.inbound} in, ${b.outbound} out, ${b.failed} failed${b.avgLatencyMs === null ? "" : `, ${Math.round(b.avgLatencyMs)} ms avg`}`,
        ),
      )
      const start = x + (slot - bar * 3) / 2
      SERIES.forEach(([key, , color], j) => {
        const value = b[key]
        if (value <= 0) return
        const height = Math.max(2, (value / max) * plotH)
        group.append(
          svg("rect", {
            x: start + j * bar,
            y: PAD.top + plotH - height,
            width: bar - 1,
            height,
            fill: color,
            rx: 1.5,
          }),
        )
      })
      root.append(group)
      if ((data.length - 1 - i) % every === 0)
        root.append(
          svg("text", { x: x + slot / 2, y: HEIGHT - 7, "text-anchor": "middle", class: "tick" }, hourLabel(b.hour)),
        )
    })
    if (data.every((b) => b.inbound + b.outbound + b.failed === 0))
      root.append(
        svg(
          "text",
          { x: PAD.left + plotW / 2, y: PAD.top + plotH / 2, "text-anchor": "middle", class: "empty-note" },
          "No messages in the last 24 hours",
        ),
      )
    mount(plot, root)
  }

  function drawTable() {
    const busy = data.filter((b) => b.inbound + b.outbound + b.failed > 0)
    mount(
      table,
      busy.length === 0
        ? h("p", { class: "hint" }, "No traffic in any hour.")
        : h(
            "table",
            { class: "mini" },
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                h("th", { scope: "col" }, "Hour"),
                ...SERIES.map(([, label]) => h("th", { class: "num", scope: "col" }, label)),
                h("th", { class: "num", scope: "col" }, "Avg latency"),
              ),
            ),
            h(
              "tbody",
              {},
              ...busy.map((b) =>
                h(
                  "tr",
                  {},
                  h("th", { scope: "row" }, hourLabel(b.hour)),
                  ...SERIES.map(([key]) => h("td", { class: "num" }, fmt(b[key]))),
                  h("td", { class: "num" }, b.avgLatencyMs === null ? "—" : `${Math.round(b.avgLatencyMs)} ms`),
                ),
              ),
            ),
          ),
    )
  }

  const observer = new ResizeObserver(() => {
    if (data.length && Math.abs(plot.clientWidth - drawnWidth) > 4) draw()
  })
  observer.observe(plot)
  return {
    update(hours) {
      data = hours
      draw()
      drawTable()
    },
    disconnect: () => observer.disconnect(),
  }
}
