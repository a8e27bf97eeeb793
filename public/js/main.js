// @ts-check
// Dashboard entry: hash router, sign-in, and the header; each page lives in its own module.
import { api, session, setUnauthorizedHandler } from "./api.js"
import { renderBots } from "./bots.js"
import { renderDetail } from "./detail.js"
import { renderForm } from "./form.js"
import { renderOverview } from "./overview.js"
import { errorText, h, mount } from "./ui.js"

const main = /** @type {HTMLElement} */ (document.getElementById("main"))
let signInMessage = ""
/** Stops the current page's timers (log polling) when navigating away. */
let cleanup = () => {}

setUnauthorizedHandler((message) => {
  signInMessage = message
  location.hash = "#/signin"
  void route()
})

function renderHeader() {
  const claims = session.claims()
  const nav = /** @type {HTMLElement} */ (document.getElementById("nav"))
  const who = /** @type {HTMLElement} */ (document.getElementById("who"))
  nav.hidden = !claims
  who.hidden = !claims
  mount(who)
  if (claims) {
    who.append(
      h("span", {}, `${claims.business_id} · ${claims.role}`),
      h("button", { type: "button", onclick: () => signOut("You signed out.") }, "Sign out"),
    )
  }
  const page = location.hash.split("/")[1] ?? "bots"
  for (const a of nav.querySelectorAll("a[data-nav]")) {
    if (a.getAttribute("data-nav") === page) a.setAttribute("aria-current", "page")
    else a.removeAttribute("aria-current")
  }
}

/** @param {string} message */
function signOut(message) {
  session.clear()
  signInMessage = message
  location.hash = "#/signin"
}

async function renderSignIn() {
  const message = signInMessage
  signInMessage = ""
  const token = h("textarea", {
    id: "token",
    name: "token",
    rows: 4,
    required: true,
    placeholder: "eyJhbGciOiJIUzI1NiIs…",
    "aria-describedby": "token-hint",
  })
  const error = h("div", { class: "field-error", id: "signin-error", role: "alert" })
  const dev = h("div", {})
  const form = h(
    "form",
    {
      class: "panel",
      onsubmit: async (/** @type {SubmitEvent} */ e) => {
        e.preventDefault()
        await signIn(token.value, error)
      },
    },
    h("h1", {}, "Sign in"),
    h("p", { class: "sub" }, "Manage your messaging bots. Paste an API token (JWT) issued for your business."),
    message ? h("div", { class: "error-box", role: "alert" }, message) : null,
    h(
      "div",
      { class: "field" },
      h("label", { for: "token" }, "API token"),
      token,
      h("div", { class: "hint", id: "token-hint" }, "Kept for this tab only; sent as a Bearer header."),
      error,
    ),
    h("button", { type: "submit", class: "primary" }, "Sign in"),
    dev,
  )
  token.addEventListener("keydown", (/** @type {KeyboardEvent} */ e) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault()
      form.requestSubmit()
    }
  })
  mount(main, h("div", { class: "signin" }, form))
  token.focus()
  try {
    const config = await api("GET", "/auth/config")
    if (config?.devSignIn) {
      /** @param {"owner" | "viewer"} role */
      const devButton = (role) =>
        h(
          "button",
          {
            type: "button",
            onclick: async () => {
              try {
                const { token: minted } = await api("POST", `/auth/dev-token?role=${role}`)
                await signIn(minted, error)
              } catch (e) {
                error.textContent = errorText(e)
              }
            },
          },
          role === "owner" ? "Dev sign-in (owner of “demo”)" : "Dev sign-in (viewer)",
        )
      dev.append(
        h("hr", {}),
        h("p", { class: "hint" }, "Local development only:"),
        h("div", { class: "row-actions" }, devButton("owner"), devButton("viewer")),
      )
    }
  } catch {
    // No dev sign-in: nothing to show.
  }
}

/**
 * @param {string} token
 * @param {HTMLElement} error
 */
async function signIn(token, error) {
  error.textContent = ""
  if (token.trim().split(".").length !== 3) {
    error.textContent = "That doesn't look like a JWT (three dot-separated parts)."
    return
  }
  session.set(token)
  try {
    await api("GET", "/api/bots?limit=1")
    location.hash = "#/bots"
  } catch (e) {
    session.clear()
    error.textContent = errorText(e)
  }
}

async function route() {
  cleanup()
  cleanup = () => {}
  renderHeader()
  const parts = location.hash.replace(/^#\/?/, "").split("/")
  if (!session.token() && parts[0] !== "signin") {
    location.hash = "#/signin"
    return
  }
  mount(main, h("p", { class: "muted" }, "Loading…"))
  try {
    if (parts[0] === "signin") await renderSignIn()
    else if (parts[0] === "overview") await renderOverview(main)
    else if (parts[0] === "new") await renderForm(main, null)
    else if (parts[0] === "bots" && parts[1] && parts[2] === "edit") await renderForm(main, parts[1])
    else if (parts[0] === "bots" && parts[1]) cleanup = await renderDetail(main, parts[1])
    else await renderBots(main)
  } catch (e) {
    if (session.token()) mount(main, h("div", { class: "error-box", role: "alert" }, errorText(e)))
  }
  main.focus({ preventScroll: true })
}

window.addEventListener("hashchange", () => void route())
void route()
