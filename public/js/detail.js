// @ts-check
// Bot detail: controls, 24 h counters and chart, live activity log, what the bot sent (with Retry), configuration
// (secrets only as set), a send form and the test console. A bot the platform stopped says why and how to fix it.
import { activityLog, LOG_PAGE, testConsole } from "./activity.js"
import { botAnalytics } from "./analytics.js"
import { api, session } from "./api.js"
import { configPanel } from "./bot-config.js"
import { needsNewCredentials, problemBox } from "./bot-problem.js"
import { sendForm } from "./bot-send.js"
import { botTabs } from "./broadcast-common.js"
import { hourlyChart } from "./chart.js"
import { outboundPanel } from "./outbound.js"
import { loadPlatforms, platformBadge } from "./platforms.js"
import {
  append,
  confirmDialog,
  dropped,
  errorBox,
  errorText,
  fmt,
  h,
  mount,
  pct,
  plural,
  statusPill,
  toast,
} from "./ui.js"

/** @typedef {import("./api.js").Bot} Bot */
/** @typedef {import("./api.js").PlatformSpec} PlatformSpec */
/** @typedef {import("./api.js").ControlAction} ControlAction */
/** @typedef {import("./api.js").BotStats} BotStats */

const POLL_MS = 3000
/** The bot itself (status) is re-read every this many polls; stats and logs every poll. */
const BOT_EVERY = 3

/**
 * @param {HTMLElement} view
 * @param {string} id
 * @returns {Promise<() => void>} stops polling
 */
export async function renderDetail(view, id) {
  const canWrite = session.canWrite()
  const [{ bot: loaded }, platforms] = await Promise.all([api.getBot(id), loadPlatforms()])
  let bot = loaded
  document.title = `${bot.name} · Switchboard`
  const spec = platforms.find((p) => p.platform === bot.platform)

  // Header: name, status, controls.
  const statusSlot = h("span", { class: "status-slot" })
  const notice = h("div", { "aria-live": "polite" })
  const readOnly = canWrite ? undefined : "Viewers can't change bots"
  /** @type {Record<ControlAction, HTMLButtonElement>} */
  const controls = {
    start: h("button", { type: "button", title: readOnly, onclick: () => void control("start") }, "Start"),
    stop: h("button", { type: "button", title: readOnly, onclick: () => void control("stop") }, "Stop"),
    restart: h("button", { type: "button", title: readOnly, onclick: () => void control("restart") }, "Restart"),
  }
  const edit = canWrite
    ? h("a", { class: "button", href: `#/bots/${encodeURIComponent(id)}/edit` }, "Edit")
    : h("button", { type: "button", disabled: true, title: readOnly }, "Edit")
  const remove = h(
    "button",
    { type: "button", class: "danger", disabled: !canWrite, title: readOnly, onclick: () => void del() },
    "Delete",
  )
  let busy = false

  // A bot in error is not running: its reason, and what to do about it, above everything else.
  const problem = problemBox(id, canWrite)

  function drawStatus() {
    mount(
      statusSlot,
      statusPill(bot.status),
      bot.statusReason && bot.status !== "error" ? h("span", { class: "reason" }, bot.statusReason) : null,
    )
    problem.draw(bot)
    // A refused token fails every start the same way: only new credentials (Edit) start the bot again.
    const refused = needsNewCredentials(bot)
    controls.start.disabled = !canWrite || busy || bot.status === "active" || refused
    controls.stop.disabled = !canWrite || busy || bot.status === "stopped"
    controls.restart.disabled = !canWrite || busy || bot.status === "stopped" || refused
    const why = refused ? "The platform refused the token: update it first (Edit)" : readOnly
    controls.start.title = why ?? ""
    controls.restart.title = why ?? ""
  }

  /** @param {ControlAction} action */
  async function control(action) {
    busy = true
    drawStatus()
    try {
      const res = await api.control(id, action)
      bot = res.bot
      mount(
        notice,
        res.result.ok
          ? null
          : errorBox(`The platform refused the webhook change: ${res.result.error?.message ?? "unknown error"}`),
      )
      toast(`${bot.name}: ${bot.status === "active" ? "running" : bot.status}`)
      await refresh()
    } catch (e) {
      mount(notice, errorBox(errorText(e)))
    } finally {
      busy = false
      drawStatus()
    }
  }

  async function del() {
    const ok = await confirmDialog({
      title: `Delete “${bot.name}”?`,
      body: "Its webhook is removed from the platform, and its logs and queue are deleted: messages still waiting to be sent are dropped. This cannot be undone.",
      confirm: "Delete bot",
      danger: true,
    })
    if (!ok) return
    try {
      const { discarded } = await api.deleteBot(id)
      if (discarded > 0) toast(`${bot.name} deleted: ${dropped(discarded)}`, 8000)
      else toast(`${bot.name} deleted`)
      location.hash = "#/bots"
    } catch (e) {
      mount(notice, errorBox(errorText(e)))
    }
  }

  // Counters and chart.
  const counters = h("div", { class: "cards five" })
  const chartPanel = h("div", { class: "chart" })
  const chart = hourlyChart(chartPanel)

  const log = activityLog(id)
  const outbound = outboundPanel(id, canWrite)
  const config = configPanel(id, spec, canWrite)

  append(
    view,
    h(
      "nav",
      { class: "crumbs", "aria-label": "Breadcrumb" },
      h("a", { href: "#/bots" }, "Integrations"),
      h("span", { "aria-current": "page" }, bot.name),
    ),
    h(
      "div",
      { class: "page-head" },
      h("div", {}, h("h1", {}, bot.name), h("p", { class: "sub meta" }, platformBadge(bot.platform), statusSlot)),
      h("div", { class: "row-actions" }, controls.start, controls.stop, controls.restart, edit, remove),
    ),
    botTabs(id, "overview"),
    canWrite
      ? null
      : h(
          "div",
          { class: "readonly-note" },
          "You have read-only access: controls, sending and the test console are disabled (a test runs the bot's handler, which may call your endpoint or an AI model).",
        ),
    problem.element,
    notice,
    counters,
    h(
      "div",
      { class: "detail-grid" },
      h(
        "div",
        { class: "col" },
        h(
          "section",
          { class: "panel", "aria-labelledby": "chart-title" },
          h("h2", { id: "chart-title" }, "Messages, last 24 hours"),
          chartPanel,
        ),
        h(
          "section",
          { class: "panel", "aria-labelledby": "log-title" },
          h("div", { class: "panel-head" }, h("h2", { id: "log-title" }, "Activity"), log.status),
          log.list,
          h("div", { class: "panel-foot" }, log.more),
        ),
        outbound.section,
      ),
      h(
        "div",
        { class: "col" },
        h(
          "section",
          { class: "panel", "aria-labelledby": "config-title" },
          h("h2", { id: "config-title" }, "Configuration"),
          config.element,
        ),
        h(
          "section",
          { class: "panel", "aria-labelledby": "bot-send-title" },
          h("h2", { id: "bot-send-title" }, "Send a message"),
          h("p", { class: "hint" }, "Queued and paced like any send: it reaches the platform, unlike a test."),
          sendForm(id, canWrite, () => void outbound.refresh().catch(() => {})),
        ),
        h(
          "section",
          { class: "panel", "aria-labelledby": "console-title" },
          h("h2", { id: "console-title" }, "Test console"),
          h("p", { class: "hint" }, "Runs a message through this bot's handler and shows the reply."),
          testConsole(id, canWrite),
        ),
      ),
    ),
  )
  drawStatus()
  config.draw(bot)

  let tick = 0
  async function refresh() {
    const withBot = tick++ % BOT_EVERY === 1
    const [stats, logs, fresh] = await Promise.all([
      api.stats(id),
      api.logs(id, LOG_PAGE),
      withBot ? api.getBot(id).then((r) => r.bot) : Promise.resolve(null),
      outbound.refresh(),
    ])
    if (fresh) {
      bot = fresh
      drawStatus()
      config.draw(bot)
    }
    config.stats(stats)
    const t = stats.last24h
    mount(
      counters,
      stat("stat-in", "Inbound 24 h", fmt(t.inbound)),
      stat("stat-out", "Outbound 24 h", fmt(t.outbound)),
      stat("stat-failed", "Failed 24 h", fmt(t.failed), t.failed > 0 ? "bad" : ""),
      stat(
        "stat-rate",
        "Failure rate",
        pct(t.failureRate),
        (t.failureRate ?? 0) >= 0.05 ? "bad" : "",
        t.failureRate === null ? "nothing sent yet" : "failed / all sends",
      ),
      stat(
        "stat-queue",
        "Send queue",
        fmt(stats.queue.queued),
        "",
        `${plural(stats.queue.failed, "dead letter")} · ${fmt(stats.inboxPending)} inbound pending`,
      ),
    )
    chart.update(stats.hours)
    log.merge(logs)
  }
  await refresh()
  const analytics = botAnalytics(view, id)

  const timer = window.setInterval(() => {
    if (document.visibilityState !== "visible") return
    refresh().catch((e) => log.paused(errorText(e)))
  }, POLL_MS)
  return () => {
    clearInterval(timer)
    chart.disconnect()
    analytics.stop()
  }
}

/**
 * @param {string} id @param {string} label @param {string} value @param {string} [tone] @param {string} [note]
 */
const stat = (id, label, value, tone = "", note = "") =>
  h(
    "div",
    { class: `stat ${tone}`, id },
    h("div", { class: "label" }, label),
    h("div", { class: "value" }, value),
    note ? h("div", { class: "note" }, note) : null,
  )
