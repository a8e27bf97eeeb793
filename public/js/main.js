// @ts-check
// Dashboard entry: hash router and header. Each page renders into a fresh view that replaces <main> only when it is
// ready and still the current route, so a slow answer never paints over a newer page.
import { renderAlerts } from "./alerts.js"
import { renderAnalytics } from "./analytics.js"
import { ApiError, session, setUnauthorizedHandler } from "./api.js"
import { renderBots } from "./bots.js"
import { renderComposer } from "./broadcast-compose.js"
import { renderBroadcast } from "./broadcast-detail.js"
import { renderBroadcasts } from "./broadcasts.js"
import { renderContact } from "./contact-detail.js"
import { renderNewContact } from "./contact-new.js"
import { renderContacts } from "./contacts.js"
import { renderDetail } from "./detail.js"
import { renderForm } from "./form.js"
import { renderOverview } from "./overview.js"
import { renderRouting } from "./routing.js"
import { renderSignIn } from "./signin.js"
import { emptyState, errorText, h, mount } from "./ui.js"

/** @typedef {{ parts: string[], query: URLSearchParams }} Route */
/** @typedef {(view: HTMLElement, route: Route) => Promise<(() => void) | undefined>} Page */

const main = /** @type {HTMLElement} */ (document.getElementById("main"))
/** Why the user is on the sign-in page (expired token, signed out); kept until the next successful sign-in. */
let signInMessage = ""
/** Where to go after signing in (the page a 401 interrupted). */
let returnTo = "#/bots"
/** Stops the current page's timers (log polling) when navigating away. */
let cleanup = () => {}
let current = 0

/** @returns {Route} */
function parseHash() {
  const [path = "", query = ""] = location.hash.replace(/^#\/?/, "").split("?")
  return { parts: path.split("/").filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) }
}

/** @param {string} message */
function toSignIn(message) {
  signInMessage = message
  if (!location.hash.startsWith("#/signin")) {
    returnTo = location.hash || "#/bots"
    location.replace("#/signin")
  }
}

setUnauthorizedHandler((message) => {
  // During sign-in the form shows the error itself; anywhere else, back to sign-in with the reason.
  if (parseHash().parts[0] !== "signin") toSignIn(message)
})

/** @param {string} section */
function renderHeader(section) {
  const claims = session.claims()
  const nav = /** @type {HTMLElement} */ (document.getElementById("nav"))
  const who = /** @type {HTMLElement} */ (document.getElementById("who"))
  nav.hidden = !claims || section === "signin"
  who.hidden = nav.hidden
  mount(who)
  if (claims && !who.hidden) {
    who.append(
      h(
        "span",
        { class: "who-text", title: claims.sub },
        h("span", { class: "who-business" }, claims.business_id),
        h("span", { class: `role role-${claims.role}` }, claims.role === "viewer" ? "viewer · read-only" : claims.role),
      ),
      h(
        "button",
        {
          type: "button",
          onclick: () => {
            session.clear()
            returnTo = "#/bots"
            toSignIn("You signed out.")
          },
        },
        "Sign out",
      ),
    )
  }
  const active = section === "new" ? "bots" : section
  for (const a of nav.querySelectorAll("a[data-nav]")) {
    if (a.getAttribute("data-nav") === active) a.setAttribute("aria-current", "page")
    else a.removeAttribute("aria-current")
  }
}

/** @param {Route} route @returns {{ page: Page, title: string }} */
function pick({ parts, query }) {
  const [section, id, sub, item] = parts
  // Deeper than any page: nothing is there (the checks below look at the first four parts only).
  if (parts.length > 4) return notFoundPage
  if (section === "signin")
    return {
      title: "Sign in",
      page: (view) => {
        const message = signInMessage
        return renderSignIn(view, message, () => {
          signInMessage = ""
          const target = returnTo
          returnTo = "#/bots"
          location.hash = target.startsWith("#/signin") ? "#/bots" : target
        })
      },
    }
  if (section === "overview" && !id) return { title: "Overview", page: renderOverview }
  if (section === "analytics" && !id) return { title: "Analytics", page: renderAnalytics }
  if (section === "contacts" && id === "new" && !sub) return { title: "New contact", page: renderNewContact }
  if (section === "contacts" && id && !sub) return { title: "Contact", page: (view) => renderContact(view, id) }
  if (section === "contacts" && !id) return { title: "Contacts", page: renderContacts }
  if (section === "routing" && !id) return { title: "Routing", page: renderRouting }
  if (section === "settings" && id === "alerts" && !sub) return { title: "Alerts", page: renderAlerts }
  if (section === "new" && !id) return { title: "Add a bot", page: (view) => renderForm(view, null) }
  if (section === "bots" && id && sub === "broadcasts" && item === "new")
    return { title: "New broadcast", page: (view) => renderComposer(view, id) }
  if (section === "bots" && id && sub === "broadcasts" && item)
    return { title: "Broadcast", page: (view) => renderBroadcast(view, id, item) }
  if (section === "bots" && id && sub === "broadcasts")
    return { title: "Broadcasts", page: (view) => renderBroadcasts(view, id) }
  if (section === "bots" && id && sub === "edit" && !item)
    return { title: "Edit bot", page: (view) => renderForm(view, id, query.get("field")) }
  if (section === "bots" && id && !sub) return { title: "Bot", page: (view) => renderDetail(view, id) }
  if ((section === "bots" || section === undefined) && !id) return { title: "Messaging Integrations", page: renderBots }
  return notFoundPage
}

/** Any address the dashboard has no page for (a mistyped or outdated link). */
const notFoundPage = {
  title: "Page not found",
  /** @type {Page} */
  page: async (view) => {
    view.append(
      emptyState(
        "Page not found",
        `Nothing lives at ${location.hash}: the link may be mistyped or out of date.`,
        h("a", { class: "button primary", href: "#/bots", id: "not-found-home" }, "Go to integrations"),
      ),
    )
    const heading = view.querySelector(".empty h2")
    if (heading instanceof HTMLElement) {
      heading.tabIndex = -1
      heading.dataset.autofocus = "1"
    }
    return undefined
  },
}

async function route() {
  const seq = ++current
  cleanup()
  cleanup = () => {}
  const parsed = parseHash()
  const section = parsed.parts[0] ?? "bots"
  if (!session.token() && section !== "signin") {
    toSignIn("")
    return
  }
  renderHeader(section)
  const { page, title } = pick(parsed)
  document.title = `${title} · Switchboard`
  const view = h("div", { class: "view" })
  // Only show "Loading" when a page is slow, so fast pages don't flash.
  const loading = window.setTimeout(() => {
    if (seq === current) mount(main, h("div", { class: "loading", role: "status" }, "Loading…"))
  }, 200)
  /** @type {(() => void) | undefined} */
  let stop
  try {
    stop = await page(view, parsed)
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return // the 401 handler is already taking us to sign-in
    mount(view, failure(e, section))
  } finally {
    clearTimeout(loading)
  }
  if (seq !== current) {
    stop?.()
    return
  }
  cleanup = stop ?? (() => {})
  mount(main, view)
  const focus = view.querySelector("[data-autofocus]")
  if (focus instanceof HTMLElement) focus.focus()
  else main.focus({ preventScroll: true })
  window.scrollTo(0, 0)
}

/** A page that could not load says why and where to go. @param {unknown} e @param {string} section */
function failure(e, section) {
  if (e instanceof ApiError && e.status === 404 && section === "contacts")
    return emptyState(
      "Not found",
      "This contact doesn't exist, was deleted or merged into another, or belongs to another business.",
      h("a", { class: "button primary", href: "#/contacts" }, "Back to contacts"),
    )
  if (e instanceof ApiError && e.status === 404)
    return emptyState(
      "Not found",
      "This bot doesn't exist, was deleted, or belongs to another business.",
      h("a", { class: "button primary", href: "#/bots" }, "Back to integrations"),
    )
  return emptyState(
    "This page could not load",
    errorText(e),
    h("button", { type: "button", class: "primary", onclick: () => void route() }, "Try again"),
  )
}

// The skip link focuses <main> instead of changing the hash (which is the router's).
document.querySelector("a.skip")?.addEventListener("click", (e) => {
  e.preventDefault()
  main.focus()
})
// A link to the page you are on reloads its data (the browser fires no hashchange for it).
document.addEventListener("click", (e) => {
  const link = e.target instanceof Element ? e.target.closest("a[href^='#/']") : null
  if (!link || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return
  if (link.getAttribute("href") === location.hash) {
    e.preventDefault()
    void route()
  }
})
window.addEventListener("hashchange", () => void route())
void route()
