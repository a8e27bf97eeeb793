// @ts-check
// "Contacts": the people the business reaches, with the chats (identities) each is reached on. Search by name, tag
// and platform filters (kept in the URL), newest first, paged with Load more.
import { api, session } from "./api.js"
import { identityChip, loadBots, tagBadges } from "./contact-common.js"
import { loadPlatforms } from "./platforms.js"
import { ago, append, dateTime, emptyState, errorBox, errorText, h, mount, plural } from "./ui.js"

/** @typedef {import("./api.js").Contact} Contact */
/** @typedef {import("./contact-common.js").BotDirectory} BotDirectory */

const PAGE_SIZE = 25
/** Identities shown per row; the rest are counted. */
const SHOWN_IDENTITIES = 4

/**
 * @param {HTMLElement} view
 * @param {{ query: URLSearchParams }} route
 * @returns {Promise<undefined>}
 */
export async function renderContacts(view, { query }) {
  const canWrite = session.canWrite()
  const state = {
    q: query.get("q") ?? "",
    tag: query.get("tag") ?? "",
    platform: query.get("platform") ?? "",
    /** @type {Contact[]} */ contacts: [],
    /** @type {string | null} */ cursor: null,
    loaded: false,
  }
  const [platforms, bots] = await Promise.all([loadPlatforms(), loadBots()])

  const tbody = h("tbody")
  const table = h(
    "table",
    { class: "contacts", "aria-describedby": "contacts-count" },
    h("caption", { class: "visually-hidden" }, "Contacts of your business"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, "Name"),
        h("th", { scope: "col" }, "Tags"),
        h("th", { scope: "col" }, "Reached on"),
        h("th", { scope: "col", title: "When the person last wrote on any of their chats" }, "Last seen"),
      ),
    ),
    tbody,
  )
  const count = h("p", { class: "count muted", id: "contacts-count", "aria-live": "polite" })
  const more = h("button", { type: "button", hidden: true, onclick: () => void load(false) }, "Load more")
  const listError = h("div", {})
  const empty = h("div", { hidden: true })
  const tablePanel = h("div", { class: "panel table-wrap" }, table, empty)

  const search = h("input", {
    type: "search",
    id: "contact-search",
    placeholder: "Search by name",
    value: state.q,
    autocomplete: "off",
  })
  const tag = h("input", {
    type: "text",
    id: "filter-tag",
    class: "tag-filter",
    placeholder: "Tag",
    value: state.tag,
    autocomplete: "off",
    spellcheck: false,
  })
  let debounce = 0
  const apply = () => {
    clearTimeout(debounce)
    const q = search.value.trim()
    const t = tag.value.trim()
    if (q === state.q && t === state.tag) return
    state.q = q
    state.tag = t
    void load(true)
  }
  for (const input of [search, tag]) {
    input.addEventListener("input", () => {
      clearTimeout(debounce)
      debounce = window.setTimeout(apply, 250)
    })
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") apply()
    })
  }
  const platform = h(
    "select",
    { id: "filter-contact-platform" },
    h("option", { value: "" }, "All platforms"),
    ...platforms.map((p) => h("option", { value: p.platform }, p.displayName)),
  )
  platform.value = state.platform
  platform.addEventListener("change", () => {
    // What was typed and not yet applied goes with it.
    clearTimeout(debounce)
    state.q = search.value.trim()
    state.tag = tag.value.trim()
    state.platform = platform.value
    void load(true)
  })

  append(
    view,
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        h("h1", {}, "Contacts"),
        h(
          "p",
          { class: "sub" },
          "The people your bots talk to, each with the chats they are reached on. A message to a contact goes to its best chat, and on to the next when one fails.",
        ),
      ),
      canWrite
        ? h("a", { class: "button primary", href: "#/contacts/new" }, "+ New contact")
        : h(
            "button",
            { type: "button", class: "primary", disabled: true, title: "Viewers can't add contacts" },
            "+ New contact",
          ),
    ),
    canWrite ? null : h("div", { class: "readonly-note" }, "You have read-only access: changes are disabled."),
    h(
      "div",
      { class: "toolbar", role: "search" },
      h("label", { for: "contact-search", class: "visually-hidden" }, "Search contacts by name"),
      search,
      h("label", { for: "filter-tag", class: "visually-hidden" }, "Tag (exact)"),
      tag,
      h("label", { for: "filter-contact-platform", class: "visually-hidden" }, "Platform"),
      platform,
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
    mount(tbody, ...state.contacts.map((c) => row(c, bots)))
    const filtered = Boolean(state.q || state.tag || state.platform)
    empty.hidden = state.contacts.length > 0 || !state.loaded
    table.hidden = !empty.hidden
    mount(
      empty,
      filtered
        ? emptyState(
            "No contacts match",
            "Nothing matches this search and these filters. Clear them to see every contact.",
            h("a", { class: "button", href: "#/contacts", onclick: clearFilters }, "Clear filters"),
          )
        : emptyState(
            "No contacts yet",
            canWrite
              ? "Add the people you message, with the chats of your bots they are reached on. Contacts are also added when someone writes to a bot."
              : "Nobody has added a contact to this business yet. An owner or admin can add one.",
            canWrite ? h("a", { class: "button primary", href: "#/contacts/new" }, "+ Add your first contact") : null,
          ),
    )
    more.hidden = !state.cursor
    count.textContent = state.contacts.length
      ? `Showing ${plural(state.contacts.length, "contact")}${state.cursor ? "; more below" : ""}`
      : ""
  }

  /** @param {Event} e */
  function clearFilters(e) {
    e.preventDefault()
    state.q = ""
    state.tag = ""
    state.platform = ""
    search.value = ""
    tag.value = ""
    platform.value = ""
    void load(true)
  }

  /** Keeps filters in the URL (reload and Back keep them) without adding history entries. */
  function syncUrl() {
    const params = new URLSearchParams()
    if (state.q) params.set("q", state.q)
    if (state.tag) params.set("tag", state.tag)
    if (state.platform) params.set("platform", state.platform)
    const hash = `#/contacts${params.size ? `?${params}` : ""}`
    if (location.hash !== hash && location.hash.startsWith("#/contacts")) history.replaceState(null, "", hash)
  }

  let latest = 0
  /** @param {boolean} reset */
  async function load(reset) {
    const seq = ++latest
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) })
    if (state.q) params.set("q", state.q)
    if (state.tag) params.set("tag", state.tag)
    if (state.platform) params.set("platform", state.platform)
    if (!reset && state.cursor) params.set("cursor", state.cursor)
    if (reset) syncUrl()
    tablePanel.setAttribute("aria-busy", "true")
    more.disabled = true
    try {
      const page = await api.listContacts(params)
      if (seq !== latest) return // a newer search answered first
      state.contacts = reset ? page.contacts : [...state.contacts, ...page.contacts]
      state.cursor = page.nextCursor
      state.loaded = true
      mount(listError)
      draw()
    } catch (e) {
      if (seq !== latest) return
      mount(listError, errorBox(`Could not load contacts: ${errorText(e)}`))
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

/** @param {Contact} c @param {BotDirectory} bots */
function row(c, bots) {
  const shown = c.identities.slice(0, SHOWN_IDENTITIES)
  const hidden = c.identities.length - shown.length
  return h(
    "tr",
    { "data-contact": c.id },
    h(
      "td",
      { class: "c-name" },
      h("a", { href: `#/contacts/${encodeURIComponent(c.id)}` }, c.name || "Unnamed contact"),
    ),
    h("td", { class: "c-tags" }, tagBadges(c.tags)),
    h(
      "td",
      { class: "c-identities" },
      c.identities.length
        ? h(
            "span",
            { class: "identities" },
            ...shown.map((i) => identityChip(i, bots)),
            hidden > 0 ? h("span", { class: "muted" }, `+${hidden} more`) : null,
          )
        : h("span", { class: "muted" }, "No chats yet"),
    ),
    h(
      "td",
      { class: "c-last", title: c.lastInboundAt ? dateTime(c.lastInboundAt) : "The person has not written yet" },
      c.lastInboundAt ? ago(c.lastInboundAt) : "never",
    ),
  )
}
