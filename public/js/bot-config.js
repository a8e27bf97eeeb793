// @ts-check
// The bot page's Configuration: how updates arrive (with the last poll or the gateway's state), the webhook URL (and a
// warning when platforms can't reach it), the handler, and each credential: a secret only as set or not (GET
// /api/bots/{id}: secretsSet), with a link to replace it; a non-secret one as its value.
import { platformName } from "./platforms.js"
import { ago, copyRow, dateTime, fmt, h, mount } from "./ui.js"

/** @typedef {import("./api.js").Bot} Bot */
/** @typedef {import("./api.js").BotStats} BotStats */
/** @typedef {import("./api.js").PlatformSpec} PlatformSpec */

/** What each state of a gateway connection reads as. */
const GATEWAY_STATES = {
  connected: "connected",
  connecting: "connecting…",
  resuming: "resuming the session…",
  closed: "closed",
}

/**
 * A warning for a bot whose platform pushes updates to a URL it can't reach (not public https: a local deployment
 * without a tunnel), or null when the URL is fine or not used (polling).
 * @param {Bot} bot
 */
export function webhookWarning(bot) {
  if (bot.updates.mode === "polling" || bot.webhookUrlPublic) return null
  const name = platformName(bot.platform)
  const what =
    URL.canParse(bot.webhookUrl) && new URL(bot.webhookUrl).protocol !== "https:" ? "plain http" : "not public"
  return h(
    "div",
    { class: "warning-box webhook-warning", role: "note" },
    h("strong", {}, `${name} can't reach this webhook URL. `),
    `${name} calls only public https: addresses, and this one is ${what}. ` +
      "Set PUBLIC_BASE_URL to this deployment's public https address (or a tunnel's), then Restart the bot " +
      "(or paste the new URL where this one was pasted).",
  )
}

/**
 * @param {string} botId @param {PlatformSpec | undefined} spec @param {boolean} canWrite
 * @returns {{ element: HTMLDListElement, draw: (bot: Bot) => void, stats: (stats: BotStats) => void }}
 */
export function configPanel(botId, spec, canWrite) {
  const element = h("dl", { class: "kv" })
  const lastPoll = h("dd", { id: "last-poll" }, "—")
  // A bot whose platform pushes messages over a socket the bot holds (GET /api/platforms: capabilities.gateway): the
  // socket's state and the platform's last heartbeat acknowledgement, from the stats like the last poll.
  const gateway = spec?.capabilities.gateway === true
  const gatewayState = h("dd", { id: "gateway-state" }, "—")
  const lastHeartbeat = h("dd", { id: "last-heartbeat" }, "—")
  const editHref = `#/bots/${encodeURIComponent(botId)}/edit`

  /** @param {Bot} bot @param {PlatformSpec["credentialFields"][number]} f */
  function credential(bot, f) {
    if (!f.secret) return h("span", { class: "mono" }, String(bot.credentials[f.name] ?? "—"))
    const set = bot.secretsSet?.[f.name] === true
    const state = set ? "Set" : f.required ? "Not set" : "Not set (optional)"
    return h(
      "span",
      { class: "secret-line" },
      h(
        "span",
        { class: `secret-state ${set ? "set" : f.required ? "unset" : "optional"}`, "data-secret": f.name },
        state,
      ),
      canWrite
        ? h(
            "a",
            {
              class: "secret-replace",
              href: `${editHref}?field=${encodeURIComponent(`credentials.${f.name}`)}`,
              "aria-label": `${set ? "Replace" : "Set"} ${f.label}`,
            },
            set ? "Replace" : "Set",
          )
        : null,
    )
  }

  /** @param {Bot} bot */
  function draw(bot) {
    const handler = bot.handler
    const overrides = Object.entries(bot.limits ?? {})
    const polling = bot.updates.mode === "polling"
    mount(
      element,
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
        webhookWarning(bot),
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
      ...(spec?.credentialFields ?? []).flatMap((f) => [h("dt", {}, f.label), h("dd", {}, credential(bot, f))]),
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

  /** The last poll and the gateway's state come with each poll of the stats. @param {BotStats} stats */
  function fromStats(stats) {
    const at = stats.polling ? stats.polling.lastPollAt : null
    lastPoll.textContent = at ? ago(at) : "never"
    lastPoll.title = at ? dateTime(at) : "The platform has not answered a poll yet"
    if (!gateway) return
    const g = stats.gateway
    const state = g?.state ?? "closed"
    gatewayState.dataset.state = state
    gatewayState.textContent = GATEWAY_STATES[state]
    const ack = g?.lastHeartbeatAckAt ?? null
    lastHeartbeat.textContent = ack ? ago(ack) : "none yet"
    lastHeartbeat.title = ack
      ? dateTime(ack)
      : "The platform has not acknowledged a heartbeat since the bot's object started"
  }

  return { element, draw, stats: fromStats }
}
