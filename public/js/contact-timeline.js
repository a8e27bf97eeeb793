// @ts-check
// The messages sent from a contact's page, each with its attempts as a timeline (one hop per channel tried: platform,
// bot, status, error, time). A send is re-read every 2 s until it is final, and for a minute at most. The list is kept
// in sessionStorage, per contact, so a reload of the tab shows the timelines again.
import { ApiError, api } from "./api.js"
import { botName, reasonText, sendPill } from "./contact-common.js"
import { platformBadge } from "./platforms.js"
import { clock, dateTime, errorText, h, mount, plural } from "./ui.js"

/** @typedef {import("./api.js").ContactMessage} ContactMessage */
/** @typedef {import("./api.js").ContactAttempt} ContactAttempt */
/** @typedef {import("./api.js").PlatformSpec} PlatformSpec */
/** @typedef {import("./contact-common.js").BotDirectory} BotDirectory */
/** @typedef {{ id: string, text: string, at: string }} Remembered */

const STORE_KEY = "switchboard.contactSends"
/** Sends remembered per contact, newest first. */
const KEEP = 20
const POLL_MS = 2000
/** How long a send is followed before the page stops asking (a receipt may come much later, or never). */
const WATCH_MS = 60_000

/** @returns {Record<string, Remembered[]>} */
function readStore() {
  try {
    const data = JSON.parse(sessionStorage.getItem(STORE_KEY) ?? "{}")
    return data && typeof data === "object" && !Array.isArray(data) ? data : {}
  } catch {
    return {}
  }
}
/** @param {string} contactId @param {(list: Remembered[]) => Remembered[]} change */
function store(contactId, change) {
  const all = readStore()
  const list = change(Array.isArray(all[contactId]) ? (all[contactId] ?? []) : []).slice(0, KEEP)
  if (list.length) all[contactId] = list
  else delete all[contactId]
  try {
    sessionStorage.setItem(STORE_KEY, JSON.stringify(all))
  } catch {
    // storage full or refused: the timelines still show until the page is left
  }
}

/** @param {unknown} r @returns {r is Remembered} */
const isRemembered = (r) =>
  typeof r === "object" &&
  r !== null &&
  typeof (/** @type {Remembered} */ (r).id) === "string" &&
  typeof (/** @type {Remembered} */ (r).text) === "string"

/**
 * Whether the platform sends delivery receipts, when GET /api/platforms says so (`capabilities.deliveryReceipts`);
 * null when it doesn't say.
 * @param {PlatformSpec[]} platforms @param {string} platform
 */
function receipts(platforms, platform) {
  const caps = /** @type {Record<string, unknown> | undefined} */ (
    platforms.find((p) => p.platform === platform)?.capabilities
  )
  const said = caps?.deliveryReceipts
  return typeof said === "boolean" ? said : null
}

/**
 * Final: delivered, read or failed; or sent on a platform known to send no receipts (nothing more will happen).
 * @param {ContactMessage} m @param {PlatformSpec[]} platforms
 */
function isFinal(m, platforms) {
  if (m.status === "delivered" || m.status === "read" || m.status === "failed") return true
  const last = m.attempts.at(-1)
  return m.status === "sent" && last !== undefined && receipts(platforms, last.platform) === false
}

/**
 * @param {{ contactId: string, bots: BotDirectory, platforms: PlatformSpec[] }} o
 * @returns {{ section: HTMLElement, add: (message: ContactMessage, text: string) => void, stop: () => void }}
 */
export function sendTimeline({ contactId, bots, platforms }) {
  /** @type {Map<string, { node: HTMLLIElement, head: HTMLElement, hops: HTMLOListElement, error: HTMLElement,
   *   route: HTMLElement, watch: HTMLElement, until: number, final: boolean, text: string, at: string }>} */
  const entries = new Map()
  const list = h("ol", { class: "sends", "aria-label": "Messages sent from this page, newest first" })
  const none = h("p", { class: "muted" }, "Messages you send here appear with each channel tried, as it happens.")
  let timer = 0
  let busy = false

  /** @param {Remembered} r @param {boolean} first  newest: at the top */
  function entry(r, first) {
    const e = {
      node: h("li", { class: "send-entry", "data-message": r.id }),
      head: h("div", { class: "send-head" }),
      hops: h("ol", { class: "timeline", "aria-label": "Channels tried, in order" }),
      error: h("div", {}),
      route: h("div", {}),
      watch: h("span", { class: "live" }, "Loading…"),
      until: Date.now() + WATCH_MS,
      final: false,
      text: r.text,
      at: r.at,
    }
    mount(e.node, e.head, e.hops, e.error, e.route)
    entries.set(r.id, e)
    if (first) list.prepend(e.node)
    else list.append(e.node)
    none.hidden = true
    return e
  }

  /** @param {ContactMessage} m */
  function draw(m) {
    const e = entries.get(m.id)
    if (!e) return
    e.final = isFinal(m, platforms)
    e.node.dataset.status = m.status
    e.node.dataset.final = String(e.final)
    mount(
      e.head,
      sendPill(m.status),
      h("q", { class: "send-text", title: e.text }, e.text),
      h("time", { datetime: m.createdAt, title: dateTime(m.createdAt), class: "muted" }, clock(m.createdAt)),
      e.watch,
    )
    drawWatch(m.id)
    mount(e.hops, ...m.attempts.map((a) => hop(a, bots)))
    if (m.attempts.length === 0)
      e.hops.append(h("li", { class: "hop none muted" }, "No channel was tried: none could take the message."))
    mount(e.error, m.status === "failed" && m.error ? h("div", { class: "error-box send-error" }, m.error) : null)
    if (!e.route.firstChild) {
      const skipped = m.route.candidates.filter((c) => !c.kept)
      if (skipped.length)
        mount(
          e.route,
          h(
            "details",
            { class: "send-route" },
            h("summary", {}, `${plural(skipped.length, "channel")} skipped`),
            h(
              "ul",
              {},
              ...skipped.map((c) =>
                h("li", {}, platformBadge(c.platform), " ", botName(bots, c.botId), " · ", reasonText(c.reason)),
              ),
            ),
          ),
        )
    }
  }

  /** The entry's live note: following it, final, or no longer followed (with a way to follow it again). @param {string} id */
  function drawWatch(id) {
    const e = entries.get(id)
    if (!e) return
    if (e.final) {
      e.watch.className = "watch-done muted"
      e.watch.textContent = "Final"
    } else if (Date.now() < e.until) {
      e.watch.className = "live"
      e.watch.textContent = "Following…"
    } else {
      e.watch.className = "watch-stopped muted"
      mount(
        e.watch,
        "Stopped following after a minute. ",
        h(
          "button",
          {
            type: "button",
            class: "ghost small",
            onclick: () => {
              e.until = Date.now() + WATCH_MS
              drawWatch(id)
              start()
            },
          },
          "Follow again",
        ),
      )
    }
  }

  /** @param {string} id */
  async function fetchOne(id) {
    const e = entries.get(id)
    if (!e) return
    try {
      draw(await api.contactMessage(contactId, id))
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        e.final = true
        store(contactId, (l) => l.filter((r) => r.id !== id))
        e.watch.className = "watch-done muted"
        e.watch.textContent = "No longer available: the contact was merged or deleted, or the send expired."
        return
      }
      e.watch.className = "live paused"
      e.watch.textContent = `Paused: ${errorText(err)} Retrying…`
    }
  }

  async function tick() {
    if (busy || document.visibilityState !== "visible") return
    const now = Date.now()
    const due = [...entries].filter(([, e]) => !e.final && now < e.until).map(([id]) => id)
    for (const [id, e] of entries) if (!e.final && now >= e.until) drawWatch(id)
    if (due.length === 0) {
      clearInterval(timer)
      timer = 0
      return
    }
    busy = true
    try {
      await Promise.all(due.map(fetchOne))
    } finally {
      busy = false
    }
  }

  function start() {
    if (!timer) timer = window.setInterval(() => void tick(), POLL_MS)
  }

  // What this tab sent before (a reload): read each once, and follow the ones not final yet.
  const stored = readStore()[contactId]
  const remembered = Array.isArray(stored) ? stored.filter(isRemembered) : []
  for (const r of remembered) entry(r, false)
  void Promise.all(remembered.map((r) => fetchOne(r.id))).then(start)

  const section = h(
    "section",
    { class: "panel", "aria-labelledby": "sends-title" },
    h(
      "div",
      { class: "panel-head" },
      h("h2", { id: "sends-title" }, "Sent from this page"),
      h("span", { class: "hint" }, "Kept for this browser tab."),
    ),
    none,
    list,
  )
  none.hidden = entries.size > 0

  return {
    section,
    add(message, text) {
      store(contactId, (l) => [
        { id: message.id, text, at: message.createdAt },
        ...l.filter((r) => r.id !== message.id),
      ])
      entries.get(message.id)?.node.remove()
      entries.delete(message.id)
      entry({ id: message.id, text, at: message.createdAt }, true)
      draw(message)
      start()
    },
    stop() {
      clearInterval(timer)
      timer = 0
    },
  }
}

/** One channel tried. @param {ContactAttempt} a @param {BotDirectory} bots */
const hop = (a, bots) =>
  h(
    "li",
    { class: `hop hop-${a.status}`, "data-hop": a.hop, "data-status": a.status },
    h("span", { class: "hop-n", "aria-hidden": "true" }, String(a.hop + 1)),
    h(
      "div",
      { class: "hop-body" },
      h(
        "div",
        { class: "hop-line" },
        platformBadge(a.platform),
        h("span", { class: "hop-bot" }, botName(bots, a.botId)),
        h("span", { class: "mono muted" }, a.chatId),
        sendPill(a.status),
        h(
          "time",
          { datetime: a.updatedAt, title: `Started ${dateTime(a.at)}, last change ${dateTime(a.updatedAt)}` },
          clock(a.updatedAt),
        ),
      ),
      a.error ? h("div", { class: "hop-error" }, a.error) : null,
    ),
  )
