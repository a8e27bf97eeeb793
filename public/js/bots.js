// @ts-check
// "Messaging Integrations": every bot with 24 h traffic, filters, search, paging, and bulk start/stop/restart/delete.
import { api, session } from "./api.js"
import { ago, confirmDialog, errorText, fmt, h, mount, pct, platformBadge, statusPill } from "./ui.js"

const ACTIONS = /** @type {const} */ (["start", "stop", "restart", "delete"])

/** @param {HTMLElement} main */
export async function renderBots(main) {
  const canWrite = session.canWrite()
  const query = new URLSearchParams(location.hash.split("?")[1] ?? "")
  const state = {
    q: query.get("q") ?? "",
    platform: query.get("platform") ?? "",
    status: query.get("status") ?? "",
    /** @type {any[]} */ bots: [],
    /** @type {string | null} */ cursor: null,
    selected: new Set(/** @type {string[]} */ ([])),
  }
  const platforms = (await api("GET", "/api/platforms")).platforms.map(
    (/** @type {{platform: string}} */ p) => p.platform,
  )

  const tbody = h("tbody")
  const more = h("button", { type: "button", hidden: true, onclick: () => load(false) }, "Load more")
  const count = h("span", { class: "muted" })
  const bulk = h("div", { class: "bulkbar", hidden: true, role: "region", "aria-label": "Bulk actions" })
  const results = h("ul", { class: "results", "aria-live": "polite" })
  const empty = h("div", { class: "empty", hidden: true })
  const selectAll = h("input", {
    type: "checkbox",
    "aria-label": "Select all bots on this page",
    disabled: !canWrite,
    onchange: () => {
      for (const b of state.bots) selectAll.checked ? state.selected.add(b.id) : state.selected.delete(b.id)
      draw()
    },
  })

  const search = h("input", {
    type: "search",
    placeholder: "Search by name",
    value: state.q,
    "aria-label": "Search bots by name",
  })
  let debounce = 0
  search.addEventListener("input", () => {
    clearTimeout(debounce)
    debounce = window.setTimeout(() => {
      state.q = search.value.trim()
      void load(true)
    }, 250)
  })
  /** @param {string} label @param {"platform" | "status"} key @param {string[]} options */
  const filter = (label, key, options) => {
    const select = h(
      "select",
      { "aria-label": label },
      h("option", { value: "" }, `All ${label.toLowerCase()}`),
      ...options.map((o) => h("option", { value: o }, o)),
    )
    select.value = key === "platform" ? state.platform : state.status
    select.addEventListener("change", () => {
      if (key === "platform") state.platform = select.value
      else state.status = select.value
      void load(true)
    })
    return select
  }

  const addButton = canWrite
    ? h("a", { class: "button primary", href: "#/new" }, "+ Add bot")
    : h("button", { class: "primary", disabled: true, title: "Viewers can't add bots" }, "+ Add bot")

  mount(
    main,
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        h("h1", {}, "Messaging Integrations"),
        h("p", { class: "sub" }, "Every bot of your business, with the last 24 hours of traffic."),
      ),
      addButton,
    ),
    canWrite ? null : h("div", { class: "readonly-note" }, "You have read-only access: changes are disabled."),
    h(
      "div",
      { class: "toolbar" },
      search,
      filter("Platforms", "platform", platforms),
      filter("Statuses", "status", ["active", "stopped", "error"]),
      count,
    ),
    bulk,
    results,
    h(
      "div",
      { class: "panel table-wrap" },
      h(
        "table",
        { class: "bots" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { class: "select" }, selectAll),
            h("th", {}, "Name"),
            h("th", {}, "Platform"),
            h("th", {}, "Status"),
            h("th", {}, "Last active"),
            h("th", { class: "num" }, "In 24 h"),
            h("th", { class: "num" }, "Out 24 h"),
            h("th", { class: "num" }, "Failure rate"),
            h("th", { class: "num" }, "Queue"),
          ),
        ),
        tbody,
      ),
      empty,
    ),
    h("div", { class: "toolbar", style: "margin-top:12px" }, more),
  )

  function draw() {
    mount(
      tbody,
      ...state.bots.map((b) =>
        h(
          "tr",
          { "data-bot": b.id },
          h(
            "td",
            { class: "select" },
            h("input", {
              type: "checkbox",
              "aria-label": `Select ${b.name}`,
              checked: state.selected.has(b.id),
              disabled: !canWrite,
              onchange: (/** @type {Event} */ e) => {
                const box = /** @type {HTMLInputElement} */ (e.target)
                box.checked ? state.selected.add(b.id) : state.selected.delete(b.id)
                drawBulk()
              },
            }),
          ),
          h("td", { "data-label": "Name" }, h("a", { href: `#/bots/${b.id}` }, b.name)),
          h("td", { "data-label": "Platform" }, platformBadge(b.platform)),
          h("td", { "data-label": "Status", title: b.statusReason ?? "" }, statusPill(b.status)),
          h("td", { "data-label": "Last active" }, ago(b.lastActive)),
          h("td", { class: "num", "data-label": "In 24 h" }, fmt(b.last24h?.inbound)),
          h("td", { class: "num", "data-label": "Out 24 h" }, fmt(b.last24h?.outbound)),
          h("td", { class: "num", "data-label": "Failure rate" }, pct(b.last24h?.failureRate)),
          h("td", { class: "num", "data-label": "Queue" }, fmt(b.queueDepth)),
        ),
      ),
    )
    const filtered = state.q || state.platform || state.status
    empty.hidden = state.bots.length > 0
    mount(
      empty,
      filtered
        ? h(
            "div",
            {},
            h("h2", {}, "No bots match these filters"),
            h("p", {}, "Clear the search or pick another platform or status."),
          )
        : h(
            "div",
            {},
            h("h2", {}, "No bots yet"),
            h(
              "p",
              {},
              canWrite
                ? "Add your first bot: pick a platform, paste its credentials, and Switchboard registers the webhook."
                : "Nobody has added a bot to this business yet.",
            ),
            canWrite ? h("a", { class: "button primary", href: "#/new" }, "+ Add your first bot") : null,
          ),
    )
    more.hidden = !state.cursor
    count.textContent = state.bots.length ? `${state.bots.length}${state.cursor ? "+" : ""} bots` : ""
    selectAll.checked = state.bots.length > 0 && state.bots.every((b) => state.selected.has(b.id))
    drawBulk()
  }

  function drawBulk() {
    const n = state.selected.size
    bulk.hidden = n === 0
    mount(
      bulk,
      h("strong", {}, `${n} selected`),
      ...ACTIONS.map((action) =>
        h(
          "button",
          { type: "button", class: action === "delete" ? "danger" : "", onclick: () => runBulk(action) },
          action[0]?.toUpperCase() + action.slice(1),
        ),
      ),
      h(
        "button",
        {
          type: "button",
          onclick: () => {
            state.selected.clear()
            draw()
          },
        },
        "Clear",
      ),
    )
  }

  /** @param {(typeof ACTIONS)[number]} action */
  async function runBulk(action) {
    const chosen = state.bots.filter((b) => state.selected.has(b.id))
    const list = h(
      "ul",
      {},
      ...chosen.slice(0, 8).map((b) => h("li", {}, b.name)),
      chosen.length > 8 ? h("li", {}, `and ${chosen.length - 8} more`) : null,
    )
    const warning =
      action === "delete"
        ? "Their webhooks are removed and their logs and queues are deleted. This cannot be undone."
        : "Each bot's webhook is updated with its platform."
    const ok = await confirmDialog(
      `${action[0]?.toUpperCase()}${action.slice(1)} ${chosen.length} bot${chosen.length === 1 ? "" : "s"}?`,
      h("div", {}, h("p", {}, warning), list),
      `${action[0]?.toUpperCase()}${action.slice(1)}`,
      action === "delete",
    )
    if (!ok) return
    mount(results, h("li", { class: "muted" }, `Running ${action} on ${chosen.length} bot(s)…`))
    const outcomes = await Promise.all(
      chosen.map(async (b) => {
        try {
          if (action === "delete") {
            await api("DELETE", `/api/bots/${b.id}`)
            return { bot: b, ok: true, text: "deleted" }
          }
          const res = await api("POST", `/api/bots/${b.id}/control`, { action })
          return res.result.ok
            ? { bot: b, ok: true, text: res.bot.status }
            : { bot: b, ok: false, text: res.result.error?.message ?? "failed" }
        } catch (e) {
          return { bot: b, ok: false, text: errorText(e) }
        }
      }),
    )
    mount(
      results,
      ...outcomes.map((o) =>
        h(
          "li",
          { class: o.ok ? "ok" : "bad", "data-result": o.bot.id },
          `${o.ok ? "✓" : "✗"} ${o.bot.name}: ${o.text}`,
        ),
      ),
    )
    state.selected.clear()
    await load(true)
  }

  /** @param {boolean} reset */
  async function load(reset) {
    const params = new URLSearchParams({ limit: "25" })
    if (state.q) params.set("q", state.q)
    if (state.platform) params.set("platform", state.platform)
    if (state.status) params.set("status", state.status)
    if (!reset && state.cursor) params.set("cursor", state.cursor)
    try {
      const page = await api("GET", `/api/bots?${params}`)
      state.bots = reset ? page.bots : [...state.bots, ...page.bots]
      state.cursor = page.nextCursor
      draw()
    } catch (e) {
      mount(results, h("li", { class: "bad" }, errorText(e)))
    }
  }

  await load(true)
}
