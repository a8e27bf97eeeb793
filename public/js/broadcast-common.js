// @ts-check
// Pieces the Broadcasts pages share: the bot's tabs (Overview / Broadcasts), a broadcast's status as a pill, its counts
// as one segmented progress bar with a legend, rates and times left in words, and the pages' addresses.
import { fmt, h, plural } from "./ui.js"

/** @typedef {import("./api.js").Broadcast} Broadcast */
/** @typedef {import("./api.js").BroadcastSummary} BroadcastSummary */
/** @typedef {Pick<Broadcast, "total" | "sent" | "delivered" | "failed" | "skipped" | "cancelled">} Counts */

/** Whether the bot's platform reports deliveries (`capabilities.deliveryReceipts`; unknown: assume it does). @param {import("./api.js").PlatformSpec[]} platforms @param {string} platform */
export const hasReceipts = (platforms, platform) =>
  platforms.find((p) => p.platform === platform)?.capabilities.deliveryReceipts ?? true

/** Statuses whose counts still move (the broadcast page re-reads them). */
export const LIVE = new Set(["running", "scheduled", "paused"])

/** @type {Record<string, string>} */
const STATUS_LABELS = {
  draft: "Draft",
  scheduled: "Scheduled",
  running: "Running",
  paused: "Paused",
  done: "Done",
  cancelled: "Cancelled",
}
/** @type {Record<string, string>} */
const STATUS_HINTS = {
  draft: "Waiting for the rest of its recipients: it starts after the last chunk",
  scheduled: "Starts at its scheduled time",
  running: "Sending, at the bot's pace, behind live replies",
  paused: "Held: nothing more is sent until it is resumed",
  done: "Every recipient was handled",
  cancelled: "Stopped: what was not sent never will be",
}
/** @param {string} status */
export const broadcastPill = (status) =>
  h("span", { class: `status bc-${status}`, title: STATUS_HINTS[status] }, STATUS_LABELS[status] ?? status)

/** Addresses of the Broadcasts pages. @param {string} botId @param {string} [tail] */
export const broadcastsHref = (botId, tail) =>
  `#/bots/${encodeURIComponent(botId)}/broadcasts${tail ? `/${encodeURIComponent(tail)}` : ""}`

/**
 * The bot's sections, as links under its name (the current one marked).
 * @param {string} botId @param {"overview" | "broadcasts"} current
 */
export function botTabs(botId, current) {
  /** @param {"overview" | "broadcasts"} key @param {string} href @param {string} label */
  const tab = (key, href, label) =>
    h("a", { href, class: "bot-tab", "aria-current": key === current ? "page" : undefined }, label)
  return h(
    "nav",
    { class: "bot-tabs", "aria-label": "Bot sections" },
    tab("overview", `#/bots/${encodeURIComponent(botId)}`, "Overview"),
    tab("broadcasts", broadcastsHref(botId), "Broadcasts"),
  )
}

/**
 * A list summary's counts in the live view's shape (`counts` is a free-form record in the document).
 * @param {BroadcastSummary} s
 * @returns {Counts}
 */
export const summaryCounts = (s) => ({
  total: s.total,
  sent: s.counts.sent ?? 0,
  delivered: s.counts.delivered ?? 0,
  failed: s.counts.failed ?? 0,
  skipped: s.counts.skipped ?? 0,
  cancelled: s.counts.cancelled ?? 0,
})

/**
 * The bar's segments in order (`sent` includes delivered, which includes read), and what is still to come. On a
 * platform without delivery receipts (GET /api/platforms: capabilities.deliveryReceipts) sent is the last word.
 * @param {Counts} c @param {boolean} [receipts]
 */
export function segments(c, receipts = true) {
  const parts = [
    ...(receipts ? [{ key: "delivered", label: "Delivered", value: c.delivered }] : []),
    receipts
      ? { key: "sent", label: "Sent, no receipt yet", value: Math.max(0, c.sent - c.delivered) }
      : { key: "sent", label: "Sent", value: c.sent },
    { key: "failed", label: "Failed", value: c.failed },
    { key: "skipped", label: "Skipped", value: c.skipped },
    { key: "cancelled", label: "Cancelled", value: c.cancelled },
  ]
  const handled = parts.reduce((n, p) => n + p.value, 0)
  return { parts, handled, waiting: Math.max(0, c.total - handled) }
}

/** "120 of 400 handled: 100 sent, 3 failed, …" for screen readers and titles. @param {Counts} c */
export function progressText(c) {
  const { handled } = segments(c)
  const said = [
    `${fmt(c.sent)} sent`,
    c.delivered ? `${fmt(c.delivered)} delivered` : "",
    c.failed ? `${fmt(c.failed)} failed` : "",
    c.skipped ? `${fmt(c.skipped)} skipped` : "",
    c.cancelled ? `${fmt(c.cancelled)} cancelled` : "",
  ].filter(Boolean)
  return `${fmt(handled)} of ${plural(c.total, "recipient")} handled: ${said.join(", ")}`
}

/**
 * A segmented bar of the counts (a progressbar to assistive technology, its text the counts in words). Returns the
 * element and a function that redraws it.
 * @param {{ label: string, big?: boolean, receipts?: boolean }} o
 */
export function progressBar({ label, big = false, receipts = true }) {
  const bar = h("div", {
    class: `bc-bar${big ? " big" : ""}`,
    role: "progressbar",
    "aria-label": label,
    "aria-valuemin": "0",
  })
  /** @param {Counts} c */
  function draw(c) {
    const { parts, handled } = segments(c, receipts)
    const total = Math.max(c.total, handled, 1)
    bar.setAttribute("aria-valuemax", String(c.total))
    bar.setAttribute("aria-valuenow", String(Math.min(handled, c.total)))
    bar.setAttribute("aria-valuetext", progressText(c))
    bar.title = progressText(c)
    bar.replaceChildren(
      ...parts
        .filter((p) => p.value > 0)
        .map((p) => h("span", { class: `seg seg-${p.key}`, style: `width: ${((p.value / total) * 100).toFixed(3)}%` })),
    )
  }
  return { element: bar, draw }
}

/** Messages per second in words. @param {number} rate */
export const rateText = (rate) => (rate > 0 ? `${rate < 10 ? rate.toFixed(1) : fmt(Math.round(rate))} msg/s` : "—")

/** Seconds left in words: "45 s", "3 min", "1 h 5 min". @param {number | null} seconds */
export function etaText(seconds) {
  if (seconds === null || !Number.isFinite(seconds)) return "—"
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`
  const min = Math.round(seconds / 60)
  if (min < 60) return `${min} min`
  return `${Math.floor(min / 60)} h${min % 60 ? ` ${min % 60} min` : ""}`
}
