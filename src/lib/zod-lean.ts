/**
 * The `zod` the worker bundle gets (wrangler.toml `[alias]`; vitest.config.ts does the same for the tests): zod's
 * classic API, node_modules/zod/v4/classic/external.js export for export, minus what the worker never uses. Why:
 * @hono/zod-openapi hands the whole `z` namespace to a function (`extendZodWithOpenApi(z)`), so esbuild cannot
 * drop any of its exports, and they include `z.locales`, the error messages in 60-odd languages (357 KiB).
 * Left out: `locales` (English stays: classic/schemas.js installs `locales/en` itself, so every message reads as
 * before), `core` (the `z.core` namespace: zod's internals, which the classic API uses directly), `fromJSONSchema`,
 * and the `z.compile` fast path (`compile`, `withParser`, `INVALID`, its two errors).
 * Types come from the real package (`tsc` does not see the alias); test/unit/zod-lean.test.ts holds this list to
 * zod's, so an upgrade that adds an export fails there until it is mirrored here.
 */
import * as z from "./zod-lean-exports"

export * from "./zod-lean-exports"
export { z, z as default }
