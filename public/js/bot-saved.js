// @ts-check
// After a bot is created (or an edit issued a signing secret): its own address, the webhook URL, and what is left to
// do on the platform's side: nothing where Switchboard registers the URL itself, the platform's steps where it is
// pasted by hand (GET /api/platforms: webhookSetup), a warning when the platform can't reach it; a one-time secret.
import { webhookWarning } from "./bot-config.js"
import { platformName } from "./platforms.js"
import { copyRow, fmt, go, h, mount } from "./ui.js"

/** @typedef {import("./api.js").BotWrite} BotWrite */
/** @typedef {import("./api.js").PlatformSpec} PlatformSpec */

/**
 * @param {HTMLElement} view
 * @param {BotWrite} res
 * @param {boolean} created
 * @param {PlatformSpec | undefined} spec  the bot's platform, as GET /api/platforms describes it
 */
export function showSaved(view, res, created, spec) {
  const { bot } = res
  const name = platformName(bot.platform)
  const setupFailed = res.setup && !res.setup.ok
  const polling = bot.updates.mode === "polling"
  const manual = spec?.webhookSetup ?? null
  const href = `#/bots/${encodeURIComponent(bot.id)}`
  mount(
    view,
    h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("a", { href: "#/bots" }, "Integrations")),
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        h(
          "h1",
          { tabIndex: -1, "data-autofocus": "1" },
          created ? `“${bot.name}” is connected` : `“${bot.name}” saved`,
        ),
        h(
          "p",
          { class: "sub" },
          polling
            ? "Switchboard polls for its updates: messages start flowing now."
            : manual
              ? "One more step on the platform's side, then messages start flowing."
              : `Switchboard registered its webhook with ${name}: messages start flowing now.`,
        ),
      ),
    ),
    setupFailed
      ? h(
          "div",
          { class: "error-box", role: "alert" },
          h(
            "strong",
            {},
            polling ? "The platform refused to start polling. " : "The platform refused the webhook setup. ",
          ),
          `${res.setup?.error?.message ?? "Unknown error"}. Check the credentials (Edit), then Start the bot.`,
        )
      : null,
    h(
      "section",
      { class: "panel success" },
      ...(bot.updates.mode === "polling"
        ? [
            h("h2", {}, "Long polling"),
            h(
              "p",
              { class: "hint", id: "polling-note" },
              `Nothing to paste: Switchboard removed the bot's webhook and asks ${name} for new updates itself, ` +
                `pausing ${fmt(bot.updates.intervalMs ?? 1000)} ms between polls. The bot's page shows when it last polled.`,
            ),
          ]
        : [
            h("h2", {}, manual ? `${manual.urlName} for ${name}` : "Webhook URL"),
            copyRow(bot.webhookUrl, "webhook-url", "Webhook URL"),
            manual
              ? h(
                  "div",
                  { class: "setup-steps", id: "webhook-setup" },
                  h("h3", {}, `Paste it in ${name}`),
                  h("p", {}, manual.steps),
                )
              : h(
                  "p",
                  { class: "hint", id: "webhook-setup" },
                  `Nothing to paste: Switchboard gave this URL to ${name} itself, and does again on every Start.`,
                ),
            webhookWarning(bot),
          ]),
      h(
        "p",
        { class: "hint bot-address" },
        "Its page: ",
        h("a", { href, id: "created-bot-link" }, `${location.origin}/${href}`),
        " · Bot ID ",
        h("code", { id: "created-bot-id" }, bot.id),
      ),
      res.signingSecret
        ? h(
            "div",
            { class: "secret" },
            h("h2", {}, "Signing secret"),
            h(
              "p",
              { class: "hint" },
              h("strong", {}, "Shown only this once. "),
              'Your endpoint verifies X-Switchboard-Signature with it: sha256=HMAC-SHA256(secret, "<timestamp>.<body>").',
            ),
            copyRow(res.signingSecret, "signing-secret", "Signing secret"),
          )
        : null,
    ),
    h(
      "div",
      { class: "row-actions" },
      h("a", { class: "button primary", href }, "Open bot"),
      h("a", { class: "button", href: "#/bots" }, "Back to integrations"),
      h("button", { type: "button", onclick: () => go("#/new") }, "Add another"),
    ),
  )
  const heading = view.querySelector("h1")
  heading?.focus()
  window.scrollTo(0, 0)
}
