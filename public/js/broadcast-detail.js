// @ts-check
// A broadcast's page: its status, a live progress bar of what happened to each recipient (sent, delivered, failed,
// skipped, cancelled, of the total), the rate and the time left, re-read every 2 s while it runs, waits or is paused;
// Pause / Resume / Cancel (after a confirmation) for owners and admins; each recipient's outcome as a CSV file.
import { ApiError, api, session } from "./api.js"
import {
  broadcastPill,
  broadcastsHref,
  etaText,
  hasReceipts,
  LIVE,
  progressBar,
  progressText,
  rateText,
  segments,
} from "./broadcast-common.js"
import { botCrumbs } from "./broadcasts.js"
import { loadPlatforms } from "./platforms.js"
import { append, confirmDialog, dateTime, emptyState, errorBox, errorText, fmt, h, mount, toast } from "./ui.js"

/** @typedef {import("./api.js").Broadcast} Broadcast */
/** @typedef {import("./api.js").BroadcastAction} BroadcastAction */

const POLL_MS = 2000

/** What each action does, for its confirmation and its toast. */
const DONE = { pause: "paused", resume: "resumed", cancel: "cancelled" }

/**
 * @param {HTMLElement} view
 * @param {string} botId
 * @param {string} id
 * @returns {Promise<() => void>} stops following the broadcast
 */
export async function renderBroadcast(view, botId, id) {
  const canWrite = session.canWrite()
  const readOnly = canWrite ? undefined : "Viewers can't change broadcasts"
  const [{ bot }, platforms, loaded] = await Promise.all([
    api.getBot(botId),
    loadPlatforms(),
    api.getBroadcast(botId, id).catch((e) => {
      if (e instanceof ApiError && e.status === 404) return null
      throw e
    }),
  ])
  const back = h("a", { href: broadcastsHref(botId) }, "Broadcasts")
  if (!loaded) {
    view.append(
      botCrumbs(bot, back),
      emptyState(
        "Broadcast not found",
        `${bot.name} has no broadcast with this id: it may belong to another bot.`,
        h("a", { class: "button primary", href: broadcastsHref(botId) }, "Back to broadcasts"),
      ),
    )
    return () => {}
  }
  let b = loaded.broadcast
  document.title = `${b.name} · Broadcasts · Switchboard`

  const statusSlot = h("span", { class: "status-slot" })
  const live = h("span", { class: "live", title: "Re-read every 2 seconds" }, "Live")
  // Screen readers hear the status when it changes, not every refresh.
  const said = h("p", { class: "visually-hidden", role: "status" })
  const notice = h("div", { "aria-live": "polite" })
  /** @type {Record<BroadcastAction, HTMLButtonElement>} */
  const controls = {
    pause: h("button", { type: "button", title: readOnly, onclick: () => void control("pause") }, "Pause"),
    resume: h("button", { type: "button", title: readOnly, onclick: () => void control("resume") }, "Resume"),
    cancel: h(
      "button",
      { type: "button", class: "danger", title: readOnly, onclick: () => void control("cancel") },
      "Cancel broadcast",
    ),
  }
  const download = h(
    "a",
    {
      class: "button",
      href: `/api/bots/${encodeURIComponent(botId)}/broadcasts/${encodeURIComponent(id)}/results`,
      download: `${id}.csv`,
      onclick: (/** @type {MouseEvent} */ e) => {
        e.preventDefault()
        if (!download.hasAttribute("aria-disabled")) void save()
      },
    },
    "Download results (CSV)",
  )
  let busy = false

  const receipts = hasReceipts(platforms, bot.platform)
  const bar = progressBar({ label: "Recipients handled", big: true, receipts })
  const summary = h("p", { class: "bc-summary", id: "broadcast-summary" })
  const legend = h("ul", { class: "bc-legend", "aria-label": "Recipients by outcome" })
  const figures = h("div", { class: "cards four bc-figures" })
  const times = h("dl", { class: "kv" })

  function draw() {
    view.dataset.status = b.status
    mount(statusSlot, broadcastPill(b.status))
    live.hidden = !LIVE.has(b.status)
    live.classList.toggle("paused", b.status !== "running")
    const text = `Status: ${broadcastPill(b.status).textContent}`
    if (said.textContent !== text) said.textContent = text
    controls.pause.disabled = !canWrite || busy || !(b.status === "running" || b.status === "scheduled")
    controls.resume.disabled = !canWrite || busy || b.status !== "paused"
    controls.cancel.disabled = !canWrite || busy || b.status === "done" || b.status === "cancelled"
    bar.draw(b)
    summary.textContent = progressText(b)
    const { parts, waiting } = segments(b, receipts)
    mount(
      legend,
      ...parts.map((p) =>
        h(
          "li",
          { "data-count": p.key },
          h("span", { class: `key seg-${p.key}`, "aria-hidden": "true" }),
          `${p.label} `,
          h("strong", {}, fmt(p.value)),
        ),
      ),
      h(
        "li",
        { "data-count": "waiting" },
        h("span", { class: "key seg-waiting", "aria-hidden": "true" }),
        "Waiting ",
        h("strong", {}, fmt(waiting)),
      ),
    )
    mount(
      figures,
      figure("bc-total", "Recipients", fmt(b.total)),
      figure("bc-sent", "Sent", fmt(b.sent), b.read ? `${fmt(b.read)} read` : ""),
      figure("bc-rate", "Rate", rateText(b.rate), "accepted by the platform"),
      figure(
        "bc-eta",
        "Time left",
        b.status === "running" ? etaText(b.etaSeconds) : "—",
        b.status === "running" ? "at this rate" : b.status === "paused" ? "paused" : "",
      ),
    )
    mount(
      times,
      h("dt", {}, "Bot"),
      h("dd", {}, h("a", { href: `#/bots/${encodeURIComponent(botId)}` }, bot.name)),
      h("dt", {}, "Created"),
      h("dd", {}, dateTime(b.createdAt)),
      b.scheduledAt ? h("dt", {}, "Scheduled for") : null,
      b.scheduledAt ? h("dd", { id: "bc-scheduled" }, dateTime(b.scheduledAt)) : null,
      h("dt", {}, "Started"),
      h("dd", {}, b.startedAt ? dateTime(b.startedAt) : "not yet"),
      h("dt", {}, "Finished"),
      h("dd", {}, b.finishedAt ? dateTime(b.finishedAt) : "not yet"),
      h("dt", {}, "Broadcast ID"),
      h("dd", { class: "mono" }, b.id),
    )
  }

  /** @param {BroadcastAction} action */
  async function control(action) {
    if (action === "cancel") {
      const { waiting } = segments(b)
      const ok = await confirmDialog({
        title: `Cancel “${b.name}”?`,
        body: `${fmt(waiting)} recipients who have not got it yet never will. Messages already sent stay sent. This cannot be undone.`,
        confirm: "Cancel broadcast",
        danger: true,
      })
      if (!ok) return
    }
    busy = true
    draw()
    try {
      b = (await api.controlBroadcast(botId, id, action)).broadcast
      mount(notice)
      toast(`“${b.name}” ${DONE[action]}`)
    } catch (e) {
      mount(notice, errorBox(`Could not ${action} the broadcast: ${errorText(e)}`))
    } finally {
      busy = false
      draw()
      follow()
    }
  }

  /** Fetches the results with the token (a plain link would not send it) and saves them as a file. */
  async function save() {
    download.setAttribute("aria-disabled", "true")
    const label = download.textContent
    download.textContent = "Preparing the file…"
    try {
      const blob = await api.broadcastResults(botId, id)
      const url = URL.createObjectURL(blob)
      const a = h("a", { href: url, download: `${fileName(b.name)}-${id}.csv`, hidden: true })
      document.body.append(a)
      a.click()
      a.remove()
      window.setTimeout(() => URL.revokeObjectURL(url), 10_000)
    } catch (e) {
      mount(notice, errorBox(`Could not download the results: ${errorText(e)}`))
    } finally {
      download.removeAttribute("aria-disabled")
      download.textContent = label
    }
  }

  let timer = 0
  let stopped = false
  /** Re-reads the broadcast every 2 s while its counts can move (and the tab is visible). */
  function follow() {
    clearTimeout(timer)
    // A cancelled broadcast's messages already in flight still land: followed until none is left.
    if (stopped || !(LIVE.has(b.status) || b.queued > 0)) return
    timer = window.setTimeout(async () => {
      if (document.visibilityState === "visible" && !busy)
        try {
          b = (await api.getBroadcast(botId, id)).broadcast
          if (!busy) draw()
          mount(notice)
        } catch (e) {
          mount(notice, errorBox(`Not refreshing: ${errorText(e)}. Trying again…`))
        }
      follow()
    }, POLL_MS)
  }

  append(
    view,
    botCrumbs(bot, back, h("span", { "aria-current": "page" }, b.name)),
    h(
      "div",
      { class: "page-head" },
      h("div", {}, h("h1", {}, b.name), h("p", { class: "sub meta" }, statusSlot, live)),
      h("div", { class: "row-actions" }, controls.pause, controls.resume, controls.cancel, download),
    ),
    canWrite
      ? null
      : h(
          "div",
          { class: "readonly-note" },
          "You have read-only access: you can follow this broadcast but not change it.",
        ),
    notice,
    said,
    h(
      "section",
      { class: "panel bc-progress", "aria-labelledby": "progress-title" },
      h("h2", { id: "progress-title" }, "Progress"),
      bar.element,
      summary,
      legend,
    ),
    figures,
    h(
      "section",
      { class: "panel", "aria-labelledby": "times-title" },
      h("h2", { id: "times-title" }, "Details"),
      times,
    ),
  )
  draw()
  follow()
  return () => {
    stopped = true
    clearTimeout(timer)
  }
}

/**
 * @param {string} id @param {string} label @param {string} value @param {string} [note]
 */
const figure = (id, label, value, note = "") =>
  h(
    "div",
    { class: "stat", id },
    h("div", { class: "label" }, label),
    h("div", { class: "value" }, value),
    note ? h("div", { class: "note" }, note) : null,
  )

/** A name safe in a file name. @param {string} name */
const fileName = (name) =>
  name
    .normalize("NFKD")
    .replace(/[^\w.-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60) || "broadcast"
