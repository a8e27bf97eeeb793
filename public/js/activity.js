// @ts-check
// Two live panels of the bot detail page: the activity log (polled, merged, older pages on demand) and the test
// console (POST /test/message: the bot's handler answers, nothing reaches the platform).
import { api } from "./api.js"
import { clock, dateTime, errorText, h, toast } from "./ui.js"

/** @typedef {import("./api.js").LogEntry} LogEntry */
/** @typedef {import("./api.js").LogPage} LogPage */

/** Entries per request, newest first. */
export const LOG_PAGE = 50

/**
 * The log is merged, never re-mounted: a poll prepends only entries newer than the newest shown, "Load older"
 * appends below the oldest, and the nodes already shown stay as they are (an open "Details", a text selection and the
 * reader's scroll position survive every poll).
 * @param {string} botId
 * @returns {{ list: HTMLOListElement, status: HTMLSpanElement, more: HTMLButtonElement,
 *   merge(page: LogPage): void, paused(reason: string): void }}
 */
export function activityLog(botId) {
  /** Ids of the entries shown. */
  /** @type {Set<number>} */
  const shown = new Set()
  let newest = Number.NEGATIVE_INFINITY
  let oldest = Number.POSITIVE_INFINITY
  /** @type {string | null} */
  let olderCursor = null
  let first = true
  /** Entries highlighted by the last poll: their highlight ends at the next one. */
  /** @type {HTMLLIElement[]} */
  let highlighted = []
  const list = h("ol", { class: "log", "aria-label": "Activity, newest first" })
  const none = h(
    "li",
    { class: "none" },
    h("p", { class: "muted" }, "No activity yet. Send the bot a message on its platform, or try the test console."),
  )
  list.append(none)
  const status = h("span", { class: "live", role: "status" }, "Live")
  const more = h(
    "button",
    { type: "button", class: "ghost", hidden: true, onclick: () => void loadOlder() },
    "Load older",
  )

  /**
   * Adds entries not shown yet at the top (newer than all shown) or the bottom (older than all shown).
   * @param {LogEntry[]} logs
   * @param {"newer" | "older"} where
   * @param {boolean} fresh  highlight them (they arrived since the last poll)
   * @returns {HTMLLIElement[]} the nodes added
   */
  function add(logs, where, fresh) {
    const edge = where === "newer" ? newest : oldest
    const chosen = logs
      .filter((l) => !shown.has(l.id) && (where === "newer" ? l.id > edge : l.id < edge))
      .sort((a, b) => b.id - a.id)
    const nodes = chosen.map((l) => entry(l, fresh))
    if (where === "newer") list.prepend(...nodes)
    else list.append(...nodes)
    for (const l of chosen) {
      shown.add(l.id)
      newest = Math.max(newest, l.id)
      oldest = Math.min(oldest, l.id)
    }
    if (shown.size > 0) none.remove()
    more.hidden = olderCursor === null
    return nodes
  }

  async function loadOlder() {
    if (olderCursor === null) return
    more.disabled = true
    try {
      const page = await api.logs(botId, LOG_PAGE, olderCursor)
      olderCursor = page.nextCursor
      add(page.logs, "older", false)
    } catch (e) {
      toast(`Could not load older entries: ${errorText(e)}`)
    } finally {
      more.disabled = false
    }
  }

  return {
    list,
    status,
    more,
    merge(page) {
      if (first) olderCursor = page.nextCursor
      for (const node of highlighted) node.classList.remove("fresh")
      highlighted = add(page.logs, "newer", !first)
      first = false
      status.className = "live"
      status.textContent = `Live · updated ${clock(new Date().toISOString())}`
    },
    paused(reason) {
      status.className = "live paused"
      status.textContent = `Paused: ${reason} Retrying…`
    },
  }
}

/** @param {LogEntry} l @param {boolean} fresh */
const entry = (l, fresh) =>
  h(
    "li",
    { class: `${l.level}${fresh ? " fresh" : ""}`, "data-id": l.id, "data-event": l.event },
    h("time", { datetime: l.at, title: dateTime(l.at) }, clock(l.at)),
    h(
      "div",
      { class: "entry" },
      h(
        "div",
        { class: "msg" },
        l.level === "info" ? null : h("span", { class: `level ${l.level}` }, l.level),
        l.message,
      ),
      h("code", { class: "event" }, l.event),
      l.detail && Object.keys(l.detail).length
        ? h("details", {}, h("summary", {}, "Details"), h("pre", {}, JSON.stringify(l.detail, null, 2)))
        : null,
    ),
  )

/**
 * A small chat: what you typed and what the handler answered (kept to the last 40 lines).
 * @param {string} botId
 * @returns {HTMLFormElement}
 */
export function testConsole(botId, canWrite = true) {
  const input = h("input", {
    type: "text",
    id: "console-text",
    autocomplete: "off",
    placeholder: canWrite ? "Type a message as a user would" : "Viewers can't run the bot's handler",
    disabled: !canWrite,
  })
  const transcript = h("ol", { class: "transcript", "aria-live": "polite", "aria-label": "Test conversation" })
  const send = h("button", { type: "submit", class: "primary", disabled: !canWrite }, "Send")
  /** @param {"you" | "bot" | "note" | "error"} who @param {string} text */
  const say = (who, text) => {
    transcript.querySelector(".placeholder")?.remove()
    transcript.append(
      h(
        "li",
        { class: who },
        h("span", { class: "speaker" }, who === "you" ? "You" : who === "bot" ? "Bot" : ""),
        h("span", { class: "text" }, text),
      ),
    )
    while (transcript.children.length > 40) transcript.firstElementChild?.remove()
    transcript.scrollTop = transcript.scrollHeight
  }
  transcript.append(h("li", { class: "placeholder muted" }, "Replies appear here. Nothing is sent to the platform."))
  return h(
    "form",
    {
      class: "console",
      onsubmit: async (/** @type {SubmitEvent} */ e) => {
        e.preventDefault()
        const text = input.value.trim()
        if (!text) {
          input.focus()
          return
        }
        say("you", text)
        input.value = ""
        send.disabled = true
        try {
          const { replies } = await api.testMessage(botId, text, "dashboard-test")
          if (replies.length === 0) say("note", "The handler chose not to reply.")
          for (const r of replies) say("bot", typeof r.text === "string" ? r.text : JSON.stringify(r))
        } catch (err) {
          say("error", errorText(err))
        } finally {
          send.disabled = false
          input.focus()
        }
      },
    },
    transcript,
    h(
      "div",
      { class: "console-input" },
      h("label", { for: "console-text", class: "visually-hidden" }, "Test message"),
      input,
      send,
    ),
  )
}
