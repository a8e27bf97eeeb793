// vitest globalSetup (runs in Node): starts the fake platform servers and provides their addresses to the workers.
import type { TestProject } from "vitest/node"
import { startFakes } from "./fakes/index.ts"

declare module "vitest" {
  interface ProvidedContext {
    telegramApiBase: string
    whatsappApiBase: string
    /** JSON `{ "telegram": origin, "whatsapp": origin }`; read it with `fakesFromEnv(env)` from test/fakes/client.ts. */
    fakesOrigin: string
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const fakes = await startFakes()
  project.provide("telegramApiBase", fakes.telegramApiBase)
  project.provide("whatsappApiBase", fakes.whatsappApiBase)
  project.provide(
    "fakesOrigin",
    JSON.stringify({
      telegram: fakes.telegramOrigin,
      whatsapp: fakes.whatsappOrigin,
      endpoints: fakes.endpointsOrigin,
    }),
  )
  return () => fakes.close()
}
