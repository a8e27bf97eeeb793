#!/usr/bin/env node
// `npm run dev [-- --port 8787] [--real] [--verbose]`: install if needed, create .dev.vars with random secrets, migrate
// local D1, start the fake platforms (unless --real), and serve API + dashboard + webhooks with `wrangler dev`.
// Start-up is quiet: one line per step, wrangler's warnings and errors, then the URLs to open and the token command;
// after that, wrangler's request logs and the worker's console as they come. --verbose shows everything wrangler says.
import { spawn, spawnSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs, stripVTControlCharacters } from "node:util"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const localNode = join(root, "node_modules", ".bin", "node")
const wranglerJs = join(root, "node_modules", "wrangler", "bin", "wrangler.js")
const usage = "usage: npm run dev -- [--port 8787] [--real] [--verbose]"

let args
try {
  args = parseArgs({
    options: {
      port: { type: "string", default: process.env.PORT ?? "8787" },
      real: { type: "boolean", default: false },
      verbose: { type: "boolean", default: false },
    },
  }).values
} catch (err) {
  console.error(`${err instanceof Error ? err.message : err}\n${usage}`)
  process.exit(2)
}
const { port, real, verbose } = args
const origin = `http://127.0.0.1:${port}`
const say = (line) => console.log(`[dev] ${line}`)

/** Runs a step with its output captured: shown only when it fails (or with --verbose). */
function quietly(what, cmd, argv, env = process.env) {
  const r = spawnSync(cmd, argv, { cwd: root, encoding: "utf8", env, stdio: ["ignore", "pipe", "pipe"] })
  const output = `${r.stdout ?? ""}${r.stderr ?? ""}`
  if (verbose || r.status !== 0) process.stdout.write(output)
  if (r.status !== 0) {
    console.error(`[dev] ${what} failed${r.error ? `: ${r.error.message}` : ` (exit code ${r.status})`}`)
    process.exit(r.status ?? 1)
  }
  return output
}

// 1. Dependencies (on whatever Node the shell has: npm only), then re-run on the project's Node (the `node` package).
if (!existsSync(localNode)) {
  say("installing dependencies (npm ci, about a minute)…")
  const started = Date.now()
  // --loglevel=error: the shell's Node may be older than `engines` asks (EBADENGINE); npm scripts run on Node 24.
  quietly("npm ci", "npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"])
  say(`dependencies installed (${Math.round((Date.now() - started) / 1000)} s)`)
}
if (Number(process.versions.node.split(".")[0]) < 22) {
  const r = spawnSync(localNode, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    cwd: root,
    stdio: "inherit",
  })
  process.exit(r.status ?? 1)
}

// 2. The port, before anything else starts: a clear sentence rather than wrangler's stack trace.
const free = await new Promise((resolve) => {
  const probe = createServer()
  probe.once("error", () => resolve(false))
  probe.listen(Number(port), "127.0.0.1", () => probe.close(() => resolve(true)))
})
if (!free) {
  console.error(`[dev] port ${port} is in use: another \`npm run dev\`? Stop it, or serve on another port with`)
  console.error("[dev] `npm run dev -- --port 8788` (the fakes still need 8081-8085, unless --real)")
  process.exit(1)
}

// 3. Local secrets, created once.
const varsPath = join(root, ".dev.vars")
const vars = existsSync(varsPath) ? readFileSync(varsPath, "utf8") : ""
const wanted = {
  JWT_SECRET: () => randomBytes(32).toString("base64url"),
  ENCRYPTION_KEY: () => randomBytes(32).toString("base64"),
  WHATSAPP_APP_SECRET: () => randomBytes(16).toString("hex"),
  ENVIRONMENT: () => "development",
}
const missing = Object.entries(wanted).filter(([k]) => !new RegExp(`^${k}=`, "m").test(vars))
if (missing.length > 0) {
  const lines = missing.map(([k, make]) => `${k}="${make()}"`).join("\n")
  writeFileSync(varsPath, `${vars}${vars && !vars.endsWith("\n") ? "\n" : ""}${lines}\n`, { mode: 0o600 })
  say(`wrote ${missing.map(([k]) => k).join(", ")} to .dev.vars`)
}

// 4. Local D1 schema. The Request.cf object is a placeholder locally: no fetch from workers.cloudflare.com (which
// fails offline with a stack trace, twice).
const env = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? "false" }
const migrated = quietly("migrating local D1", localNode, [wranglerJs, "d1", "migrations", "apply", "DB", "--local"], {
  ...env,
  CI: "1",
})
const applied = new Set(migrated.match(/\d{4}_[\w-]+\.sql/g) ?? [])
say(applied.size === 0 ? "local D1 is up to date" : `local D1: applied ${applied.size} migration(s)`)

// 5. Fake platform APIs (every test/fakes/*.fake.ts): local development should need neither the platforms nor the
// internet.
const extra = []
const fakeUrls = []
let fakes
if (!real) {
  const { startFakes } = await import("../test/fakes/index.ts")
  try {
    fakes = await startFakes({ ports: "dev" })
  } catch (err) {
    console.error(`[dev] the fake platforms could not start (${err instanceof Error ? err.message : err}).`)
    console.error("[dev] Another `npm run dev` or `npm run sim -- serve` holds their ports (8081-8085)?")
    process.exit(1)
  }
  const byPort = Object.entries(fakes.platforms).sort(([, a], [, b]) => a.origin.localeCompare(b.origin))
  for (const [platform, f] of byPort) {
    fakeUrls.push(`${f.origin} (${platform})`)
    extra.push("--var", `${f.apiBaseEnv}:${f.apiBase}`)
  }
}

// 6. Serve. Start-up output is held back until "Ready on": only warnings and errors pass (all of it if wrangler stops
// before it is ready); from then on everything passes.
const colors = process.stdout.isTTY && !process.env.NO_COLOR ? { FORCE_COLOR: "1" } : {}
const wrangler = spawn(
  localNode,
  [
    wranglerJs,
    "dev",
    "--port",
    port,
    "--ip",
    "127.0.0.1",
    // Cron triggers by hand (GET /__scheduled) instead of wrangler's start-up warning that they do not run locally.
    "--test-scheduled",
    "--var",
    `PUBLIC_BASE_URL:${origin}`,
    ...extra,
  ],
  { cwd: root, env: { ...env, ...colors }, stdio: ["inherit", "pipe", "pipe"] },
)

let ready = false
/** While the start-up block is being written: wrangler's log of its own GET /health is dropped. */
let announcing = false
let alert = false
const held = []
function onLine(line, out) {
  if (announcing && / \/health 200/.test(line)) return
  const text = stripVTControlCharacters(line)
  if (!ready && /Ready on http/.test(text)) {
    ready = true
    void announce()
    if (!verbose) return
  }
  if (ready || verbose) return out.write(`${line}\n`)
  // A warning or an error block: its heading, then its indented or blank lines.
  if (/\[(WARNING|ERROR)\]|✘|^\s*Error:/.test(text)) alert = true
  else if (alert && text !== "" && !/^\s/.test(text)) alert = false
  if (alert) out.write(`${line}\n`)
  else held.push(line)
}
for (const [stream, out] of [
  [wrangler.stdout, process.stdout],
  [wrangler.stderr, process.stderr],
]) {
  let rest = ""
  stream.setEncoding("utf8")
  stream.on("data", (chunk) => {
    const lines = (rest + chunk).split("\n")
    rest = lines.pop() ?? ""
    for (const line of lines) onLine(line, out)
  })
  stream.on("end", () => rest && onLine(rest, out))
}

async function announce() {
  announcing = true
  const health = await fetch(`${origin}/health`, { signal: AbortSignal.timeout(10_000) }).then(
    (r) => r.status,
    (err) => (err instanceof Error ? err.message : String(err)),
  )
  const lines = [
    "",
    health === 200 ? "Switchboard is running (GET /health: 200)." : `Switchboard started, but GET /health: ${health}`,
    `  dashboard   ${origin}/           ("Dev sign-in" opens the demo business)`,
    `  API docs    ${origin}/docs       (OpenAPI: ${origin}/openapi.json)`,
    fakeUrls.length > 0 ? `  fakes       ${fakeUrls.join(", ")}` : "  platforms   the real APIs (--real)",
    `  API token   TOKEN=$(npm run -s token -- --business demo --role admin)`,
    "Ctrl-C stops. Request logs follow.",
    "",
  ]
  console.log(lines.join("\n"))
  // wrangler logs the request a moment after answering it.
  setTimeout(() => {
    announcing = false
  }, 500)
}

const stop = async () => {
  wrangler.kill("SIGINT")
  await fakes?.close()
}
process.on("SIGINT", stop)
process.on("SIGTERM", stop)
wrangler.on("exit", async (code) => {
  if (!ready) {
    for (const line of held) console.error(line)
    console.error(`[dev] wrangler dev stopped before it was ready (exit code ${code}); its output is above`)
  }
  await fakes?.close()
  process.exit(code ?? 0)
})
