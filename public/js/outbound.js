// @ts-check
// The bot page's "Sent messages": what the bot sent (GET /api/bots/{id}/messages, its send queue of the last 7 days),
// newest first, each with its status, attempts and last error, and a Retry for a failed one (a new message with the
// same content; the failed one then names it). Polled with the page and merged in place, like the activity log.
import { api } from "./api.js"
import { sendPill } from "./contact-common.js"
import { clock, dateTime, errorText, h, mount, plural, toast } from "./ui.js"

/** @typedef {import("./api.js").OutboxMessage} OutboxMessage */
/** @typedef {import("./api.js").OutboxPage} OutboxPage */

/** Today's as a time, older ones with their day (the list goes back 7 days). @param {string} iso */
const when = (iso) =>
  new Date(iso).toDateString() === new Date().toDateString()
    ? clock(iso)
    : new Date(iso).toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit", hour12: false })

/** Messages per request. */
export const OUTBOX_PAGE = 20

const FILTERS = /** @type {const} */ ([
  ["", "All statuses"],
  ["failed", "Failed"],
  ["queued", "Queued"],
  ["sending", "Sending"],
  ["sent", "Sent"],
  ["delivered", "Delivered"],
  ["read", "Read"],
])

/** Who queued a message, in words. @type {Record<string, string>} */
const SOURCES = {
  api: "API send",
  reply: "Reply",
  contact: "Contact send",
  bulk: "Broadcast",
  retry: "Retry",
}

/**
 * @param {string} botId @param {boolean} canWrite
 * @returns {{ section: HTMLElement, refresh: () => Promise<void> }}
 */
export function outboundPanel(botId, canWrite) {
  /** Each shown message's node and the answer it was drawn from. @type {Map<string, { node: HTMLLIElement, m: OutboxMessage }>} */
  const shown = new Map()
  /** @type {string | null} */
  let older = null
  let generation = 0
  const list = h("ol", { class: "log outbound", id: "outbound-list", "aria-label": "Sent messages, newest first" })
  const none = h(
    "li",
    { class: "none" },
    h("p", { class: "muted" }, "Nothing sent in the last 7 days. Replies, API sends and broadcasts appear here."),
  )
  const filter = h(
    "select",
    { id: "outbound-status", onchange: () => void reset() },
    ...FILTERS.map(([value, label]) => h("option", { value }, label)),
  )
  const more = h(
    "button",
    { type: "button", class: "ghost", hidden: true, onclick: () => void loadOlder() },
    "Load older",
  )

  /** @param {string} [cursor] */
  const query = (cursor) => {
    const q = new URLSearchParams({ limit: String(OUTBOX_PAGE) })
    if (filter.value) q.set("status", filter.value)
    if (cursor) q.set("cursor", cursor)
    return q
  }

  /** Newest first (ids are time-ordered): nodes are moved, never re-created, so a selection survives. */
  function order() {
    const nodes = [...shown.entries()].sort(([a], [b]) => (a < b ? 1 : -1)).map(([, e]) => e.node)
    list.append(...nodes)
    if (shown.size > 0) none.remove()
    else list.append(none)
    more.hidden = older === null
  }

  /** @param {OutboxMessage} m */
  function put(m) {
    const seen = shown.get(m.id)
    if (seen && seen.m.updatedAt === m.updatedAt && seen.m.retriedAs === m.retriedAs && seen.m.status === m.status)
      return
    const node = row(m)
    if (seen) seen.node.replaceWith(node)
    shown.set(m.id, { node, m })
  }

  /** The first page, merged: new messages, changed ones redrawn, and those that left it (another status) removed. */
  async function refresh() {
    const mine = generation
    const page = await api.botMessages(botId, query())
    if (mine !== generation) return
    const ids = new Set(page.messages.map((m) => m.id))
    const floor = page.nextCursor ? page.messages.at(-1)?.id : undefined
    for (const [id, { node }] of shown)
      if (!ids.has(id) && (floor === undefined || id > floor)) {
        node.remove()
        shown.delete(id)
      }
    for (const m of page.messages) put(m)
    if (shown.size === page.messages.length) older = page.nextCursor
    order()
  }

  async function loadOlder() {
    if (older === null) return
    const mine = generation
    more.disabled = true
    try {
      const page = await api.botMessages(botId, query(older))
      if (mine !== generation) return
      older = page.nextCursor
      for (const m of page.messages) put(m)
      order()
    } catch (e) {
      toast(`Could not load older messages: ${errorText(e)}`)
    } finally {
      more.disabled = false
    }
  }

  async function reset() {
    generation++
    shown.clear()
    older = null
    mount(list, none)
    try {
      await refresh()
    } catch (e) {
      toast(`Could not load the messages: ${errorText(e)}`)
    }
  }

  /** @param {OutboxMessage} m @param {HTMLButtonElement} button */
  async function retry(m, button) {
    button.disabled = true
    try {
      const res = await api.retryMessage(botId, m.id)
      toast(`Queued again as a new message (${res.id})`)
      await refresh()
    } catch (e) {
      button.disabled = false
      toast(`Not retried: ${errorText(e)}`, 6000)
    }
  }

  /** @param {OutboxMessage} m */
  function row(m) {
    const retryButton =
      m.status === "failed" && m.retriedAs === null
        ? h(
            "button",
            {
              type: "button",
              class: "small",
              disabled: !canWrite,
              title: canWrite ? "Send it again, as a new message" : "Viewers can't send",
              "aria-label": `Retry the message to ${m.chatId}`,
            },
            "Retry",
          )
        : null
    retryButton?.addEventListener("click", () => void retry(m, retryButton))
    return h(
      "li",
      { "data-message": m.id, "data-status": m.status },
      h("time", { datetime: m.createdAt, title: dateTime(m.createdAt) }, when(m.createdAt)),
      h(
        "div",
        { class: "entry" },
        h(
          "div",
          { class: "out-head" },
          sendPill(m.status),
          h("span", { class: "mono out-chat", title: "Chat" }, m.chatId),
          h("span", { class: "muted out-source" }, SOURCES[m.source] ?? m.source),
          m.attempts > 1 ? h("span", { class: "muted" }, plural(m.attempts, "attempt")) : null,
          retryButton,
        ),
        h("div", { class: "msg out-text" }, m.preview),
        m.error ? h("div", { class: "out-error" }, m.error) : null,
        m.retriedAs ? h("div", { class: "hint out-link" }, `Retried as ${m.retriedAs}`) : null,
        m.retryOf ? h("div", { class: "hint out-link" }, `Retry of ${m.retryOf}`) : null,
      ),
    )
  }

  list.append(none)
  const section = h(
    "section",
    { class: "panel", "aria-labelledby": "outbound-title" },
    h(
      "div",
      { class: "panel-head" },
      h("h2", { id: "outbound-title" }, "Sent messages"),
      h("label", { for: "outbound-status", class: "visually-hidden" }, "Show messages by status"),
      filter,
    ),
    list,
    h("div", { class: "panel-foot" }, more),
  )
  return { section, refresh }
}
