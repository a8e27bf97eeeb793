// @ts-check
// The Analytics numbers on screen as a CSV file, built in the browser: one row per point per platform (or per point
// of the one bot), offered as a download link to a Blob URL.
import { h } from "./ui.js"

/** @typedef {import("./api.js").Analytics} Analytics */
/** @typedef {import("./api.js").AnalyticsPoint} AnalyticsPoint */

export const CSV_COLUMNS = [
  "period_start",
  "granularity",
  "platform",
  "bot_id",
  "bot_name",
  "inbound",
  "outbound",
  "failed",
  "success_rate_percent",
  "send_latency_p50_ms",
  "send_latency_p95_ms",
  "reply_latency_p50_ms",
  "reply_latency_p95_ms",
  "rate_limited_429",
  "failovers",
]

/**
 * One field: quoted when it holds a comma, quote or line break; text a spreadsheet would run as a formula (= + - @)
 * starts with an apostrophe.
 * @param {string | number | null | undefined} value
 */
function field(value) {
  if (value === null || value === undefined) return ""
  let text = String(value)
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** @param {number | null | undefined} n */
const round = (n) => (n === null || n === undefined ? null : Math.round(n * 10) / 10)

/**
 * @param {Analytics} data
 * @param {"platforms" | "bot"} by  rows per platform, or for the bot asked for
 * @returns {string}
 */
export function analyticsCsv(data, by) {
  /** @type {{ platform: string, botId: string, name: string, series: AnalyticsPoint[] }[]} */
  const groups =
    by === "bot"
      ? data.bots.map((b) => ({ platform: b.platform, botId: b.botId, name: b.name, series: b.series }))
      : data.platforms.map((p) => ({ platform: p.platform, botId: "", name: "", series: p.series }))
  const rows = [CSV_COLUMNS.join(",")]
  // Time first, then platform, so a spreadsheet reads each period's platforms together.
  data.points.forEach((at, i) => {
    for (const g of groups) {
      const p = g.series[i]
      if (!p) continue
      rows.push(
        [
          at,
          data.granularity,
          g.platform,
          g.botId,
          g.name,
          p.inbound,
          p.outbound,
          p.failed,
          p.successRate === null ? null : round(p.successRate * 100),
          round(p.sendLatencyMs?.p50),
          round(p.sendLatencyMs?.p95),
          round(p.replyLatencyMs?.p50),
          round(p.replyLatencyMs?.p95),
          p.rateLimited,
          p.failovers,
        ]
          .map(field)
          .join(","),
      )
    }
  })
  return `${rows.join("\r\n")}\r\n`
}

/** A file name from free text. @param {string} text */
const slug = (text) =>
  text
    .normalize("NFKD")
    .replace(/[^\w.-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60)

/**
 * The download link: `update` points it at the numbers now on screen (or hides it when there are none).
 * @returns {{ element: HTMLAnchorElement, update(data: Analytics | null, by: "platforms" | "bot"): void, revoke(): void }}
 */
export function csvLink() {
  const element = h("a", { class: "button an-csv", hidden: true }, "Download CSV")
  let url = ""
  function revoke() {
    if (url) URL.revokeObjectURL(url)
    url = ""
  }
  return {
    element,
    update(data, by) {
      revoke()
      element.hidden = data === null
      if (!data) {
        element.removeAttribute("href")
        return
      }
      url = URL.createObjectURL(new Blob([analyticsCsv(data, by)], { type: "text/csv;charset=utf-8" }))
      const who = by === "bot" ? slug(data.bots[0]?.name ?? "") || "bot" : "switchboard"
      const day = (/** @type {string} */ iso) => iso.slice(0, 10)
      element.href = url
      element.download = `${who}-analytics-${day(data.from)}-to-${day(data.to)}-by-${data.granularity}.csv`
    },
    revoke,
  }
}
