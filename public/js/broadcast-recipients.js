// @ts-check
// A broadcast's recipients, as pasted or from a CSV / TXT file, read in the browser: one chat id per line, or CSV with
// a header row `chatId,var1,var2` whose other columns become each recipient's variables. Shows how many there are,
// the first few rows, chats listed twice (the API sends them once and counts the repeat as skipped) and the lines it
// cannot take, each with its line number.
import { labelled } from "./contact-common.js"
import { fmt, h, mount, plural } from "./ui.js"

/** @typedef {import("./api.js").Recipient} Recipient */
/** @typedef {import("./form-fields.js").Fields} Fields */
/**
 * @typedef {{ recipients: Recipient[], lines: number[], columns: string[], duplicates: Map<number, number>,
 *   problems: { line: number, message: string }[] }} Parsed  `lines`: the source line of each recipient;
 *   `duplicates`: recipient index -> the line of its first listing
 */

/** The API's bounds for one recipient (recipientSchema in src/bot/broadcast-store.ts). */
const LIMITS = { chatId: 128, name: 40, value: 1024 }
/** Rows shown in the preview, and problems listed. */
const SHOWN = 5
/** A file bigger than this is refused before it is read (100,000 recipients with a few variables fit well within). */
const MAX_FILE = 32 * 1024 * 1024
const HEADER = /^chat[\s_-]?id$/i

/**
 * CSV rows (RFC 4180: quoted fields may hold the delimiter, quotes as "" and line breaks), each with its first line.
 * @param {string} text @param {string} delimiter
 * @returns {{ cells: string[], line: number }[]}
 */
export function csvRows(text, delimiter) {
  /** @type {{ cells: string[], line: number }[]} */
  const rows = []
  let cells = /** @type {string[]} */ ([])
  let cell = ""
  let quoted = false
  let line = 1
  let start = 1
  const end = () => {
    cells.push(cell)
    if (cells.some((c) => c.trim() !== "")) rows.push({ cells, line: start })
    cells = []
    cell = ""
  }
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"'
        i++
      } else if (ch === '"') quoted = false
      else {
        if (ch === "\n") line++
        cell += ch
      }
    } else if (ch === '"' && cell.trim() === "") {
      quoted = true
      cell = ""
    } else if (ch === delimiter) {
      cells.push(cell)
      cell = ""
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++
      end()
      start = ++line
    } else cell += ch
  }
  end()
  return rows
}

/** The header's delimiter: a comma, else a semicolon or tab when the first line has one and no comma. @param {string} text */
function delimiterOf(text) {
  const first = text.slice(0, text.search(/\r|\n|$/))
  if (first.includes(",")) return ","
  if (first.includes(";")) return ";"
  return first.includes("\t") ? "\t" : ","
}

/**
 * Recipients from what was pasted or uploaded.
 * @param {string} text
 * @returns {Parsed}
 */
export function parseRecipients(text) {
  const rows = csvRows(text.replace(/^\uFEFF/, ""), delimiterOf(text.replace(/^\uFEFF/, "")))
  /** @type {Parsed} */
  const out = { recipients: [], lines: [], columns: [], duplicates: new Map(), problems: [] }
  const first = rows[0]
  const header = first !== undefined && HEADER.test((first.cells[0] ?? "").trim())
  if (header && first) {
    out.columns = first.cells.slice(1).map((c) => c.trim())
    const seen = new Set()
    for (const [i, name] of out.columns.entries()) {
      const problem = !name
        ? `column ${i + 2} has no name`
        : name.length > LIMITS.name
          ? `the column name “${name.slice(0, 20)}…” is longer than ${LIMITS.name} characters`
          : seen.has(name)
            ? `the column “${name}” is there twice`
            : ""
      if (problem) out.problems.push({ line: first.line, message: `The header row: ${problem}.` })
      seen.add(name)
    }
  }
  /** @type {Map<string, number>} chat id -> the line it was first listed on */
  const firstSeen = new Map()
  let unheaded = 0
  for (const { cells, line } of header ? rows.slice(1) : rows) {
    const chatId = (cells[0] ?? "").trim()
    if (!chatId) {
      out.problems.push({ line, message: "no chat id in the first column." })
      continue
    }
    if (chatId.length > LIMITS.chatId) {
      out.problems.push({ line, message: `the chat id is longer than ${LIMITS.chatId} characters.` })
      continue
    }
    /** @type {Record<string, string>} */
    const variables = {}
    if (header) {
      if (cells.length > out.columns.length + 1) {
        out.problems.push({
          line,
          message: `${cells.length} columns, but the header row names ${out.columns.length + 1}.`,
        })
        continue
      }
      const long = out.columns.find((_, i) => (cells[i + 1] ?? "").length > LIMITS.value)
      if (long !== undefined) {
        out.problems.push({ line, message: `the value of “${long}” is longer than ${fmt(LIMITS.value)} characters.` })
        continue
      }
      // An empty cell leaves the variable out, so the broadcast's own value for it applies.
      for (const [i, name] of out.columns.entries()) if (cells[i + 1]?.trim()) variables[name] = String(cells[i + 1])
    } else if (cells.length > 1 && unheaded++ === 0) {
      out.problems.push({
        line,
        message:
          "this line has several columns: start the list with a header row (chatId,name,…) to use them as variables, or keep one chat id per line.",
      })
    }
    const seenAt = firstSeen.get(chatId)
    if (seenAt !== undefined) out.duplicates.set(out.recipients.length, seenAt)
    else firstSeen.set(chatId, line)
    out.recipients.push(Object.keys(variables).length ? { chatId, variables } : { chatId })
    out.lines.push(line)
  }
  return out
}

/**
 * The recipients field: a textarea to paste into, or a file; a summary and the first rows as they will be sent.
 * @param {{ fields: Fields, onChange: () => void }} o
 */
export function recipientsInput({ fields, onChange }) {
  const paste = h("textarea", {
    id: "broadcast-recipients",
    rows: 8,
    spellcheck: false,
    autocomplete: "off",
    placeholder: "123456789\n987654321\n…\n\nor CSV with a header row:\nchatId,first_name\n123456789,Ada",
  })
  const file = h("input", { type: "file", id: "broadcast-file", accept: ".csv,.txt,text/csv,text/plain" })
  const fileState = h("div", { class: "bc-file-state", hidden: true })
  const summary = h("div", { class: "bc-recipients-summary", id: "recipients-summary", "aria-live": "polite" })
  const preview = h("div", { class: "bc-recipients-preview" })
  /** @type {{ name: string, text: string } | null} */
  let fromFile = null
  /** @type {Parsed} */
  let parsed = parseRecipients("")

  function update() {
    parsed = parseRecipients(fromFile ? fromFile.text : paste.value)
    draw()
    onChange()
  }
  let timer = 0
  paste.addEventListener("input", () => {
    clearTimeout(timer)
    timer = window.setTimeout(update, 200)
  })
  file.addEventListener("change", async () => {
    const chosen = file.files?.[0]
    if (!chosen) return
    if (chosen.size > MAX_FILE) {
      mount(
        summary,
        h("p", { class: "field-error" }, `${chosen.name} is larger than 32 MB: split it into smaller files.`),
      )
      file.value = ""
      return
    }
    fromFile = { name: chosen.name, text: await chosen.text() }
    paste.disabled = true
    fileState.hidden = false
    mount(
      fileState,
      h("span", {}, "Using ", h("strong", {}, chosen.name), ` (${fmt(Math.ceil(chosen.size / 1024))} KB)`),
      h("button", { type: "button", class: "ghost small", onclick: clearFile }, "Remove file"),
    )
    update()
  })
  function clearFile() {
    fromFile = null
    file.value = ""
    paste.disabled = false
    fileState.hidden = true
    update()
    paste.focus()
  }

  function draw() {
    const { recipients, columns, duplicates, problems } = parsed
    const dupes = duplicates.size
    mount(
      summary,
      recipients.length || problems.length
        ? h(
            "p",
            { class: "bc-count" },
            h("strong", { id: "recipient-count" }, plural(recipients.length, "recipient")),
            columns.length ? ` · variables: ${columns.join(", ")}` : "",
            dupes ? h("span", { class: "badge dup" }, plural(dupes, "duplicate")) : null,
            problems.length ? h("span", { class: "badge bad" }, plural(problems.length, "line"), " to fix") : null,
          )
        : h("p", { class: "muted" }, "No recipients yet."),
      dupes
        ? h("p", { class: "hint" }, "A chat listed again gets the message once; the repeat is counted as skipped.")
        : null,
      problems.length
        ? h(
            "ul",
            { class: "problems bc-problems", "aria-label": "Lines that can't be sent" },
            ...problems.slice(0, SHOWN).map((p) => h("li", {}, `Line ${fmt(p.line)}: ${p.message}`)),
            problems.length > SHOWN ? h("li", { class: "muted" }, `and ${fmt(problems.length - SHOWN)} more`) : null,
          )
        : null,
    )
    mount(preview, recipients.length ? table() : null)
  }

  /** The first rows (and the first duplicates, wherever they are). */
  function table() {
    const { recipients, lines, columns, duplicates } = parsed
    const shown = [...new Set([...recipients.keys()].slice(0, SHOWN).concat([...duplicates.keys()].slice(0, 3)))]
    return h(
      "div",
      { class: "table-scroll" },
      h(
        "table",
        { class: "mini-table bc-rows" },
        h("caption", { class: "visually-hidden" }, "The first recipients, as they will be sent"),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, "Line"),
            h("th", { scope: "col" }, "Chat id"),
            ...columns.map((c) => h("th", { scope: "col" }, c)),
            h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Note")),
          ),
        ),
        h(
          "tbody",
          {},
          ...shown.map((i) => {
            const r = /** @type {Recipient} */ (recipients[i])
            const dupOf = duplicates.get(i)
            return h(
              "tr",
              { "data-line": lines[i], class: dupOf !== undefined ? "dup" : undefined },
              h("td", { class: "muted" }, fmt(lines[i] ?? 0)),
              h("td", { class: "mono" }, r.chatId),
              ...columns.map((c) => h("td", {}, r.variables?.[c] ?? h("span", { class: "muted" }, "—"))),
              h(
                "td",
                {},
                dupOf !== undefined ? h("span", { class: "badge dup" }, `Duplicate of line ${fmt(dupOf)}`) : null,
              ),
            )
          }),
        ),
      ),
      recipients.length > shown.length
        ? h("p", { class: "hint" }, `and ${plural(recipients.length - shown.length, "more recipient")}`)
        : null,
    )
  }

  const field = labelled({
    fields,
    path: "recipients",
    label: "Recipients",
    control: paste,
    hint: "One chat id per line, or CSV with a header row chatId,var1,var2: the other columns become each recipient's variables.",
    body: h(
      "div",
      { class: "bc-recipients" },
      paste,
      h(
        "div",
        { class: "bc-file" },
        h("label", { for: "broadcast-file", class: "bc-file-label" }, "…or upload a CSV or TXT file"),
        file,
        fileState,
      ),
    ),
  })
  draw()
  return {
    element: h("div", {}, field, summary, preview),
    /** @returns {Parsed} */
    parsed: () => parsed,
    /** While a broadcast is being sent, the list can't change. @param {boolean} locked */
    lock(locked) {
      paste.disabled = locked || fromFile !== null
      file.disabled = locked
      for (const b of fileState.querySelectorAll("button")) b.disabled = locked
    },
  }
}
