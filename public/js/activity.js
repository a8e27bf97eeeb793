// @ts-check
// Two live panels of the bot detail page: the activity log (polled, merged, older pages on demand) and the test
// console (POST /test/message: the bot's handler answers, nothing reaches the platform).
import { api } from "./api.js"
import { clock, dateTime, errorText, h, mount, toast } from "./ui.js"

/** @typedef {import("./api.js").LogEntry} LogEntry */
/** @typedef {import("./api.js").LogPage} LogPage */

/** Entries per request, newest first. */
export const LOG_PAGE = 50

/**
 * @param {string} botId
 * @returns {{ list: HTMLOListElement, status: HTMLSpanElement, more: HTMLButtonElement,
 *   merge(page: LogPage): void, paused(reason: string): void }}
 */
export function activityLog(botId) {
  /** @type {Map<number, LogEntry>} */
  const entries = new Map()
  /** @type {number | null} */
  let olderCursor = null
  let first = true
  const list = h("ol", { class: "log", "aria-label": "Activity, newest first" })
  const status = h("span", { class: "live", role: "status" }, "Live")
  const more = h(
    "button",
    { type: "button", class: "ghost", hidden: true, onclick: () => void loadOlder() },
    "Load older",
  )

  /** @param {Set<number>} [fresh]  entries to highlight (arrived since the last poll) */
  function draw(fresh = new Set()) {
    const sorted = [...entries.values()].sort((a, b) => b.id - a.id)
    mount(
      list,
      ...(sorted.length
        ? sorted.map((l) => entry(l, fresh.has(l.id)))
        : [
            h(
              "li",
              { class: "none" },
              h(
                "p",
                { class: "muted" },
                "No activity yet. Send the bot a message on its platform, or try the test console.",
              ),
            ),
          ]),
    )
    more.hidden = olderCursor === null
  }

  async function loadOlder() {
    if (olderCursor === null) return
    more.disabled = true
    try {
      const page = await api.logs(botId, LOG_PAGE, olderCursor)
      for (const l of page.logs) entries.set(l.id, l)
      olderCursor = page.nextBefore
      draw()
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
      /** @type {Set<number>} */
      const added = new Set()
      for (const l of page.logs) {
        if (!entries.has(l.id) && !first) added.add(l.id)
        entries.set(l.id, l)
      }
      if (first) olderCursor = page.nextBefore
      first = false
      draw(added)
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
    { class: `${l.level}${fresh ? " fresh" : ""}`, "data-event": l.event },
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
