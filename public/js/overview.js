// @ts-check
// Business overview: bots and last-24-hour traffic per platform, failure rate and queue depth.
import { api } from "./api.js"
import { fmt, h, mount, pct, platformBadge } from "./ui.js"

/** @param {HTMLElement} main */
export async function renderOverview(main) {
  const { platforms, totals } = await api("GET", "/api/overview")
  /** @param {string} label @param {string} value */
  const stat = (label, value) =>
    h("div", { class: "stat" }, h("div", { class: "label" }, label), h("div", { class: "value" }, value))
  mount(
    main,
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        h("h1", {}, "Overview"),
        h(
          "p",
          { class: "sub" },
          "Your business across platforms. Traffic counts lag live activity by up to 15 seconds.",
        ),
      ),
    ),
    h(
      "div",
      { class: "cards" },
      stat("Bots", fmt(totals.bots)),
      stat("Active", fmt(totals.active)),
      stat("Inbound 24 h", fmt(totals.inbound24h)),
      stat("Outbound 24 h", fmt(totals.outbound24h)),
      stat("Failure rate", pct(totals.failureRate)),
      stat("Queue depth", fmt(totals.queueDepth)),
    ),
    platforms.length === 0
      ? h(
          "div",
          { class: "panel empty" },
          h("h2", {}, "Nothing to show yet"),
          h("p", {}, "Add a bot and its traffic appears here."),
          h("a", { class: "button primary", href: "#/new" }, "+ Add a bot"),
        )
      : h(
          "div",
          { class: "panel table-wrap" },
          h(
            "table",
            { class: "bots" },
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                ...[
                  "Platform",
                  "Bots",
                  "Active",
                  "Stopped",
                  "Error",
                  "In 24 h",
                  "Out 24 h",
                  "Failed 24 h",
                  "Failure rate",
                  "Queue",
                ].map((t, i) => h("th", { class: i > 0 ? "num" : "" }, t)),
              ),
            ),
            h(
              "tbody",
              {},
              ...platforms.map((/** @type {any} */ p) =>
                h(
                  "tr",
                  { "data-platform": p.platform },
                  h("td", { "data-label": "Platform" }, platformBadge(p.platform)),
                  ...[
                    ["Bots", fmt(p.bots)],
                    ["Active", fmt(p.active)],
                    ["Stopped", fmt(p.stopped)],
                    ["Error", fmt(p.error)],
                    ["In 24 h", fmt(p.inbound24h)],
                    ["Out 24 h", fmt(p.outbound24h)],
                    ["Failed 24 h", fmt(p.failed24h)],
                    ["Failure rate", pct(p.failureRate)],
                    ["Queue", fmt(p.queueDepth)],
                  ].map(([label, value]) => h("td", { class: "num", "data-label": label }, value)),
                ),
              ),
            ),
          ),
        ),
  )
}
