// @ts-check
// The Alerts page's signing secret: whether one is set, how a receiver verifies an alert with it (Standard Webhooks),
// Rotate (POST /api/settings/alerts/rotate-secret, after a confirmation), and a secret just issued, shown this once.
import { api } from "./api.js"
import { confirmDialog, copyRow, errorText, h, mount, toast } from "./ui.js"

/** @typedef {import("./api.js").AlertSettings} AlertSettings */

/**
 * @param {{ canWrite: boolean, onRotated: (settings: AlertSettings) => void }} o
 *   `onRotated`: the settings the rotation answered (the page's state follows them)
 */
export function secretPanel({ canWrite, onRotated }) {
  const state = h("span", { class: "secret-state", id: "alerts-secret-state" })
  const stateNote = h("p", { class: "hint secret-note" })
  /** Where a secret just issued is shown, once: emptied when the page is left or reloaded. */
  const once = h("div", { class: "secret-once-slot" })
  const error = h("div", { class: "error-box", role: "alert", tabIndex: -1, hidden: true })
  let secretSet = false

  const rotate = h(
    "button",
    {
      type: "button",
      id: "alerts-rotate",
      disabled: !canWrite,
      title: canWrite ? undefined : "Viewers can't rotate the secret",
      onclick: async () => {
        const ok = await confirmDialog({
          title: "Rotate the signing secret?",
          body: h(
            "p",
            {},
            "A new secret replaces the current one and is shown once. Your bots sign with it within 30 seconds, " +
              "and the current one stops working then: have your receiver accept both for a minute while you switch.",
          ),
          confirm: "Rotate secret",
          danger: true,
        })
        if (!ok) return
        error.hidden = true
        rotate.disabled = true
        rotate.textContent = "Rotating…"
        try {
          const rotated = await api.rotateAlertSecret()
          onRotated(rotated)
          show(rotated.signingSecret, true)
          toast("New signing secret issued: copy it now")
        } catch (err) {
          error.hidden = false
          error.textContent = `The secret was not rotated: ${errorText(err)}`
          error.focus()
        } finally {
          rotate.textContent = "Rotate secret"
          rotate.disabled = !canWrite || !secretSet
        }
      },
    },
    "Rotate secret",
  )

  /**
   * Shows a secret the API just issued, once, and brings it into view.
   * @param {string} secret @param {boolean} rotated
   */
  function show(secret, rotated) {
    const heading = h("h3", { tabIndex: -1 }, rotated ? "Your new signing secret" : "Your signing secret")
    mount(
      once,
      h(
        "div",
        { class: "secret-once", id: "alerts-secret-once" },
        heading,
        h(
          "p",
          { class: "secret-warning" },
          h("strong", {}, "Copy it now: it won't be shown again. "),
          "Switchboard keeps it sealed and can't show it to anyone, you included. If you lose it, rotate it.",
        ),
        copyRow(secret, "alerts-signing-secret", "Signing secret"),
        rotated
          ? h(
              "p",
              { class: "hint" },
              "The previous secret stops being used within 30 seconds: accept both for a minute while you switch.",
            )
          : null,
      ),
    )
    heading.focus()
    heading.scrollIntoView({ block: "center" })
  }

  /** @param {AlertSettings} settings */
  function update(settings) {
    secretSet = settings.secretSet
    state.className = `secret-state ${secretSet ? "set" : "unset"}`
    state.textContent = secretSet ? "Secret set" : "No secret yet"
    stateNote.textContent = secretSet
      ? "It was shown once, when it was issued. Lost it? Rotate it for a new one."
      : "Switchboard makes it when you first save a URL, and shows it to you then, once."
    rotate.disabled = !canWrite || !secretSet
  }

  const element = h(
    "section",
    { class: "panel alerts-panel", "aria-labelledby": "alerts-secret-title" },
    h("div", { class: "panel-head" }, h("h2", { id: "alerts-secret-title" }, "Signing secret"), state),
    once,
    error,
    stateNote,
    h(
      "p",
      { class: "hint" },
      "Every alert is signed the way ",
      h(
        "a",
        { href: "https://www.standardwebhooks.com", target: "_blank", rel: "noopener noreferrer" },
        "Standard Webhooks",
      ),
      " has it (the webhook-id, webhook-timestamp and webhook-signature headers), so any of its libraries checks " +
        "it. Verify the body exactly as received, before parsing it:",
    ),
    h(
      "pre",
      { class: "alert-verify" },
      h(
        "code",
        {},
        'import { Webhook } from "standardwebhooks"\n\n' +
          "// Throws unless the signature matches and the timestamp is within 5 minutes.\n" +
          "const event = new Webhook(secret).verify(body, headers)",
      ),
    ),
    h(
      "p",
      { class: "hint" },
      "A retry carries the same id: drop duplicates by it. The payload of each event is in the ",
      h("a", { href: "/docs", target: "_blank", rel: "noopener" }, "API docs"),
      ".",
    ),
    h("div", { class: "form-actions" }, rotate),
  )
  return { element, update, show }
}
