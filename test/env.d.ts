// Types for `import { env } from "cloudflare:test"`: the worker's Env plus test-only bindings.
import type { Env as WorkerEnv } from "../src/env"

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      TEST_MIGRATIONS: import("cloudflare:test").D1Migration[]
      /** Origin of the fake platform servers' control API (test/fakes). */
      FAKES_ORIGIN: string
    }
  }
}
