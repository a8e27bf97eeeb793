// @ts-check
// Small DOM helpers: element builder, formatting, status pills, toast, confirm dialog, copy, a concurrency pool.

/** @typedef {Node | string | number | null | undefined | false} Child */
/** @typedef {string | number | boolean | null | undefined | ((event: never) => unknown)} PropValue */

/**
 * Builds an element. `class`, `for`, `role`, `aria-*` and `data-*` become attributes, `onX` functions listeners, the
 * element's properties are set as such (`value`, `checked`, `disabled`, `hidden`, `tabIndex`, ...), and anything else
 * becomes an attribute. null/undefined/false are skipped.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, PropValue>} [props]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag)
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue
    if (typeof value === "function") el.addEventListener(key.slice(2), /** @type {EventListener} */ (value))
    else if (key === "class") el.className = String(value)
    else if (key === "for" || key === "role" || key.startsWith("aria-") || key.startsWith("data-"))
      el.setAttribute(key, String(value))
    else if (key in el) Reflect.set(el, key, value)
    else el.setAttribute(key, value === true ? "" : String(value)) // e.g. "novalidate": no such property
  }
  append(el, ...children)
  return el
}

/**
 * Appends children, skipping null/undefined/false (append would print them).
 * @param {Element} parent
 * @param {...Child} children
 */
export function append(parent, ...children) {
  for (const c of children)
    if (c !== null && c !== undefined && c !== false) parent.append(typeof c === "number" ? String(c) : c)
}

/**
 * Replaces an element's content.
 * @param {Element} parent
 * @param {...Child} children
 */
export function mount(parent, ...children) {
  parent.replaceChildren()
  append(parent, ...children)
}

const SVG_NS = "http://www.w3.org/2000/svg"
/**
 * @param {string} tag
 * @param {Record<string, string | number>} attrs
 * @param {string} [text]
 */
export function svg(tag, attrs, text) {
  const el = document.createElementNS(SVG_NS, tag)
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v))
  if (text !== undefined) el.textContent = text
  return el
}

const numberFormat = new Intl.NumberFormat()
/** @param {number | null | undefined} n */
export const fmt = (n) => (n === null || n === undefined ? "—" : numberFormat.format(n))

/** @param {number | null | undefined} rate  0..1, null when nothing was sent */
export const pct = (rate) =>
  rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(rate > 0 && rate < 0.1 ? 1 : 0)}%`

/** @param {number} n @param {string} one @param {string} [many] */
export const plural = (n, one, many = `${one}s`) => `${fmt(n)} ${n === 1 ? one : many}`

/** What a delete's `discarded` count means. @param {number} n */
export const dropped = (n) => `${plural(n, "queued message was", "queued messages were")} dropped`

/** @param {string | null | undefined} iso */
export function ago(iso) {
  if (!iso) return "never"
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000)
  if (s < 45) return "just now"
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))} min ago`
  if (s < 86400) return `${Math.round(s / 3600)} h ago`
  return `${Math.round(s / 86400)} d ago`
}

/** @param {string} iso */
export const clock = (iso) =>
  new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false })

/** @param {string} iso */
export const dateTime = (iso) => new Date(iso).toLocaleString([], { dateStyle: "medium", timeStyle: "short" })

/** @type {Record<string, string>} */
const STATUS_LABELS = { active: "Active", stopped: "Stopped", error: "Error" }
/** @param {string} status */
export const statusPill = (status) => h("span", { class: `status ${status}` }, STATUS_LABELS[status] ?? status)

let toastTimer = 0
/** @param {string} message @param {number} [ms]  how long it stays (longer for what the reader must not miss) */
export function toast(message, ms = 2600) {
  const el = document.getElementById("toast")
  if (!el) return
  el.textContent = message
  el.classList.add("show")
  clearTimeout(toastTimer)
  toastTimer = window.setTimeout(() => el.classList.remove("show"), ms)
}

/**
 * A modal confirmation: Enter confirms, Escape or Cancel says no. Focus returns to where it was.
 * @param {{ title: string, body: Child, confirm: string, danger?: boolean }} options
 * @returns {Promise<boolean>}
 */
export function confirmDialog({ title, body, confirm, danger = false }) {
  const opener = document.activeElement
  return new Promise((resolve) => {
    const ok = h("button", { type: "submit", class: danger ? "danger solid" : "primary", value: "ok" }, confirm)
    const dialog = h(
      "dialog",
      { "aria-labelledby": "dialog-title", "aria-describedby": "dialog-body" },
      h(
        "form",
        { method: "dialog" },
        h(
          "div",
          { class: "dialog-body" },
          h("h2", { id: "dialog-title" }, title),
          h("div", { id: "dialog-body" }, body),
        ),
        h("div", { class: "dialog-actions" }, h("button", { type: "submit", value: "cancel" }, "Cancel"), ok),
      ),
    )
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "ok")
      dialog.remove()
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus()
    })
    document.body.append(dialog)
    dialog.showModal()
    ok.focus()
  })
}

/** @param {string} text @param {string} [what] */
export async function copy(text, what = "Copied") {
  try {
    await navigator.clipboard.writeText(text)
    toast(`${what} to the clipboard`)
  } catch {
    toast("Copy failed: select the text and copy it by hand")
  }
}

/** A read-only value with a Copy button (webhook URLs, one-time secrets). @param {string} value @param {string} id @param {string} label */
export const copyRow = (value, id, label) =>
  h(
    "div",
    { class: "copy-row" },
    h("code", { id }, value),
    h(
      "button",
      { type: "button", "aria-label": `Copy ${label}`, onclick: () => copy(value, `${label} copied`) },
      "Copy",
    ),
  )

/** Navigates to `hash`, re-rendering when it is already the current one (a link to itself would do nothing). @param {string} hash */
export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"))
  else location.hash = hash
}

/** @param {unknown} error */
export const errorText = (error) => (error instanceof Error ? error.message : "Something went wrong")

/** @param {string} text */
export const errorBox = (text) => h("div", { class: "error-box", role: "alert" }, text)

/**
 * An empty state that says what to do next.
 * @param {string} title @param {string} text @param {...Child} actions
 */
export const emptyState = (title, text, ...actions) =>
  h(
    "div",
    { class: "empty" },
    h("div", { class: "empty-icon", "aria-hidden": "true" }),
    h("h2", {}, title),
    h("p", {}, text),
    ...actions,
  )

/**
 * Runs `task` over `items` with at most `limit` in flight (bulk actions on hundreds of bots stay gentle on the API).
 * @template T, R
 * @param {T[]} items
 * @param {number} limit
 * @param {(item: T) => Promise<R>} task
 * @param {(done: number) => void} [progress]
 * @returns {Promise<R[]>}
 */
export async function pool(items, limit, task, progress) {
  /** @type {R[]} */
  const out = new Array(items.length)
  let next = 0
  let done = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await task(/** @type {T} */ (items[i]))
      progress?.(++done)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}
