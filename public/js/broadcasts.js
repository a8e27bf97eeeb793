// @ts-check
// A bot's "Broadcasts" tab: its broadcasts newest first (name, status, progress sent / total, created), paged with Load
// more, and the way to a new one. The list's counts are summaries (up to 15 s behind); a broadcast's page is live.
import { api, session } from "./api.js"
import {
  botTabs,
  broadcastPill,
  broadcastsHref,
  hasReceipts,
  progressBar,
  progressText,
  summaryCounts,
} from "./broadcast-common.js"
import { loadPlatforms, platformBadge } from "./platforms.js"
import { ago, append, dateTime, emptyState, errorBox, errorText, fmt, h, mount, plural, statusPill } from "./ui.js"

/** @typedef {import("./api.js").BroadcastSummary} BroadcastSummary */
/** @typedef {import("./api.js").Bot} Bot */

const PAGE_SIZE = 25

/**
 * The breadcrumb of a bot's broadcast pages: Integrations › the bot › Broadcasts › ….
 * @param {Bot} bot @param {...import("./ui.js").Child} tail  the last one is the current page
 */
export const botCrumbs = (bot, ...tail) =>
  h(
    "nav",
    { class: "crumbs", "aria-label": "Breadcrumb" },
    h("a", { href: "#/bots" }, "Integrations"),
    h("a", { href: `#/bots/${encodeURIComponent(bot.id)}` }, bot.name),
    ...tail,
  )

/**
 * @param {HTMLElement} view
 * @param {string} botId
 * @returns {Promise<undefined>}
 */
export async function renderBroadcasts(view, botId) {
  const canWrite = session.canWrite()
  const [{ bot }, platforms] = await Promise.all([api.getBot(botId), loadPlatforms()])
  const receipts = hasReceipts(platforms, bot.platform)
  document.title = `Broadcasts · ${bot.name} · Switchboard`
  const state = {
    /** @type {BroadcastSummary[]} */ items: [],
    /** @type {string | null} */ cursor: null,
    loaded: false,
  }

  const newHref = broadcastsHref(botId, "new")
  const newButton = canWrite
    ? h("a", { class: "button primary", href: newHref }, "+ New broadcast")
    : h(
        "button",
        { type: "button", class: "primary", disabled: true, title: "Viewers can't send broadcasts" },
        "+ New broadcast",
      )
  const tbody = h("tbody")
  const table = h(
    "table",
    { class: "broadcasts", "aria-describedby": "broadcasts-count" },
    h("caption", { class: "visually-hidden" }, `Broadcasts of ${bot.name}, newest first`),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, "Name"),
        h("th", { scope: "col" }, "Status"),
        h("th", { scope: "col" }, "Progress"),
        h("th", { scope: "col" }, "Created"),
      ),
    ),
    tbody,
  )
  const empty = h("div", { hidden: true })
  const tablePanel = h("div", { class: "panel table-wrap" }, table, empty)
  const listError = h("div", {})
  const count = h("p", { class: "count muted", id: "broadcasts-count", "aria-live": "polite" })
  const more = h("button", { type: "button", hidden: true, onclick: () => void load(false) }, "Load more")

  append(
    view,
    botCrumbs(bot, h("span", { "aria-current": "page" }, "Broadcasts")),
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        h("h1", {}, "Broadcasts"),
        h("p", { class: "sub meta" }, platformBadge(bot.platform), h("span", {}, bot.name), statusPill(bot.status)),
      ),
      newButton,
    ),
    botTabs(botId, "broadcasts"),
    h(
      "p",
      { class: "sub bc-intro" },
      "One message to many chats, paced under the platform's limit and always behind live replies.",
    ),
    canWrite
      ? null
      : h("div", { class: "readonly-note" }, "You have read-only access: you can follow broadcasts but not send one."),
    h(
      "div",
      { class: "toolbar" },
      h("p", { class: "hint bc-lag" }, "Counts here can be up to 15 s behind; a broadcast's own page is live."),
      h(
        "button",
        { type: "button", class: "ghost", title: "Reload the list", onclick: () => void load(true) },
        "Refresh",
      ),
    ),
    listError,
    tablePanel,
    h("div", { class: "list-foot" }, count, more),
  )

  function draw() {
    mount(tbody, ...state.items.map(row))
    empty.hidden = state.items.length > 0 || !state.loaded
    table.hidden = !empty.hidden
    mount(
      empty,
      emptyState(
        "No broadcasts yet",
        canWrite
          ? "Send one message to a list of chats: paste their ids or upload a CSV, and follow it here as it goes out."
          : "Nobody has sent a broadcast through this bot yet. An owner or admin can start one.",
        canWrite ? h("a", { class: "button primary", href: newHref }, "+ New broadcast") : null,
      ),
    )
    more.hidden = !state.cursor
    count.textContent = state.items.length
      ? `Showing ${plural(state.items.length, "broadcast")}${state.cursor ? "; more below" : ""}`
      : ""
  }

  let latest = 0
  /** @param {boolean} reset */
  async function load(reset) {
    const seq = ++latest
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) })
    if (!reset && state.cursor) params.set("cursor", state.cursor)
    tablePanel.setAttribute("aria-busy", "true")
    more.disabled = true
    try {
      const page = await api.listBroadcasts(botId, params)
      if (seq !== latest) return
      state.items = reset ? page.broadcasts : [...state.items, ...page.broadcasts]
      state.cursor = page.nextCursor
      state.loaded = true
      mount(listError)
      draw()
    } catch (e) {
      if (seq !== latest) return
      mount(listError, errorBox(`Could not load broadcasts: ${errorText(e)}`))
      if (!state.loaded) throw e
    } finally {
      if (seq === latest) {
        tablePanel.removeAttribute("aria-busy")
        more.disabled = false
      }
    }
  }

  /** @param {BroadcastSummary} b */
  function row(b) {
    const counts = summaryCounts(b)
    const bar = progressBar({ label: `Progress of ${b.name}`, receipts })
    bar.draw(counts)
    return h(
      "tr",
      { "data-broadcast": b.id, "data-status": b.status },
      h("td", { class: "c-name" }, h("a", { href: broadcastsHref(botId, b.id) }, b.name)),
      h("td", { class: "c-status" }, broadcastPill(b.status)),
      h(
        "td",
        { class: "c-progress", title: progressText(counts) },
        h("span", { class: "bc-sent" }, `${fmt(counts.sent)} / ${fmt(b.total)} sent`),
        bar.element,
      ),
      h(
        "td",
        { class: "c-last", title: dateTime(b.createdAt) },
        ago(b.createdAt),
        b.status === "scheduled" && b.scheduledAt
          ? h("span", { class: "bc-when muted" }, `Starts ${dateTime(b.scheduledAt)}`)
          : null,
      ),
    )
  }

  await load(true)
  return undefined
}
