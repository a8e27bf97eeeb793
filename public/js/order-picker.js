// @ts-check
// An ordered choice (platforms to try first, a send's channels): the chosen values in order, each with Move up, Move
// down and Remove, and a select with an Add button for the others. Changes are announced to screen readers.
import { h, mount } from "./ui.js"

/** @typedef {{ value: string, label: string }} Option */
/**
 * @typedef {{
 *   element: HTMLElement,
 *   control: HTMLSelectElement,
 *   values: () => string[],
 *   set: (values: string[]) => void,
 *   setOptions: (options: Option[]) => void,
 * }} OrderPicker
 */

/**
 * @param {{ options: Option[], values?: string[], disabled?: boolean, empty: string, addLabel: string, noun: string,
 *   onChange?: () => void }} o  `empty`: what no choice means; `addLabel`: the select's first line ("Add a platform…");
 *   `noun`: what one choice is ("platform"), for the Add button's name
 * @returns {OrderPicker}
 */
export function orderPicker({ options, values = [], disabled = false, empty, addLabel, noun, onChange }) {
  let known = options
  let chosen = [...values]
  const list = h("ol", { class: "order-list" })
  const none = h("p", { class: "order-empty muted" }, empty)
  const select = h("select", { disabled })
  const add = h("button", { type: "button", disabled, "aria-label": `Add ${noun}`, onclick: () => addChosen() }, "Add")
  const said = h("span", { class: "visually-hidden", role: "status" })
  // Enter in the select adds (instead of submitting the form around it).
  select.addEventListener("keydown", (e) => {
    if (e.key !== "Enter") return
    e.preventDefault()
    addChosen()
  })
  const label = (/** @type {string} */ v) => known.find((o) => o.value === v)?.label ?? v

  function addChosen() {
    const v = select.value
    if (!v || chosen.includes(v)) return
    chosen.push(v)
    draw()
    said.textContent = `${label(v)} added at position ${chosen.length}`
    select.focus()
    onChange?.()
  }

  /** @param {number} from @param {number} to @param {string} focusClass */
  function move(from, to, focusClass) {
    const [v] = chosen.splice(from, 1)
    if (v === undefined) return
    chosen.splice(to, 0, v)
    draw()
    said.textContent = `${label(v)} moved to position ${to + 1}`
    const target = list.children[to]?.querySelector(`button.${focusClass}:not(:disabled)`)
    if (target instanceof HTMLElement) target.focus()
    else select.focus()
    onChange?.()
  }

  /** @param {number} i */
  function remove(i) {
    const [v] = chosen.splice(i, 1)
    draw()
    said.textContent = `${label(v ?? "")} removed`
    select.focus()
    onChange?.()
  }

  function draw() {
    mount(
      list,
      ...chosen.map((v, i) =>
        h(
          "li",
          { "data-value": v },
          h("span", { class: "order-n", "aria-hidden": "true" }, `${i + 1}`),
          h("span", { class: "order-label" }, label(v)),
          h(
            "span",
            { class: "order-actions" },
            h(
              "button",
              {
                type: "button",
                class: "ghost icon up",
                "aria-label": `Move ${label(v)} up`,
                title: "Move up",
                disabled: disabled || i === 0,
                onclick: () => move(i, i - 1, "up"),
              },
              "↑",
            ),
            h(
              "button",
              {
                type: "button",
                class: "ghost icon down",
                "aria-label": `Move ${label(v)} down`,
                title: "Move down",
                disabled: disabled || i === chosen.length - 1,
                onclick: () => move(i, i + 1, "down"),
              },
              "↓",
            ),
            h(
              "button",
              {
                type: "button",
                class: "ghost icon remove",
                "aria-label": `Remove ${label(v)}`,
                title: "Remove",
                disabled,
                onclick: () => remove(i),
              },
              "×",
            ),
          ),
        ),
      ),
    )
    list.hidden = chosen.length === 0
    none.hidden = chosen.length > 0
    const left = known.filter((o) => !chosen.includes(o.value))
    mount(
      select,
      h("option", { value: "" }, left.length ? addLabel : "Nothing more to add"),
      ...left.map((o) => h("option", { value: o.value }, o.label)),
    )
    select.disabled = disabled || left.length === 0
    add.disabled = select.disabled
  }
  draw()

  const element = h("div", { class: "order-picker" }, list, none, h("div", { class: "order-add" }, select, add), said)
  return {
    element,
    control: select,
    values: () => [...chosen],
    set(values) {
      chosen = [...values]
      draw()
    },
    setOptions(next) {
      known = next
      draw()
    },
  }
}
