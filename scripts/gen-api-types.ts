#!/usr/bin/env node
// `npm run gen:api-types [-- --check]`: starts the worker locally (wrangler's startWorker: the same build as
// `npm run dev`, in-memory storage, no network), reads its /openapi.json and writes docs/openapi.json and the
// dashboard's public/js/api-types.d.ts (scripts/openapi-types.ts). With --check it writes nothing and exits 1 when
// either file is stale. test/e2e/openapi-types.test.ts makes the same comparison inside workerd.
import { readFileSync, writeFileSync } from "node:fs"
import { join, relative } from "node:path"
import { parseArgs } from "node:util"
import { unstable_startWorker } from "wrangler"
import { type OpenApiDocument, toTypeScript } from "./openapi-types.ts"

const root = join(import.meta.dirname, "..")
const specPath = join(root, "docs", "openapi.json")
const typesPath = join(root, "public", "js", "api-types.d.ts")

/** The document as the checked-in file holds it. */
const specText = (doc: unknown) => `${JSON.stringify(doc, null, 2)}\n`

async function liveDocument(): Promise<OpenApiDocument> {
  // Miniflare would otherwise fetch the `Request.cf` placeholder from the network (noise when offline).
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false"
  const worker = await unstable_startWorker({
    config: join(root, "wrangler.toml"),
    dev: {
      server: { hostname: "127.0.0.1", port: 0 },
      inspector: false,
      watch: false,
      persist: false,
      logLevel: "warn",
    },
  })
  try {
    await worker.ready
    const res = await worker.fetch("http://localhost/openapi.json")
    if (!res.ok) throw new Error(`/openapi.json answered ${res.status}: ${await res.text()}`)
    return (await res.json()) as OpenApiDocument
  } finally {
    await worker.dispose()
  }
}

const { values } = parseArgs({ options: { check: { type: "boolean", default: false } } })
const started = performance.now()
const doc = await liveDocument()
const outputs: [string, string][] = [
  [specPath, specText(doc)],
  [typesPath, toTypeScript(doc)],
]
let stale = 0
for (const [path, text] of outputs) {
  let current: string | undefined
  try {
    current = readFileSync(path, "utf8")
  } catch {
    current = undefined
  }
  const name = relative(root, path)
  if (current === text) console.log(`${name}: up to date`)
  else if (values.check) {
    stale++
    console.error(`${name}: stale (run npm run gen:api-types)`)
  } else {
    writeFileSync(path, text)
    console.log(`${name}: written`)
  }
}
console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`)
if (stale > 0) process.exit(1)
