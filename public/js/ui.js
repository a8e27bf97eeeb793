// @ts-check
// Small DOM helpers: element builder, formatting, toast, confirm dialog.

/**
 * Builds an element. Props go to properties, except `class`, `for`, `aria-*`, `data-*` and `role`, which are attributes.
 * @param {string} tag
 * @param {Record<string, any>} [props]
 * @param {...(Node | string | null | undefined | false)} children
 * @returns {any}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag)
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue
    if (key === "class") el.className = value
    else if (key === "for" || key === "role" || key.startsWith("aria-") || key.startsWith("data-"))
      el.setAttribute(key, String(value))
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value)
    else Reflect.set(el, key, value)
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) el.append(child)
  return el
}

/**
 * Replaces an element's content, skipping null/false children (replaceChildren would print them).
 * @param {Element} parent
 * @param {...(Node | string | null | undefined | false)} children
 */
export function mount(parent, ...children) {
  parent.replaceChildren(
    ...children
      .filter((c) => c !== null && c !== undefined && c !== false)
      .map((c) => /** @type {Node | string} */ (c)),
  )
}

/** @param {number | null | undefined} n */
export const fmt = (n) => (n === null || n === undefined ? "—" : new Intl.NumberFormat().format(n))

/** @param {number | null | undefined} rate */
export const pct = (rate) =>
  rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(rate < 0.1 ? 1 : 0)}%`

/** @param {string | null | undefined} iso */
export function ago(iso) {
  if (!iso) return "never"
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000)
  if (s < 45) return "just now"
  if (s < 3600) return `${Math.round(s / 60)} min ago`
  if (s < 86400) return `${Math.round(s / 3600)} h ago`
  return `${Math.round(s / 86400)} d ago`
}

/** @param {string} iso */
export const clock = (iso) =>
  new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false })

/** @param {string} platform */
export const platformName = (platform) =>
  ({ telegram: "Telegram", whatsapp: "WhatsApp", slack: "Slack", discord: "Discord" })[platform] ?? platform

/** @param {string} platform */
export const platformBadge = (platform) => h("span", { class: `badge ${platform}` }, platformName(platform))

/** @param {string} status */
export const statusPill = (status) => h("span", { class: `status ${status}` }, status)

let toastTimer = 0
/** @param {string} message */
export function toast(message) {
  const el = document.getElementById("toast")
  if (!el) return
  el.textContent = message
  el.classList.add("show")
  clearTimeout(toastTimer)
  toastTimer = window.setTimeout(() => el.classList.remove("show"), 2600)
}

/**
 * A modal confirmation (Escape or Cancel says no).
 * @param {string} title
 * @param {string | Node} body
 * @param {string} confirmLabel
 * @param {boolean} [danger]
 * @returns {Promise<boolean>}
 */
export function confirmDialog(title, body, confirmLabel, danger = false) {
  return new Promise((resolve) => {
    const ok = h("button", { type: "submit", class: danger ? "danger" : "primary", value: "ok" }, confirmLabel)
    const dialog = h(
      "dialog",
      { "aria-labelledby": "dialog-title" },
      h(
        "form",
        { method: "dialog" },
        h(
          "div",
          { class: "dialog-body" },
          h("h2", { id: "dialog-title" }, title),
          typeof body === "string" ? h("p", {}, body) : body,
        ),
        h("div", { class: "dialog-actions" }, h("button", { type: "submit", value: "cancel" }, "Cancel"), ok),
      ),
    )
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "ok")
      dialog.remove()
    })
    document.body.append(dialog)
    dialog.showModal()
    ok.focus()
  })
}

/** @param {string} text */
export async function copy(text) {
  try {
    await navigator.clipboard.writeText(text)
    toast("Copied to clipboard")
  } catch {
    toast("Copy failed: select the text and copy it by hand")
  }
}

/** @param {unknown} error */
export const errorText = (error) => (error instanceof Error ? error.message : "Something went wrong")

/** Human labels and hints for known credential fields; unknown fields (a new platform) fall back to their name. */
const FIELD_LABELS = /** @type {Record<string, [string, string]>} */ ({
  botToken: ["Bot token", "From @BotFather, like 123456:ABC…"],
  accessToken: ["Access token", "A permanent system-user token from Meta Business settings."],
  phoneNumberId: ["Phone number ID", "Digits, from WhatsApp Manager → API setup."],
  verifyToken: ["Verify token", "Any string; type the same in Meta's webhook settings."],
  appSecret: ["App secret", "Signs Meta's webhooks. Optional when the server has WHATSAPP_APP_SECRET."],
})

/** @param {string} name @returns {[string, string]} label and hint */
export const fieldLabel = (name) => FIELD_LABELS[name] ?? [name, ""]
