// @ts-check
// Bot detail: controls, 24 h counters and chart, live activity log, configuration (secrets only as set), test console.
import { activityLog, LOG_PAGE, testConsole } from "./activity.js"
import { botAnalytics } from "./analytics.js"
import { api, session } from "./api.js"
import { botTabs } from "./broadcast-common.js"
import { hourlyChart } from "./chart.js"
import { loadPlatforms, platformBadge } from "./platforms.js"
import {
  ago,
  append,
  confirmDialog,
  copyRow,
  dateTime,
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
/** What each state of a gateway connection reads as. */
const GATEWAY_STATES = {
  connected: "connected",
  connecting: "connecting…",
  resuming: "resuming the session…",
  closed: "closed",
}

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
  const problem = h("div", { id: "status-problem" })
  let shownProblem = ""
  function drawProblem() {
    const reason = bot.status === "error" ? (bot.statusReason ?? "The platform refused this bot.") : ""
    if (reason === shownProblem) return // redrawn only on change, so a screen reader hears it once
    shownProblem = reason
    mount(
      problem,
      reason
        ? h(
            "div",
            { class: "error-box problem", role: "alert" },
            h("strong", {}, "This bot is not running. "),
            h("span", { class: "problem-reason" }, reason),
            h("p", { class: "problem-fix" }, fixFor(reason, canWrite)),
          )
        : null,
    )
  }

  function drawStatus() {
    mount(
      statusSlot,
      statusPill(bot.status),
      bot.statusReason && bot.status !== "error" ? h("span", { class: "reason" }, bot.statusReason) : null,
    )
    drawProblem()
    controls.start.disabled = !canWrite || busy || bot.status === "active"
    controls.stop.disabled = !canWrite || busy || bot.status === "stopped"
    controls.restart.disabled = !canWrite || busy || bot.status === "stopped"
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

  // Configuration: how updates arrive, the handler, and each credential as set / not set (or its value when it isn't
  // secret). The last poll comes from the stats, so it has its own node that each refresh updates.
  const config = h("dl", { class: "kv" })
  const lastPoll = h("dd", { id: "last-poll" }, "—")
  /** @type {string | null | undefined} undefined: no stats yet */
  let lastPollAt
  function drawLastPoll() {
    if (lastPollAt === undefined) return
    lastPoll.textContent = lastPollAt ? ago(lastPollAt) : "never"
    lastPoll.title = lastPollAt ? dateTime(lastPollAt) : "The platform has not answered a poll yet"
  }
  // A bot whose platform pushes messages over a socket the bot holds (GET /api/platforms: capabilities.gateway): the
  // socket's state and the platform's last heartbeat acknowledgement, from the stats like the last poll.
  const gateway = spec?.capabilities.gateway === true
  const gatewayState = h("dd", { id: "gateway-state" }, "—")
  const lastHeartbeat = h("dd", { id: "last-heartbeat" }, "—")
  /** @param {BotStats["gateway"]} g */
  function drawGateway(g) {
    if (!gateway) return
    const state = g?.state ?? "closed"
    gatewayState.dataset.state = state
    gatewayState.textContent = GATEWAY_STATES[state]
    const at = g?.lastHeartbeatAckAt ?? null
    lastHeartbeat.textContent = at ? ago(at) : "none yet"
    lastHeartbeat.title = at
      ? dateTime(at)
      : "The platform has not acknowledged a heartbeat since the bot's object started"
  }
  function drawConfig() {
    const handler = bot.handler
    const creds = spec?.credentialFields ?? []
    const overrides = Object.entries(bot.limits ?? {})
    const polling = bot.updates.mode === "polling"
    mount(
      config,
      h("dt", {}, "Bot ID"),
      h("dd", { class: "mono", id: "bot-id" }, bot.id),
      h("dt", {}, "Updates"),
      h(
        "dd",
        { id: "updates-mode" },
        bot.updates.mode === "polling"
          ? `Long polling, ${fmt(bot.updates.intervalMs ?? 1000)} ms between polls`
          : "Webhook",
      ),
      polling ? h("dt", {}, "Last poll") : null,
      polling ? lastPoll : null,
      gateway ? h("dt", {}, "Gateway") : null,
      gateway ? gatewayState : null,
      gateway ? h("dt", {}, "Last heartbeat ACK") : null,
      gateway ? lastHeartbeat : null,
      h("dt", {}, "Webhook URL"),
      h(
        "dd",
        {},
        polling
          ? h("span", { class: "muted" }, "Not used while the bot polls")
          : copyRow(bot.webhookUrl, "detail-webhook-url", "Webhook URL"),
      ),
      h("dt", {}, "Replies"),
      h(
        "dd",
        {},
        handler.type === "forward"
          ? h("span", {}, "Forward to ", h("span", { class: "mono" }, handler.url))
          : handler.type === "ai"
            ? h("span", {}, `AI · ${handler.model} `, h("span", { class: "mono muted" }, handler.baseUrl))
            : "Echo",
      ),
      ...creds.flatMap((f) => [
        h("dt", {}, f.label),
        h(
          "dd",
          {},
          !f.secret
            ? h("span", { class: "mono" }, String(bot.credentials[f.name] ?? "—"))
            : f.required
              ? h(
                  "span",
                  { class: `secret-state ${bot.credentials.configured ? "set" : "unset"}` },
                  bot.credentials.configured ? "Set" : "Not set",
                )
              : h("span", { class: "secret-state optional" }, "Optional · write-only"),
        ),
      ]),
      handler.type === "forward" ? h("dt", {}, "Signing secret") : null,
      handler.type === "forward" ? h("dd", {}, h("span", { class: "secret-state set" }, "Set")) : null,
      overrides.length ? h("dt", {}, "Pacing overrides") : null,
      overrides.length ? h("dd", { class: "mono" }, overrides.map(([k, v]) => `${k}=${v}`).join(", ")) : null,
      h("dt", {}, "Created"),
      h("dd", {}, dateTime(bot.createdAt)),
      h("dt", {}, "Last active"),
      h("dd", { title: bot.lastActive ? dateTime(bot.lastActive) : "" }, ago(bot.lastActive)),
    )
  }

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
          "You have read-only access: controls and the test console are disabled (a test runs the bot's handler, which may call your endpoint or an AI model).",
        ),
    problem,
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
      ),
      h(
        "div",
        { class: "col" },
        h(
          "section",
          { class: "panel", "aria-labelledby": "config-title" },
          h("h2", { id: "config-title" }, "Configuration"),
          config,
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
  drawConfig()

  let tick = 0
  async function refresh() {
    const withBot = tick++ % BOT_EVERY === 1
    const [stats, logs, fresh] = await Promise.all([
      api.stats(id),
      api.logs(id, LOG_PAGE),
      withBot ? api.getBot(id).then((r) => r.bot) : Promise.resolve(null),
    ])
    if (fresh) {
      bot = fresh
      drawStatus()
      drawConfig()
    }
    lastPollAt = stats.polling ? stats.polling.lastPollAt : null
    drawLastPoll()
    drawGateway(stats.gateway)
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

/**
 * What a bot owner can do about the reason the platform stopped their bot. The reason is the platform's own words, so
 * this reads them for the usual causes; anything else gets the general advice.
 * @param {string} reason @param {boolean} canWrite
 */
export function fixFor(reason, canWrite) {
  const who = canWrite ? "" : " (ask an owner or admin: viewers can't change bots)"
  if (/unauthori[sz]ed|\b401\b|revoked|invalid[\w ]*token|token[\w ]*(invalid|expired)|oauth|credential/i.test(reason))
    return `The platform no longer accepts this bot's token: it was revoked or replaced. Update the token: Edit, paste the current one, save; the bot starts again with it${who}.`
  if (/conflict|\b409\b|webhook is active|other getupdates/i.test(reason))
    return `Something else is using this bot's token: a webhook set by another service, or another program polling. Stop that one (or remove its webhook), then Restart${who}.`
  if (/unavailable|timed? ?out|\b5\d\d\b|network|reach/i.test(reason))
    return `The platform could not be reached. Restart the bot to try again${who}.`
  return `Check the credentials and settings (Edit), then Start the bot${who}.`
}
