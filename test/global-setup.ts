// vitest globalSetup (runs in Node): starts the fake platform servers and provides their addresses to the workers.
import type { TestProject } from "vitest/node"
import { startFakes } from "./fakes/index.ts"

declare module "vitest" {
  interface ProvidedContext {
    /** JSON of the worker's env for every fake: `{ "TELEGRAM_API_BASE": ..., ... }`. */
    fakeEnv: string
    /** JSON `{ "platforms": { name: origin }, "endpoints": origin }`; read it with `fakesFromEnv(env)` (client.ts). */
    fakesOrigin: string
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const fakes = await startFakes()
  project.provide("fakeEnv", JSON.stringify(fakes.env))
  const origins = Object.fromEntries(Object.entries(fakes.platforms).map(([p, f]) => [p, f.origin]))
  project.provide("fakesOrigin", JSON.stringify({ platforms: origins, endpoints: fakes.endpointsOrigin }))
  return () => fakes.close()
}
