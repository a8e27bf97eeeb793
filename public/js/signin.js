// @ts-check
// Sign-in: paste a JWT (kept in sessionStorage for this tab), or, in local development, mint a demo token.
import { ApiError, api, session } from "./api.js"
import { errorText, h } from "./ui.js"

/**
 * @param {HTMLElement} view
 * @param {string} message  why the user is here (expired, signed out), shown on top
 * @param {() => void} done  called once a token is verified
 * @returns {Promise<undefined>}
 */
export async function renderSignIn(view, message, done) {
  const token = h("textarea", {
    id: "token",
    name: "token",
    rows: 4,
    required: true,
    spellcheck: false,
    autocomplete: "off",
    placeholder: "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…",
    "aria-describedby": "token-hint token-error",
    "data-autofocus": "1",
  })
  const error = h("div", { class: "field-error", id: "token-error", role: "alert" })
  const submit = h("button", { type: "submit", class: "primary wide" }, "Sign in")

  /** @param {string} candidate */
  async function signIn(candidate) {
    error.textContent = ""
    token.removeAttribute("aria-invalid")
    if (candidate.trim().split(".").length !== 3) {
      fail("That doesn't look like an API token: a JWT has three parts separated by dots.")
      return
    }
    session.set(candidate)
    submit.disabled = true
    try {
      await api.listBots(new URLSearchParams({ limit: "1" }))
      done()
    } catch (e) {
      session.clear()
      fail(
        e instanceof ApiError && e.status === 401
          ? "This token was not accepted: it may be expired, revoked, or issued for another server."
          : errorText(e),
      )
    } finally {
      submit.disabled = false
    }
  }
  /** @param {string} text */
  function fail(text) {
    error.textContent = text
    token.setAttribute("aria-invalid", "true")
    token.focus()
  }

  const form = h(
    "form",
    {
      class: "panel signin-card",
      "aria-labelledby": "signin-title",
      onsubmit: (/** @type {SubmitEvent} */ e) => {
        e.preventDefault()
        void signIn(token.value)
      },
    },
    h("h1", { id: "signin-title" }, "Sign in to Switchboard"),
    h("p", { class: "sub" }, "Manage your business's messaging bots. Paste the API token (JWT) you were given."),
    message ? h("div", { class: "notice", role: "status" }, message) : null,
    h(
      "div",
      { class: "field" },
      h("label", { for: "token" }, "API token"),
      token,
      h("div", { class: "hint", id: "token-hint" }, "Kept for this browser tab only and sent as a Bearer header."),
      error,
    ),
    submit,
  )
  // Enter signs in (Shift+Enter is a newline, though tokens have none).
  token.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault()
      form.requestSubmit()
    }
  })

  const config = await api.authConfig().catch(() => ({ devSignIn: false }))
  if (config.devSignIn) {
    /** @param {"owner" | "viewer"} role */
    const devButton = (role) =>
      h(
        "button",
        {
          type: "button",
          onclick: async () => {
            try {
              const minted = await api.devToken(role)
              await signIn(minted.token)
            } catch (e) {
              fail(errorText(e))
            }
          },
        },
        role === "owner" ? "Dev sign-in as owner" : "Dev sign-in as viewer",
      )
    form.append(
      h(
        "div",
        { class: "dev-signin" },
        h("div", { class: "divider" }, h("span", {}, "local development")),
        h("p", { class: "hint" }, "Mints a 12-hour token for the demo business. Only this dev server offers it."),
        h("div", { class: "row-actions" }, devButton("owner"), devButton("viewer")),
      ),
    )
  }
  view.append(
    h(
      "div",
      { class: "signin" },
      h(
        "div",
        { class: "signin-intro" },
        h("span", { class: "logo big", "aria-hidden": "true" }),
        h("p", {}, "One edge router for every Telegram and WhatsApp bot of your business."),
      ),
      form,
    ),
  )
  return undefined
}
