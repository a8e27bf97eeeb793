/**
 * `GET /docs`: an interactive reference rendered from `/openapi.json` in the browser: every operation, its
 * parameters and body schema, and a "Send" form that calls it with your token. Self-contained: no CDN.
 */
import { Hono } from "hono"
import type { AppEnv } from "../env"

const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Switchboard API</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
header{background:#111827;color:#fff;padding:16px 24px;display:flex;gap:16px;align-items:center;flex-wrap:wrap}
header h1{font-size:18px;margin:0;flex:1}
header input{width:min(420px,100%);padding:6px 8px;border-radius:6px;border:1px solid #374151;background:#1f2937;color:#fff}
main{max-width:980px;margin:0 auto;padding:16px}
details{background:#fff;border:1px solid #e5e7eb;border-radius:8px;margin:8px 0}
summary{cursor:pointer;padding:10px 14px;display:flex;gap:10px;align-items:center}
.m{font:600 12px ui-monospace,monospace;padding:2px 6px;border-radius:4px;color:#fff;min-width:52px;text-align:center}
.get{background:#2563eb}.post{background:#059669}.patch{background:#d97706}.delete{background:#dc2626}
.body{padding:0 14px 14px}pre{background:#0b1020;color:#d1e3ff;padding:10px;border-radius:6px;overflow:auto;font-size:13px;max-height:280px}
label{display:block;font-size:13px;margin-top:6px}input.p,textarea{width:100%;box-sizing:border-box;font:13px ui-monospace,monospace;padding:6px;border:1px solid #d1d5db;border-radius:6px}
button{margin-top:8px;padding:6px 14px;border:0;border-radius:6px;background:#111827;color:#fff;cursor:pointer}
</style></head><body>
<header><h1>Switchboard API</h1><label style="margin:0">Bearer token <input id="token" placeholder="paste a JWT (npm run token)"></label></header>
<main id="ops">Loading /openapi.json…</main>
<script type="module">
const doc = await (await fetch("/openapi.json")).json()
const token = document.getElementById("token")
token.value = sessionStorage.getItem("switchboard.token") ?? ""
token.addEventListener("change", () => sessionStorage.setItem("switchboard.token", token.value))
const el = (tag, props = {}, ...kids) => { const n = Object.assign(document.createElement(tag), props); n.append(...kids); return n }
const resolve = (s) => (s?.$ref ? doc.components?.schemas?.[s.$ref.split("/").pop()] ?? s : s)
const ops = document.getElementById("ops"); ops.textContent = ""
for (const [path, methods] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(methods)) {
  const params = (op.parameters ?? []).filter((p) => p.in === "path" || p.in === "query")
  const bodySchema = resolve(op.requestBody?.content?.["application/json"]?.schema)
  const inputs = params.map((p) => { const i = el("input", { className: "p", name: p.name, placeholder: p.in }); return [p, i] })
  const body = bodySchema ? el("textarea", { rows: 5, placeholder: "JSON body" }) : null
  const out = el("pre", { hidden: true })
  const send = el("button", { type: "button", textContent: "Send" })
  send.onclick = async () => {
    let url = path; const q = new URLSearchParams()
    for (const [p, i] of inputs) if (i.value) p.in === "path" ? (url = url.replace("{" + p.name + "}", encodeURIComponent(i.value))) : q.set(p.name, i.value)
    const res = await fetch(url + (q.size ? "?" + q : ""), { method: method.toUpperCase(), headers: { authorization: "Bearer " + token.value, ...(body ? { "content-type": "application/json" } : {}) }, body: body?.value || undefined })
    out.hidden = false; out.textContent = res.status + " " + res.statusText + "\\n" + await res.text()
  }
  ops.append(el("details", {}, el("summary", {}, el("span", { className: "m " + method, textContent: method.toUpperCase() }), el("code", { textContent: path }), el("span", { textContent: op.summary ?? "" })),
    el("div", { className: "body" }, ...inputs.map(([p, i]) => el("label", { textContent: p.name + (p.required ? " *" : "") }, i)),
      ...(bodySchema ? [el("pre", { textContent: JSON.stringify(bodySchema, null, 2).slice(0, 4000) }), body] : []), send, out)))
}
</script></body></html>`

export const docsApp = new Hono<AppEnv>().get("/", (c) => c.html(page))
