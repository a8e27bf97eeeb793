// @ts-check
// A bot the platform stopped (status `error`): its reason in the platform's words, and what to do about it. A refused
// token can only be fixed by another one: Start and Restart stay disabled until the credentials change.
import { h, mount } from "./ui.js"

/** @typedef {import("./api.js").Bot} Bot */

/** The platform's words for credentials it no longer accepts (revoked, replaced, wrong). */
const CREDENTIALS_REFUSED =
  /unauthori[sz]ed|\b401\b|revoked|invalid[\w ]*token|token[\w ]*(invalid|expired)|oauth|credential/i

/**
 * Whether the bot is in error because the platform refused its credentials: only new ones can start it again (saving
 * them restarts it), so Start and Restart would only fail the same way.
 * @param {Pick<Bot, "status" | "statusReason">} bot
 */
export const needsNewCredentials = (bot) => bot.status === "error" && CREDENTIALS_REFUSED.test(bot.statusReason ?? "")

/**
 * What a bot owner can do about the reason the platform stopped their bot. The reason is the platform's own words, so
 * this reads them for the usual causes; anything else gets the general advice.
 * @param {string} reason @param {boolean} canWrite
 */
export function fixFor(reason, canWrite) {
  const who = canWrite ? "" : " (ask an owner or admin: viewers can't change bots)"
  if (CREDENTIALS_REFUSED.test(reason))
    return `The platform refused the token: it was revoked or replaced. Update the token: Edit, paste the current one, save; the bot starts again with it${who}.`
  if (/conflict|\b409\b|webhook is active|other getupdates/i.test(reason))
    return `Something else is using this bot's token: a webhook set by another service, or another program polling. Stop that one (or remove its webhook), then Restart${who}.`
  if (/unavailable|timed? ?out|\b5\d\d\b|network|reach/i.test(reason))
    return `The platform could not be reached. Restart the bot to try again${who}.`
  return `Check the credentials and settings (Edit), then Start the bot${who}.`
}

/**
 * The box above the bot's page, redrawn only when the reason changes (so a screen reader hears it once).
 * @param {string} botId @param {boolean} canWrite
 * @returns {{ element: HTMLElement, draw: (bot: Bot) => void }}
 */
export function problemBox(botId, canWrite) {
  const element = h("div", { id: "status-problem" })
  let shown = ""
  return {
    element,
    draw(bot) {
      const reason = bot.status === "error" ? (bot.statusReason ?? "The platform refused this bot.") : ""
      if (reason === shown) return
      shown = reason
      const token = needsNewCredentials(bot)
      mount(
        element,
        reason
          ? h(
              "div",
              { class: "error-box problem", role: "alert" },
              h("strong", {}, "This bot is not running. "),
              h("span", { class: "problem-reason" }, reason),
              h("p", { class: "problem-fix" }, fixFor(reason, canWrite)),
              token && canWrite
                ? h(
                    "p",
                    { class: "problem-action" },
                    h(
                      "a",
                      { class: "button primary", href: `#/bots/${encodeURIComponent(botId)}/edit` },
                      "Update the token",
                    ),
                    h("span", { class: "hint" }, " Start stays disabled until the credentials change."),
                  )
                : null,
            )
          : null,
      )
    },
  }
}
