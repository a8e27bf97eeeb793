// Starts every fake platform server (each `test/fakes/<platform>.fake.ts`) on 127.0.0.1 for tests, bench and sim.
import { readdirSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import type { FakeDefinition, RunningFake } from "./control.ts"
import { startEndpointsFake } from "./endpoints.ts"

export interface FakesOptions {
  /** Ports by platform; 0 or omitted: a random free port. `"dev"`: each fake's own `devPort`. */
  ports?: Record<string, number> | "dev"
  endpointsPort?: number
  /** Added to every platform API response (the bench uses 100 ms); changeable later with /__fake/latency. */
  latencyMs?: number
}

export interface RunningPlatformFake {
  /** Origin of the control API (/__fake/*). */
  origin: string
  /** What the worker's `apiBaseEnv` variable must be set to. */
  apiBase: string
  apiBaseEnv: string
}

export interface Fakes {
  /** Every fake, by platform name. */
  platforms: Record<string, RunningPlatformFake>
  /** The worker's env for all of them: `{ TELEGRAM_API_BASE: ..., WHATSAPP_API_BASE: ..., ... }`. */
  env: Record<string, string>
  /** TELEGRAM_API_BASE, e.g. http://127.0.0.1:P (calls go to {base}/bot{token}/{method}). */
  telegramApiBase: string
  /** WHATSAPP_API_BASE, with the Graph version: http://127.0.0.1:Q/v21.0. */
  whatsappApiBase: string
  telegramOrigin: string
  whatsappOrigin: string
  /** A business's forward URL (`/forward/{name}`) and an OpenAI-compatible API (`/ai/{name}/v1`), for handler tests. */
  endpointsOrigin: string
  close(): Promise<void>
}

export { whatsappVersion } from "./whatsapp.fake.ts"

const here = dirname(fileURLToPath(import.meta.url))

function isDefinition(value: unknown): value is FakeDefinition {
  return (
    typeof value === "object" &&
    value !== null &&
    "platform" in value &&
    typeof value.platform === "string" &&
    "start" in value &&
    typeof value.start === "function"
  )
}

/** Every fake definition in this folder, in platform-name order: adding a platform's fake is adding its file. */
export async function fakeDefinitions(): Promise<FakeDefinition[]> {
  const found: FakeDefinition[] = []
  for (const file of readdirSync(here).filter((f) => f.endsWith(".fake.ts"))) {
    const mod: unknown = await import(pathToFileURL(join(here, file)).href)
    const definition = typeof mod === "object" && mod !== null && "fake" in mod ? mod.fake : undefined
    if (isDefinition(definition)) found.push(definition)
  }
  return found.sort((a, b) => a.platform.localeCompare(b.platform))
}

export async function startFakes(opts: FakesOptions = {}): Promise<Fakes> {
  const latency = opts.latencyMs ?? 0
  const started: RunningFake[] = []
  const platforms: Record<string, RunningPlatformFake> = {}
  const env: Record<string, string> = {}
  try {
    for (const definition of await fakeDefinitions()) {
      const port = opts.ports === "dev" ? definition.devPort : (opts.ports?.[definition.platform] ?? 0)
      const server = await definition.start(port, latency)
      started.push(server)
      const apiBase = definition.apiBase(server.origin)
      platforms[definition.platform] = { origin: server.origin, apiBase, apiBaseEnv: definition.apiBaseEnv }
      env[definition.apiBaseEnv] = apiBase
    }
  } catch (err) {
    await Promise.all(started.map((s) => s.close()))
    throw err
  }
  const endpoints = await startEndpointsFake(opts.endpointsPort ?? 0)
  const origin = (platform: string) => platforms[platform]?.origin ?? ""
  return {
    platforms,
    env,
    endpointsOrigin: endpoints.origin,
    telegramApiBase: platforms.telegram?.apiBase ?? "",
    whatsappApiBase: platforms.whatsapp?.apiBase ?? "",
    telegramOrigin: origin("telegram"),
    whatsappOrigin: origin("whatsapp"),
    close: async () => {
      await Promise.all([...started.map((s) => s.close()), endpoints.close()])
    },
  }
}
