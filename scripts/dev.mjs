#!/usr/bin/env node
// `npm run dev`: install if needed, create .dev.vars with random secrets, migrate local D1, start the fake
// platforms (unless --real), and serve API + dashboard + webhooks with `wrangler dev`.
import { spawn, spawnSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const localNode = join(root, "node_modules", ".bin", "node")
const real = process.argv.includes("--real")
const port = process.env.PORT ?? "8787"

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit" })
  if (r.status !== 0) process.exit(r.status ?? 1)
}

// 1. Dependencies, then re-run on the project's Node (>= 22.12, from the `node` devDependency).
if (!existsSync(localNode)) {
  console.log("[dev] installing dependencies (npm ci)…")
  run("npm", ["ci"])
}
if (Number(process.versions.node.split(".")[0]) < 22) {
  const r = spawnSync(localNode, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    cwd: root,
    stdio: "inherit",
  })
  process.exit(r.status ?? 1)
}

// 2. Local secrets, created once.
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
  console.log(`[dev] wrote ${missing.map(([k]) => k).join(", ")} to .dev.vars`)
}

// 3. Local D1 schema.
run(localNode, [
  join(root, "node_modules", "wrangler", "bin", "wrangler.js"),
  "d1",
  "migrations",
  "apply",
  "DB",
  "--local",
])

// 4. Fake platform APIs (every test/fakes/*.fake.ts): this machine has no internet, and local demos should not need it.
const extra = []
let fakes
if (!real) {
  const { startFakes } = await import("../test/fakes/index.ts")
  fakes = await startFakes({ ports: "dev" })
  for (const [platform, f] of Object.entries(fakes.platforms)) {
    console.log(`[dev] fake ${platform} API at ${f.apiBase}`)
    extra.push("--var", `${f.apiBaseEnv}:${f.apiBase}`)
  }
}

// 5. Serve.
const wrangler = spawn(
  localNode,
  [
    join(root, "node_modules", "wrangler", "bin", "wrangler.js"),
    "dev",
    "--port",
    port,
    "--ip",
    "127.0.0.1",
    "--var",
    `PUBLIC_BASE_URL:http://127.0.0.1:${port}`,
    ...extra,
  ],
  { cwd: root, stdio: "inherit" },
)
const stop = async () => {
  wrangler.kill("SIGINT")
  await fakes?.close()
}
process.on("SIGINT", stop)
process.on("SIGTERM", stop)
wrangler.on("exit", async (code) => {
  await fakes?.close()
  process.exit(code ?? 0)
})
