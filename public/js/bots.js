// @ts-check
// "Messaging Integrations": every bot with its last 24 h, filters and search (kept in the URL), paging, and bulk
// start/stop/restart/delete with a confirmation and a per-bot result.
import { api, session } from "./api.js"
import { runBulk, VERBS } from "./bulk.js"
import { loadPlatforms, platformBadge } from "./platforms.js"
import { ago, append, emptyState, errorBox, errorText, fmt, h, mount, pct, plural, statusPill } from "./ui.js"

/** @typedef {import("./api.js").Bot} Bot */
/** @typedef {import("./bulk.js").BulkAction} BulkAction */

const PAGE_SIZE = 25

/**
 * @param {HTMLElement} view
 * @param {{ query: URLSearchParams }} route
 * @returns {Promise<undefined>}
 */
export async function renderBots(view, { query }) {
  const canWrite = session.canWrite()
  const state = {
    q: query.get("q") ?? "",
    platform: query.get("platform") ?? "",
    status: query.get("status") ?? "",
    /** @type {Bot[]} */ bots: [],
    /** @type {string | null} */ cursor: null,
    /** @type {Set<string>} */ selected: new Set(),
    loaded: false,
  }
  const platforms = await loadPlatforms()

  const tbody = h("tbody")
  const table = h(
    "table",
    { class: "bots", "aria-describedby": "bots-count" },
    h("caption", { class: "visually-hidden" }, "Bots of your business"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { class: "c-select", scope: "col" }),
        h("th", { scope: "col" }, "Name"),
        h("th", { scope: "col" }, "Platform"),
        h("th", { scope: "col" }, "Status"),
        h("th", { scope: "col" }, "Last active"),
        h("th", { class: "num", scope: "col", title: "Messages received, last 24 hours" }, "In 24 h"),
        h("th", { class: "num", scope: "col", title: "Messages sent, last 24 hours" }, "Out 24 h"),
        h("th", { class: "num", scope: "col", title: "Failed sends / all sends, last 24 hours" }, "Failure rate"),
        h("th", { class: "num", scope: "col", title: "Messages waiting in the send queue" }, "Queue"),
      ),
    ),
    tbody,
  )
  // The one select-all: the header checkbox (on phones, where rows become cards, the header shows only it). It
  // selects every listed row, and shows indeterminate when only some of them are selected.
  const selectAll = h("input", {
    type: "checkbox",
    "aria-label": "Select all listed bots",
    disabled: !canWrite,
    onchange: () => {
      for (const b of state.bots) selectAll.checked ? state.selected.add(b.id) : state.selected.delete(b.id)
      drawRows()
    },
  })
  table
    .querySelector("th.c-select")
    ?.append(
      h(
        "label",
        { class: "select-all" },
        selectAll,
        h("span", { class: "select-all-text", "aria-hidden": "true" }, "Select all"),
      ),
    )

  /** The header checkbox and the bulk bar follow the selection: call after any change to it. */
  function syncSelection() {
    const chosen = state.bots.filter((b) => state.selected.has(b.id)).length
    selectAll.checked = chosen > 0 && chosen === state.bots.length
    selectAll.indeterminate = chosen > 0 && chosen < state.bots.length
    drawBulk()
  }

  const count = h("p", { class: "count muted", id: "bots-count", "aria-live": "polite" })
  const more = h("button", { type: "button", hidden: true, onclick: () => void load(false) }, "Load more")
  const listError = h("div", {})
  const bulk = h("div", { class: "bulkbar", hidden: true, role: "region", "aria-label": "Bulk actions" })
  const results = h("section", { class: "results", "aria-live": "polite", "aria-label": "Bulk action results" })
  const empty = h("div", { hidden: true })
  const tablePanel = h("div", { class: "panel table-wrap" }, table, empty)

  const search = h("input", {
    type: "search",
    id: "bot-search",
    placeholder: "Search by name",
    value: state.q,
    autocomplete: "off",
  })
  let debounce = 0
  const applySearch = () => {
    clearTimeout(debounce)
    if (search.value.trim() === state.q) return
    state.q = search.value.trim()
    void load(true)
  }
  search.addEventListener("input", () => {
    clearTimeout(debounce)
    debounce = window.setTimeout(applySearch, 250)
  })
  search.addEventListener("keydown", (e) => {
    if (e.key === "Enter") applySearch()
  })

  /** @param {string} id @param {string} label @param {"platform" | "status"} key @param {[string, string][]} options */
  const filter = (id, label, key, options) => {
    const select = h(
      "select",
      { id },
      h("option", { value: "" }, label),
      ...options.map(([value, text]) => h("option", { value }, text)),
    )
    select.value = state[key]
    select.addEventListener("change", () => {
      state[key] = select.value
      void load(true)
    })
    return select
  }

  append(
    view,
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        h("h1", {}, "Messaging Integrations"),
        h("p", { class: "sub" }, "Every bot of your business, with the last 24 hours of traffic."),
      ),
      canWrite
        ? h("a", { class: "button primary", href: "#/new" }, "+ Add bot")
        : h(
            "button",
            { type: "button", class: "primary", disabled: true, title: "Viewers can't add bots" },
            "+ Add bot",
          ),
    ),
    canWrite ? null : h("div", { class: "readonly-note" }, "You have read-only access: changes are disabled."),
    h(
      "div",
      { class: "toolbar", role: "search" },
      h("label", { for: "bot-search", class: "visually-hidden" }, "Search bots by name"),
      search,
      h("label", { for: "filter-platform", class: "visually-hidden" }, "Platform"),
      filter(
        "filter-platform",
        "All platforms",
        "platform",
        platforms.map((p) => [p.platform, p.displayName]),
      ),
      h("label", { for: "filter-status", class: "visually-hidden" }, "Status"),
      filter("filter-status", "All statuses", "status", [
        ["active", "Active"],
        ["stopped", "Stopped"],
        ["error", "Error"],
      ]),
      h(
        "button",
        { type: "button", class: "ghost", title: "Reload the list", onclick: () => void load(true) },
        "Refresh",
      ),
    ),
    bulk,
    results,
    listError,
    tablePanel,
    h("div", { class: "list-foot" }, count, more),
  )

  function drawRows() {
    mount(tbody, ...state.bots.map(row))
    const filtered = Boolean(state.q || state.platform || state.status)
    empty.hidden = state.bots.length > 0 || !state.loaded
    table.hidden = !empty.hidden
    mount(
      empty,
      filtered
        ? emptyState(
            "No bots match",
            "Nothing matches this search and these filters. Clear them to see every bot.",
            h("a", { class: "button", href: "#/bots", onclick: clearFilters }, "Clear filters"),
          )
        : emptyState(
            "No bots yet",
            canWrite
              ? "Add your first bot: pick a platform, paste its credentials, and Switchboard registers its webhook."
              : "Nobody has added a bot to this business yet. An owner or admin can add one.",
            canWrite ? h("a", { class: "button primary", href: "#/new" }, "+ Add your first bot") : null,
          ),
    )
    more.hidden = !state.cursor
    count.textContent = state.bots.length
      ? `Showing ${plural(state.bots.length, "bot")}${state.cursor ? "; more below" : ""}`
      : ""
    syncSelection()
  }

  /** @param {Event} e */
  function clearFilters(e) {
    e.preventDefault()
    state.q = ""
    state.platform = ""
    state.status = ""
    search.value = ""
    for (const s of view.querySelectorAll(".toolbar select")) /** @type {HTMLSelectElement} */ (s).value = ""
    void load(true)
  }

  /** @param {Bot} b */
  function row(b) {
    const traffic = b.last24h
    const failing = (traffic?.failureRate ?? 0) >= 0.05
    return h(
      "tr",
      { "data-bot": b.id, class: state.selected.has(b.id) ? "selected" : "" },
      h(
        "td",
        { class: "c-select" },
        h("input", {
          type: "checkbox",
          "aria-label": `Select ${b.name}`,
          checked: state.selected.has(b.id),
          disabled: !canWrite,
          onchange: (/** @type {Event} */ e) => {
            const box = /** @type {HTMLInputElement} */ (e.target)
            box.checked ? state.selected.add(b.id) : state.selected.delete(b.id)
            box.closest("tr")?.classList.toggle("selected", box.checked)
            syncSelection()
          },
        }),
      ),
      h("td", { class: "c-name" }, h("a", { href: `#/bots/${encodeURIComponent(b.id)}` }, b.name)),
      h("td", { class: "c-platform" }, platformBadge(b.platform)),
      h(
        "td",
        { class: "c-status" },
        statusPill(b.status),
        b.statusReason ? h("div", { class: "reason", title: b.statusReason }, b.statusReason) : null,
      ),
      h("td", { class: "c-last", "data-label": "Last active" }, ago(b.lastActive)),
      h("td", { class: "num c-in", "data-label": "In 24 h" }, fmt(traffic?.inbound)),
      h("td", { class: "num c-out", "data-label": "Out 24 h" }, fmt(traffic?.outbound)),
      h(
        "td",
        { class: `num c-rate${failing ? " bad-text" : ""}`, "data-label": "Fail rate" },
        pct(traffic?.failureRate),
      ),
      h("td", { class: "num c-queue", "data-label": "Queue" }, fmt(b.queueDepth)),
    )
  }

  function drawBulk() {
    const n = state.selected.size
    bulk.hidden = n === 0
    if (n === 0) return
    mount(
      bulk,
      h("strong", {}, `${plural(n, "bot")} selected`),
      h(
        "div",
        { class: "row-actions" },
        .../** @type {BulkAction[]} */ (["start", "stop", "restart", "delete"]).map((action) =>
          h(
            "button",
            { type: "button", class: action === "delete" ? "danger" : "", onclick: () => void bulkAction(action) },
            VERBS[action][0],
          ),
        ),
        h(
          "button",
          {
            type: "button",
            class: "ghost",
            onclick: () => {
              state.selected.clear()
              drawRows()
            },
          },
          "Clear selection",
        ),
      ),
    )
  }

  /** @param {BulkAction} action */
  async function bulkAction(action) {
    const chosen = state.bots.filter((b) => state.selected.has(b.id))
    const failed = await runBulk(action, chosen, results, () => {
      for (const b of bulk.querySelectorAll("button")) b.disabled = true
    })
    if (failed === null) return
    state.selected = new Set(failed)
    await load(true)
  }

  /** Keeps filters in the URL (reload and Back keep them) without adding history entries. */
  function syncUrl() {
    const params = new URLSearchParams()
    if (state.q) params.set("q", state.q)
    if (state.platform) params.set("platform", state.platform)
    if (state.status) params.set("status", state.status)
    const hash = `#/bots${params.size ? `?${params}` : ""}`
    if (location.hash !== hash && location.hash.startsWith("#/bots")) history.replaceState(null, "", hash)
  }

  let latest = 0
  /** @param {boolean} reset */
  async function load(reset) {
    const seq = ++latest
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) })
    if (state.q) params.set("q", state.q)
    if (state.platform) params.set("platform", state.platform)
    if (state.status) params.set("status", state.status)
    if (!reset && state.cursor) params.set("cursor", state.cursor)
    if (reset) syncUrl()
    tablePanel.setAttribute("aria-busy", "true")
    more.disabled = true
    try {
      const page = await api.listBots(params)
      if (seq !== latest) return // a newer search answered first
      state.bots = reset ? page.bots : [...state.bots, ...page.bots]
      state.cursor = page.nextCursor
      state.loaded = true
      if (reset) {
        const listed = new Set(state.bots.map((b) => b.id))
        for (const id of state.selected) if (!listed.has(id)) state.selected.delete(id)
      }
      mount(listError)
      drawRows()
    } catch (e) {
      if (seq !== latest) return
      mount(listError, errorBox(`Could not load bots: ${errorText(e)}`))
      if (!state.loaded) throw e
    } finally {
      if (seq === latest) {
        tablePanel.removeAttribute("aria-busy")
        more.disabled = false
      }
    }
  }

  await load(true)
  return undefined
}
