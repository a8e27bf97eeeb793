// @ts-check
// Bot detail: config (secrets as set / not set), controls, 24 h counters and chart, live activity log, test console.
import { api, session } from "./api.js"
import {
  ago,
  clock,
  confirmDialog,
  errorText,
  fieldLabel,
  fmt,
  h,
  mount,
  pct,
  platformBadge,
  statusPill,
  toast,
} from "./ui.js"

const POLL_MS = 3000

/**
 * @param {HTMLElement} main
 * @param {string} id
 * @returns {Promise<() => void>} stops polling
 */
export async function renderDetail(main, id) {
  const canWrite = session.canWrite()
  const [{ bot }, { platforms }] = await Promise.all([api("GET", `/api/bots/${id}`), api("GET", "/api/platforms")])
  const spec = platforms.find((/** @type {any} */ p) => p.platform === bot.platform)

  const statusEl = h("span", {}, statusPill(bot.status))
  const counters = h("div", { class: "cards", "aria-live": "polite" })
  const chart = h("div", { class: "chart" })
  const log = h("ol", { class: "log", "aria-label": "Activity log, newest first" })
  const controlResult = h("div", { "aria-live": "polite" })

  /** @param {"start" | "stop" | "restart"} action */
  const control = async (action) => {
    try {
      const res = await api("POST", `/api/bots/${id}/control`, { action })
      statusEl.replaceChildren(statusPill(res.bot.status))
      mount(
        controlResult,
        res.result.ok ? "" : h("div", { class: "error-box" }, `The platform refused: ${res.result.error?.message}`),
      )
      toast(`Bot ${res.bot.status}`)
      await refresh()
    } catch (e) {
      mount(controlResult, h("div", { class: "error-box", role: "alert" }, errorText(e)))
    }
  }
  const remove = async () => {
    if (
      !(await confirmDialog(
        `Delete “${bot.name}”?`,
        "Its webhook is removed and its logs and queue are deleted. This cannot be undone.",
        "Delete",
        true,
      ))
    )
      return
    try {
      await api("DELETE", `/api/bots/${id}`)
      toast("Bot deleted")
      location.hash = "#/bots"
    } catch (e) {
      mount(controlResult, h("div", { class: "error-box", role: "alert" }, errorText(e)))
    }
  }
  const disabled = !canWrite
  const title = disabled ? "Viewers can't change bots" : undefined

  // Config: handler settings, and each credential as set / not set (or its value when it isn't secret).
  const handler = bot.handler
  const config = h(
    "dl",
    { class: "kv" },
    h("dt", {}, "Bot id"),
    h("dd", { class: "mono" }, bot.id),
    h("dt", {}, "Webhook URL"),
    h("dd", { class: "mono" }, bot.webhookUrl),
    h("dt", {}, "Handler"),
    h(
      "dd",
      {},
      handler.type === "forward"
        ? `Forward → ${handler.url}`
        : handler.type === "ai"
          ? `AI · ${handler.model} @ ${handler.baseUrl}`
          : "Echo",
    ),
    ...(spec?.credentialFields ?? []).flatMap((/** @type {{name: string, secret: boolean}} */ f) => [
      h("dt", {}, fieldLabel(f.name)[0]),
      h(
        "dd",
        {},
        f.secret
          ? h("span", { class: "badge" }, bot.credentials?.configured ? "set" : "not set")
          : (bot.credentials?.[f.name] ?? "—"),
      ),
    ]),
    h("dt", {}, "Created"),
    h("dd", {}, new Date(bot.createdAt).toLocaleString()),
    h("dt", {}, "Last active"),
    h("dd", {}, ago(bot.lastActive)),
  )

  // Test console: runs the handler through POST /test/message; nothing is sent to the platform.
  const consoleInput = h("input", {
    type: "text",
    id: "console-text",
    placeholder: "Type a message as a user would",
    "aria-label": "Test message",
  })
  const consoleOut = h("div", { class: "console-out", "aria-live": "polite" }, "Replies appear here.")
  const consoleForm = h(
    "form",
    {
      onsubmit: async (/** @type {SubmitEvent} */ e) => {
        e.preventDefault()
        if (!consoleInput.value.trim()) return
        consoleOut.textContent = "…"
        try {
          const res = await api("POST", "/test/message", {
            botId: id,
            message: consoleInput.value,
            chatId: "dashboard-test",
          })
          consoleOut.textContent = res.replies.length
            ? res.replies.map((/** @type {any} */ r) => `→ ${r.text ?? JSON.stringify(r)}`).join("\n")
            : "(the handler chose not to reply)"
        } catch (err) {
          consoleOut.textContent = `Error: ${errorText(err)}`
        }
      },
    },
    h("div", { class: "toolbar" }, consoleInput, h("button", { type: "submit", class: "primary" }, "Send")),
    consoleOut,
  )

  mount(
    main,
    h("p", {}, h("a", { href: "#/bots" }, "← Integrations")),
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        h("h1", {}, bot.name),
        h(
          "p",
          { class: "sub" },
          platformBadge(bot.platform),
          " ",
          statusEl,
          bot.statusReason ? h("span", { class: "muted" }, ` · ${bot.statusReason}`) : null,
        ),
      ),
      h(
        "div",
        { class: "row-actions" },
        h("button", { type: "button", disabled, title, onclick: () => control("start") }, "Start"),
        h("button", { type: "button", disabled, title, onclick: () => control("stop") }, "Stop"),
        h("button", { type: "button", disabled, title, onclick: () => control("restart") }, "Restart"),
        canWrite
          ? h("a", { class: "button", href: `#/bots/${id}/edit` }, "Edit")
          : h("button", { type: "button", disabled, title }, "Edit"),
        h("button", { type: "button", class: "danger", disabled, title, onclick: remove }, "Delete"),
      ),
    ),
    controlResult,
    counters,
    h(
      "div",
      { class: "grid two" },
      h(
        "section",
        { class: "panel" },
        h("h2", {}, "Messages, last 24 hours"),
        chart,
        h(
          "div",
          { class: "legend" },
          h("span", { class: "in" }, "Inbound"),
          h("span", { class: "out" }, "Outbound"),
          h("span", { class: "failed" }, "Failed"),
        ),
      ),
      h("section", { class: "panel" }, h("h2", {}, "Activity"), log),
      h("section", { class: "panel" }, h("h2", {}, "Configuration"), config),
      h(
        "section",
        { class: "panel" },
        h("h2", {}, "Test console"),
        h(
          "p",
          { class: "hint" },
          "Runs a message through this bot's handler and shows the reply. Nothing is sent to the platform.",
        ),
        consoleForm,
      ),
    ),
  )

  async function refresh() {
    const [stats, logs] = await Promise.all([
      api("GET", `/api/bots/${id}/stats`),
      api("GET", `/api/bots/${id}/logs?limit=50`),
    ])
    mount(
      counters,
      stat("Inbound 24 h", fmt(stats.last24h.inbound), "stat-in"),
      stat("Outbound 24 h", fmt(stats.last24h.outbound), "stat-out"),
      stat("Failed 24 h", fmt(stats.last24h.failed), "stat-failed"),
      stat("Failure rate", pct(stats.last24h.failureRate), "stat-rate"),
      stat("Queued", fmt(stats.queue.queued), "stat-queue"),
    )
    mount(chart, drawChart(stats.hours))
    mount(
      log,
      ...(logs.logs.length
        ? logs.logs.map((/** @type {any} */ l) =>
            h(
              "li",
              { class: l.level, "data-event": l.event },
              h("time", { datetime: l.at }, clock(l.at)),
              h("div", {}, h("div", { class: "msg" }, l.message), h("div", { class: "event" }, l.event)),
            ),
          )
        : [
            h(
              "li",
              {},
              h("span", {}),
              h("span", { class: "muted" }, "No activity yet. Send the bot a message on its platform."),
            ),
          ]),
    )
  }
  await refresh()
  const timer = window.setInterval(() => {
    if (document.visibilityState === "visible") refresh().catch(() => undefined)
  }, POLL_MS)
  return () => clearInterval(timer)
}

/** @param {string} label @param {string} value @param {string} id */
const stat = (label, value, id) =>
  h("div", { class: "stat", id }, h("div", { class: "label" }, label), h("div", { class: "value" }, value))

const SVG = "http://www.w3.org/2000/svg"
/** @param {string} tag @param {Record<string, string | number>} attrs */
function svg(tag, attrs) {
  const el = document.createElementNS(SVG, tag)
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v))
  return el
}

/**
 * Grouped bars per hour (inbound, outbound, failed), plain SVG.
 * @param {{hour: string, inbound: number, outbound: number, failed: number}[]} hours
 */
function drawChart(hours) {
  const width = 380
  const height = 170
  const pad = { top: 10, bottom: 22, left: 30, right: 18 }
  const max = Math.max(1, ...hours.flatMap((b) => [b.inbound, b.outbound, b.failed]))
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": `Messages per hour, last 24 hours; peak ${max}`,
  })
  const plotH = height - pad.top - pad.bottom
  const slot = (width - pad.left - pad.right) / hours.length
  const bar = Math.max(2, (slot - 4) / 3)
  for (const frac of max >= 4 ? [0, 0.5, 1] : [0, 1]) {
    const y = pad.top + plotH * (1 - frac)
    root.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y, y2: y, stroke: "#e3e6ec" }))
    const label = svg("text", { x: pad.left - 6, y: y + 4, "text-anchor": "end", "font-size": 10, fill: "#5d6677" })
    label.textContent = String(Math.round(max * frac))
    root.append(label)
  }
  hours.forEach((b, i) => {
    const x0 = pad.left + i * slot + 2
    ;[
      [b.inbound, "#2563eb"],
      [b.outbound, "#10b981"],
      [b.failed, "#d93025"],
    ].forEach(([value, color], j) => {
      const hgt = (Number(value) / max) * plotH
      const rect = svg("rect", {
        x: x0 + j * bar,
        y: pad.top + plotH - hgt,
        width: bar - 0.5,
        height: hgt,
        fill: String(color),
        rx: 1,
      })
      const tip = svg("title", {})
      tip.textContent = `${new Date(b.hour).getHours()}:00 · in ${b.inbound}, out ${b.outbound}, failed ${b.failed}`
      rect.append(tip)
      root.append(rect)
    })
    if (i % 6 === 0 || i === hours.length - 1) {
      const t = svg("text", {
        x: x0 + slot / 2,
        y: height - 6,
        "text-anchor": "middle",
        "font-size": 11,
        fill: "#5d6677",
      })
      t.textContent = `${String(new Date(b.hour).getHours()).padStart(2, "0")}:00`
      root.append(t)
    }
  })
  return root
}
