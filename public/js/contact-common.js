// @ts-check
// Pieces the Contacts and Routing pages share: the business's bots by id (for names), labelled fields registered under
// their API path, the API's validation messages in plain words, tags and key=value attributes as typed, badges.
import { api } from "./api.js"
import { platformBadge, platformName } from "./platforms.js"
import { h } from "./ui.js"

/** @typedef {import("./api.js").Bot} Bot */
/** @typedef {import("./api.js").ContactIdentity} ContactIdentity */
/** @typedef {import("./api.js").FieldError} FieldError */
/** @typedef {import("./form-fields.js").Control} Control */
/** @typedef {import("./form-fields.js").Fields} Fields */
/** @typedef {Map<string, Bot>} BotDirectory */

/** Bots per request, and how many pages are read at most (10 000 bots). */
const BOTS_PAGE = 100
const MAX_PAGES = 100

/**
 * Every bot of the business by id, for names and platforms next to identities (read on each page: bots change).
 * @returns {Promise<BotDirectory>}
 */
export async function loadBots() {
  /** @type {BotDirectory} */
  const bots = new Map()
  /** @type {string | null} */
  let cursor = null
  for (let i = 0; i < MAX_PAGES; i++) {
    const params = new URLSearchParams({ limit: String(BOTS_PAGE) })
    if (cursor) params.set("cursor", cursor)
    const page = await api.listBots(params)
    for (const b of page.bots) bots.set(b.id, b)
    cursor = page.nextCursor
    if (!cursor) break
  }
  return bots
}

/** A bot's name, or what is left of a deleted one. @param {BotDirectory} bots @param {string} botId */
export const botName = (bots, botId) => bots.get(botId)?.name ?? `deleted bot ${botId}`

/** A link to the bot's page (plain text for a bot that no longer exists). @param {BotDirectory} bots @param {string} botId */
export const botLink = (bots, botId) =>
  bots.has(botId)
    ? h("a", { href: `#/bots/${encodeURIComponent(botId)}`, class: "bot-link" }, botName(bots, botId))
    : h("span", { class: "muted" }, botName(bots, botId))

/** The "opted out" marker of an identity. */
export const optedOutBadge = () =>
  h("span", { class: "badge opted-out", title: "The person opted out on this chat: nothing is sent here" }, "Opted out")

/**
 * One identity, short: its platform, its bot's name, and whether the person opted out there.
 * @param {ContactIdentity} identity @param {BotDirectory} bots
 */
export const identityChip = (identity, bots) =>
  h(
    "span",
    {
      class: `identity${identity.optedOut ? " is-opted-out" : ""}`,
      "data-platform": identity.platform,
      title: `Chat ${identity.chatId}`,
    },
    platformBadge(identity.platform),
    h("span", { class: "identity-bot" }, botName(bots, identity.botId)),
    identity.optedOut ? optedOutBadge() : null,
  )

/** @param {string[]} tags */
export const tagBadges = (tags) =>
  tags.length
    ? h("span", { class: "tags" }, ...tags.map((t) => h("span", { class: "badge tag" }, t)))
    : h("span", { class: "muted" }, "—")

/** Tags as typed: comma-separated, trimmed, each once. @param {string} text */
export const parseList = (text) => [
  ...new Set(
    text
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean),
  ),
]

/**
 * Attributes as typed, one `key=value` per line (blank lines ignored).
 * @param {string} text
 * @returns {{ attributes: Record<string, string>, error: string | null }}
 */
export function parseAttributes(text) {
  /** @type {Record<string, string>} */
  const attributes = {}
  for (const [i, line] of text.split("\n").entries()) {
    if (!line.trim()) continue
    const at = line.indexOf("=")
    const key = at < 0 ? "" : line.slice(0, at).trim()
    if (!key) return { attributes, error: `Line ${i + 1} is not key=value: write it as plan=gold.` }
    attributes[key] = line.slice(at + 1).trim()
  }
  return { attributes, error: null }
}

/** @param {Record<string, string>} attributes */
export const formatAttributes = (attributes) =>
  Object.entries(attributes)
    .map(([k, v]) => `${k}=${v}`)
    .join("\n")

let ids = 0
/** An element id no other field of the page has. @param {string} prefix */
export const uniqueId = (prefix) => `${prefix}-${++ids}`

/**
 * A labelled control with its hint and error slot, registered in `fields` under `path` (when given). Unlike the bot
 * form's field(), the id does not come from the path, so a field keeps its id when its path changes (rules reordered).
 * @param {{ fields?: Fields, path?: string, label: string, control: Control, hint?: string, body?: HTMLElement,
 *   className?: string }} o  `body`: what to show instead of the bare control (e.g. a list with the control inside)
 */
export function labelled({ fields, path, label, control, hint, body, className = "field" }) {
  if (!control.id) control.id = uniqueId("c")
  const id = control.id
  const slot = h("div", { class: "field-error", id: `${id}-error` })
  control.setAttribute("aria-describedby", hint ? `${id}-hint ${id}-error` : `${id}-error`)
  if (fields && path) fields.set(path, { slot, control })
  const wrap = h(
    "div",
    { class: className },
    h("label", { for: id }, label),
    body ?? control,
    hint ? h("div", { class: "hint", id: `${id}-hint` }, hint) : null,
    slot,
  )
  return Object.assign(wrap, { errorSlot: slot })
}

/** Shows a message under a field we check before asking the API. @param {Fields} fields @param {string} path @param {string} message */
export function fieldError(fields, path, message) {
  const f = fields.get(path)
  if (!f) return
  f.slot.textContent = message
  f.control.setAttribute("aria-invalid", "true")
  f.control.focus()
}

/**
 * The API's validation messages (zod's wording) in plain words.
 * @param {string} message
 */
export function plain(message) {
  /** @type {[RegExp, (m: RegExpExecArray) => string][]} */
  const rules = [
    [/^Too small: expected array to have >=1 items?$/, () => "choose at least one"],
    [/^Too small: expected array to have >=(\d+) items?$/, (m) => `needs at least ${m[1]}`],
    [/^Too big: expected array to have <=(\d+) items?$/, (m) => `can have at most ${m[1]}`],
    [/^Too small: expected string to have >=1 characters?$/, () => "can't be empty"],
    [/^Too small: expected string to have >=(\d+) characters?$/, (m) => `needs at least ${m[1]} characters`],
    [/^Too big: expected string to have <=(\d+) characters?$/, (m) => `must be ${m[1]} characters or fewer`],
    [/^Too small: expected number to be >=(\d+)$/, (m) => `must be at least ${m[1]}`],
    [/^Too big: expected number to be <=(\d+)$/, (m) => `must be at most ${m[1]}`],
    [
      /^Invalid option: expected one of (.+)$/,
      (m) =>
        `must be one of ${String(m[1])
          .split("|")
          .map((o) => platformName(o.replace(/"/g, "")))
          .join(", ")}`,
    ],
    [/^Invalid input: expected (\w+), received (\w+)$/, (m) => `must be a ${m[1]}`],
  ]
  for (const [re, say] of rules) {
    const m = re.exec(message)
    if (m) return say(m)
  }
  return message
}

/** @param {FieldError[]} errors */
export const plainFields = (errors) => errors.map((e) => ({ path: e.path, message: plain(e.message) }))

/** A send's (or one hop's) status as a pill. */
const SEND_LABELS = /** @type {Record<string, string>} */ ({
  queued: "Queued",
  dispatching: "Handing over",
  sending: "Sending",
  sent: "Sent",
  delivered: "Delivered",
  read: "Read",
  failed: "Failed",
  timed_out: "Timed out",
})
/** @param {string} status */
export const sendPill = (status) => h("span", { class: `status send-${status}` }, SEND_LABELS[status] ?? status)

/**
 * Why a channel is where it is in a route, with the bot or platform it names in words ("bot_… is choice 1" reads
 * "Support (bot) is choice 1").
 * @param {string} reason @param {BotDirectory} bots
 */
export function keptReason(reason, bots) {
  const m = /^(\S+) is choice (\d+)$/.exec(reason)
  if (!m?.[1]) return plain(reason)
  const named = bots.has(m[1]) ? `${botName(bots, m[1])} (bot)` : platformName(m[1])
  return `${named} is choice ${m[2]}`
}

/** "Skipped" reasons read `code: explanation`: the explanation in words, the code kept small. @param {string} reason */
export function reasonText(reason) {
  const m = /^([a-z_]+): (.+)$/s.exec(reason)
  return m
    ? h("span", { class: "reason-text" }, m[2], " ", h("code", { class: "reason-code" }, m[1]))
    : h("span", { class: "reason-text" }, reason)
}
