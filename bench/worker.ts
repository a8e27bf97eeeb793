// The worker under test: one esbuild bundle (wrangler's), served by workerd through Miniflare's API (not wrangler dev,
// whose proxy caps throughput: DESIGN.md §7), with D1 migrated, a JWT for the API, and the runtime's peak memory.
import { spawnSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { build } from "esbuild"
import { convertV4MiniflareOptions, Miniflare } from "miniflare"
import { signToken } from "../src/auth/sign.ts"
import { freePort } from "../test/fakes/http.ts"

export const root = join(import.meta.dirname, "..")

export interface Bundle {
  dir: string
  /** The entry module inside `dir`. */
  main: string
  /** Modules the entry imports (inside `dir`), when it is a wrapper of another entry. */
  imports?: string[]
  durableObjects: Record<string, { className: string; useSQLite: boolean }>
  /** Whether the worker has the registry (D1, migrated at start). */
  registry: boolean
  compatibilityDate: string
  compatibilityFlags: string[]
  cleanup(): void
}

/** `wrangler deploy --dry-run --outdir`: the exact bundle a deploy would upload. */
export function buildBundle(): Bundle {
  const dir = mkdtempSync(join(tmpdir(), "switchboard-bench-"))
  const wrangler = join(root, "node_modules", "wrangler", "bin", "wrangler.js")
  const r = spawnSync(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", dir], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  })
  if (r.status !== 0) throw new Error(`wrangler build failed (${r.status}):\n${r.stdout}\n${r.stderr}`)
  const toml = readFileSync(join(root, "wrangler.toml"), "utf8")
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1]
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1]
  if (!date) throw new Error("wrangler.toml has no compatibility_date")
  return {
    dir,
    main: "index.js",
    durableObjects: {
      BOT: { className: "BotDurableObject", useSQLite: true },
      ROUTES: { className: "RouteDirectory", useSQLite: true },
      CONTACT: { className: "ContactDurableObject", useSQLite: true },
      GATE: { className: "BusinessGate", useSQLite: true },
      REGISTRY_HUB: { className: "RegistryHub", useSQLite: true },
    },
    registry: true,
    compatibilityDate: date,
    compatibilityFlags: [...(flags ?? "").matchAll(/"([^"]+)"/g)].map((m) => m[1] ?? ""),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
}

/** bench/floor-worker.js bundled with esbuild (as wrangler would), with the main bundle's compatibility settings. */
export async function buildFloorBundle(main: Bundle): Promise<Bundle> {
  const dir = mkdtempSync(join(tmpdir(), "switchboard-bench-floor-"))
  await build({
    entryPoints: [join(root, "bench", "floor-worker.js")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    external: ["cloudflare:*"],
    outfile: join(dir, "floor.js"),
    logLevel: "warning",
  })
  return {
    ...main,
    dir,
    main: "floor.js",
    durableObjects: { FLOOR: { className: "FloorObject", useSQLite: true } },
    registry: false,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
}

/**
 * `--handlers-off`: the same build with its bots' alarms switched off, so a webhook stores its update (and sets the
 * alarm once) and nothing handles it, replies or reports: ingest alone. A module next to the bundle's entry that
 * re-exports it with BotDurableObject's `alarm()` a no-op (the product has no such switch; nothing in src/ changes).
 * Cleaned up with the main bundle's directory.
 */
export function handlersOffBundle(main: Bundle): Bundle {
  const entry = "handlers-off.js"
  writeFileSync(
    join(main.dir, entry),
    [
      `export * from "./${main.main}"`,
      `export { default } from "./${main.main}"`,
      `import { BotDurableObject as Product } from "./${main.main}"`,
      "export class BotDurableObject extends Product {",
      "  async alarm() {}",
      "}",
      "",
    ].join("\n"),
  )
  return { ...main, main: entry, imports: [main.main], cleanup: () => undefined }
}

/** Children of this process whose command is workerd. */
function workerdChildren(): Set<number> {
  const out = new Set<number>()
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8")
      // pid (comm) state ppid ...: comm may hold spaces, so split after the last ")".
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"))
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
      if (comm === "workerd" && ppid === process.pid) out.add(Number(entry))
    } catch {
      // the process ended while we looked
    }
  }
  return out
}

/** Peak resident set (VmHWM) of a process in MiB, or NaN when it is gone. */
export function peakMemoryMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8")
    const kb = Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1])
    return kb / 1024
  } catch {
    return Number.NaN
  }
}

export interface WorkerConfig {
  telegramApiBase: string
  whatsappApiBase: string
  /** SLACK_API_BASE (the fake Web API); without it the worker's default, slack.com (no run creates a Slack bot then). */
  slackApiBase?: string
  /** DISCORD_API_BASE (the fake REST API, whose /gateway/bot names the fake Gateway); without it discord.com. */
  discordApiBase?: string
  /** Open workerd's inspector (for --profile). */
  inspect?: boolean
  /** More environment variables (e.g. REGISTRY_FLUSH_MS for registry-writes). */
  vars?: Record<string, string>
  /** Businesses to mint admin tokens for, besides bench and acme. */
  businesses?: string[]
  /** Keep D1 and the Durable Objects' storage in this directory (a restart on it finds every bot, every object cold). */
  persistDir?: string
  /** The secrets to start with (a restart on `persistDir` must decrypt what the first start sealed); else random. */
  keys?: WorkerKeys
  /** D1 is already migrated (a restart on `persistDir`). */
  migrated?: boolean
}

export interface WorkerKeys {
  jwtSecret: string
  encryptionKey: string
  whatsappAppSecret: string
}

export interface RunningWorker {
  origin: string
  /** The workerd process serving this instance (one per instance: its VmHWM is this run's peak). */
  pid: number
  mf: Miniflare
  /** DevTools protocol base URL when started with `inspect`. */
  inspectorUrl?: string
  /** HS256 admin token for `business`. */
  token(business: string): string
  /** Worker log lines at warn or error level (a healthy run has none). */
  problems: string[]
  /** The secrets it was started with (to restart on the same persisted storage). */
  keys: WorkerKeys
  peakMemoryMb(): number
  dispose(): Promise<void>
}

/** The D1 schema, as `wrangler d1 migrations apply` would lay it: files in order, statement by statement. */
async function migrate(mf: Miniflare): Promise<void> {
  const db = await mf.getD1Database("DB")
  const files = readdirSync(join(root, "migrations"))
    .filter((f) => f.endsWith(".sql"))
    .sort()
  for (const file of files) {
    const sql = readFileSync(join(root, "migrations", file), "utf8")
    const statements = sql
      .replace(/--[^\n]*/g, "")
      .split(";")
      .map((s) => s.trim())
      .filter((s) => s !== "")
    for (const statement of statements) await db.prepare(statement).run()
  }
}

/**
 * The businesses the bench calls the API as (bench/api.ts, pacing.ts, registry.ts). Their admin tokens are minted at
 * start by src/auth/sign.ts (the worker's own signer, async: WebCrypto), so `token()` can stay synchronous.
 */
const TOKEN_BUSINESSES = ["bench", "acme"]

async function mintTokens(secret: string, more: string[] = []): Promise<Map<string, string>> {
  const day = 86_400
  const sign = (b: string) => signToken({ sub: `bench@${b}`, business_id: b, role: "admin" }, secret, day)
  const businesses = [...new Set([...TOKEN_BUSINESSES, ...more])]
  return new Map(await Promise.all(businesses.map(async (b) => [b, await sign(b)] as const)))
}

let starting: Promise<unknown> = Promise.resolve()

/**
 * Starts a fresh workerd with the bundle: empty D1 (migrated), empty Durable Objects, its own process. Starts are
 * serialized, so each new workerd child can be told apart from the others.
 */
export function startWorker(bundle: Bundle, config: WorkerConfig): Promise<RunningWorker> {
  const started = starting.then(() => start(bundle, config))
  starting = started.catch(() => undefined)
  return started
}

/** Tries to start on a free port this many times: another process can take the port before workerd binds it. */
const PORT_ATTEMPTS = 5

async function start(bundle: Bundle, config: WorkerConfig): Promise<RunningWorker> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(await freePort(), bundle, config)
    } catch (error) {
      const taken = error instanceof Error && "code" in error && error.code === "ERR_ADDRESS_IN_USE"
      if (!taken || attempt >= PORT_ATTEMPTS) throw error
    }
  }
}

async function startOn(port: number, bundle: Bundle, config: WorkerConfig): Promise<RunningWorker> {
  const origin = `http://127.0.0.1:${port}`
  const keys: WorkerKeys = config.keys ?? {
    jwtSecret: randomBytes(32).toString("base64url"),
    encryptionKey: randomBytes(32).toString("base64"),
    whatsappAppSecret: randomBytes(16).toString("hex"),
  }
  const tokens = await mintTokens(keys.jwtSecret, config.businesses)
  const problems: string[] = []
  const before = workerdChildren()
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port,
      ...(config.inspect ? { inspectorPort: 0 } : {}),
      logRequests: false,
      ...(config.persistDir ? { resourcePersistencePath: config.persistDir } : {}),
      handleStructuredLogs: (log) => {
        if ((log.level === "warn" || log.level === "error") && problems.length < 50) problems.push(log.message)
      },
      // A wrapper entry names its modules (Miniflare does not follow the entry's imports); the bundle is one module.
      ...(bundle.imports
        ? {
            modulesRoot: bundle.dir,
            modules: [bundle.main, ...bundle.imports].map((m) => ({ type: "ESModule", path: join(bundle.dir, m) })),
          }
        : { modules: true, modulesRoot: bundle.dir, scriptPath: join(bundle.dir, bundle.main) }),
      compatibilityDate: bundle.compatibilityDate,
      compatibilityFlags: bundle.compatibilityFlags,
      d1Databases: { DB: "switchboard-bench" },
      durableObjects: bundle.durableObjects,
      bindings: {
        JWT_SECRET: keys.jwtSecret,
        ENCRYPTION_KEY: keys.encryptionKey,
        WHATSAPP_APP_SECRET: keys.whatsappAppSecret,
        PUBLIC_BASE_URL: origin,
        TELEGRAM_API_BASE: config.telegramApiBase,
        WHATSAPP_API_BASE: config.whatsappApiBase,
        ...(config.slackApiBase ? { SLACK_API_BASE: config.slackApiBase } : {}),
        ...(config.discordApiBase ? { DISCORD_API_BASE: config.discordApiBase } : {}),
        MESSAGING_PLATFORM: "telegram",
        // Every instance has the baseline route; the router runs never call it.
        BENCH_BARE: "1",
        // The API's per-business limit (100/s by default) would cap the pacing and broadcast runs' API sends, which
        // measure the queue behind it; every call still goes through the business's gate object.
        API_RATE_LIMIT: "off",
        ...config.vars,
      },
    }),
  )
  try {
    await mf.ready
  } catch (error) {
    await mf.dispose().catch(() => undefined)
    throw error
  }
  if (bundle.registry && !config.migrated) await migrate(mf)
  const pids = [...workerdChildren()].filter((p) => !before.has(p))
  const pid = pids[0]
  if (pid === undefined || pids.length !== 1) {
    await mf.dispose()
    throw new Error(`could not identify the workerd process (new children: ${pids.join(", ") || "none"})`)
  }
  const inspectorUrl = config.inspect ? (await mf.getInspectorURL()).href : undefined
  return {
    origin,
    pid,
    mf,
    ...(inspectorUrl ? { inspectorUrl } : {}),
    token: (business) => {
      const token = tokens.get(business)
      if (token === undefined) throw new Error(`no token minted for business "${business}": add it to TOKEN_BUSINESSES`)
      return token
    },
    problems,
    keys,
    peakMemoryMb: () => peakMemoryMb(pid),
    dispose: () => mf.dispose(),
  }
}
