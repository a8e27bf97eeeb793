// @ts-check
// The /docs API reference page (src/routes/docs.ts): every operation in /openapi.json, its parameters and body schema,
// and a "Send" form that calls it with the pasted token. A file, not an inline script: the CSP allows none.

/** @typedef {{ name: string, in: string, required?: boolean }} Parameter */
/** @typedef {{ $ref?: string } & Record<string, unknown>} Schema */
/**
 * @typedef {{
 *   summary?: string, parameters?: Parameter[],
 *   requestBody?: { content?: Record<string, { schema?: Schema }> }
 * }} Operation
 */
/** @typedef {{ paths: Record<string, Record<string, Operation>>, components?: { schemas?: Record<string, Schema> } }} Doc */

export {} // a module: the top-level await below

/** @type {Doc} */
const doc = await (await fetch("/openapi.json")).json()
const token = /** @type {HTMLInputElement} */ (document.getElementById("token"))
token.value = sessionStorage.getItem("switchboard.token") ?? ""
token.addEventListener("change", () => sessionStorage.setItem("switchboard.token", token.value))

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Partial<HTMLElementTagNameMap[K]>} [props]
 * @param {...(Node | string)} kids
 * @returns {HTMLElementTagNameMap[K]}
 */
const el = (tag, props = {}, ...kids) => {
  const n = Object.assign(document.createElement(tag), props)
  n.append(...kids)
  return n
}
/** @param {Schema | undefined} s */
const resolve = (s) => (s?.$ref ? (doc.components?.schemas?.[s.$ref.split("/").pop() ?? ""] ?? s) : s)

const ops = /** @type {HTMLElement} */ (document.getElementById("ops"))
ops.textContent = ""
for (const [path, methods] of Object.entries(doc.paths))
  for (const [method, op] of Object.entries(methods)) {
    const params = (op.parameters ?? []).filter((p) => p.in === "path" || p.in === "query")
    const bodySchema = resolve(op.requestBody?.content?.["application/json"]?.schema)
    /** @type {[Parameter, HTMLInputElement][]} */
    const inputs = params.map((p) => [p, el("input", { className: "p", name: p.name, placeholder: p.in })])
    const body = bodySchema ? el("textarea", { rows: 5, placeholder: "JSON body" }) : null
    const out = el("pre", { hidden: true })
    const send = el("button", { type: "button", textContent: "Send" })
    send.addEventListener("click", async () => {
      let url = path
      const q = new URLSearchParams()
      for (const [p, i] of inputs) {
        if (!i.value) continue
        if (p.in === "path") url = url.replace(`{${p.name}}`, encodeURIComponent(i.value))
        else q.set(p.name, i.value)
      }
      const res = await fetch(url + (q.size ? `?${q}` : ""), {
        method: method.toUpperCase(),
        headers: { authorization: `Bearer ${token.value}`, ...(body ? { "content-type": "application/json" } : {}) },
        body: body?.value || undefined,
      })
      out.hidden = false
      out.textContent = `${res.status} ${res.statusText}\n${await res.text()}`
    })
    ops.append(
      el(
        "details",
        {},
        el(
          "summary",
          {},
          el("span", { className: `m ${method}`, textContent: method.toUpperCase() }),
          el("code", { textContent: path }),
          el("span", { textContent: op.summary ?? "" }),
        ),
        el(
          "div",
          { className: "body" },
          ...inputs.map(([p, i]) => el("label", { textContent: p.name + (p.required ? " *" : "") }, i)),
          ...(bodySchema && body
            ? [el("pre", { textContent: JSON.stringify(bodySchema, null, 2).slice(0, 4000) }), body]
            : []),
          send,
          out,
        ),
      ),
    )
  }
