// Starts the whole local stack for browser tests: fake platforms, a migrated local D1 in a temp dir, and `wrangler dev`
// on a free port with its own secrets (never the developer's .dev.vars or .wrangler state).
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { freePort } from "../fakes/http.ts"
import { type Fakes, startFakes } from "../fakes/index.ts"

export interface Stack {
  url: string
  fakes: Fakes
  jwtSecret: string
  stop(): Promise<void>
}

const root = join(import.meta.dirname, "..", "..")
const wranglerBin = join(root, "node_modules", "wrangler", "bin", "wrangler.js")

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}`)
    try {
      const res = await fetch(`${url}/health`)
      if (res.ok) return
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`wrangler dev did not answer /health within ${timeoutMs} ms`)
}

export async function startStack(): Promise<Stack> {
  const state = mkdtempSync(join(tmpdir(), "switchboard-browser-"))
  const fakes = await startFakes()
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const jwtSecret = randomBytes(32).toString("base64url")
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" }
  const migrate = spawnSync(
    process.execPath,
    [wranglerBin, "d1", "migrations", "apply", "DB", "--local", "--persist-to", state],
    {
      cwd: root,
      env,
      encoding: "utf8",
    },
  )
  if (migrate.status !== 0) throw new Error(`migrations failed: ${migrate.stderr}`)
  const vars = {
    JWT_SECRET: jwtSecret,
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    WHATSAPP_APP_SECRET: randomBytes(16).toString("hex"),
    ENVIRONMENT: "development",
    PUBLIC_BASE_URL: url,
    ...fakes.env,
  }
  const args = [
    wranglerBin,
    "dev",
    "--port",
    String(port),
    "--ip",
    "127.0.0.1",
    "--persist-to",
    state,
    "--show-interactive-dev-session=false",
  ]
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`)
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] })
  let output = ""
  child.stdout?.on("data", (d: Buffer) => {
    output += d.toString()
  })
  child.stderr?.on("data", (d: Buffer) => {
    output += d.toString()
  })
  try {
    await waitForHealth(url, child, 90_000)
  } catch (error) {
    child.kill("SIGKILL")
    await fakes.close()
    throw new Error(`${error instanceof Error ? error.message : error}\n${output.slice(-3000)}`)
  }
  return {
    url,
    fakes,
    jwtSecret,
    async stop() {
      child.kill("SIGINT")
      await new Promise((r) => setTimeout(r, 500))
      if (child.exitCode === null) child.kill("SIGKILL")
      await fakes.close()
      rmSync(state, { recursive: true, force: true })
    },
  }
}
