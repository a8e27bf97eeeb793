// Tests run inside workerd (real D1, Durable Objects, alarms) through @cloudflare/vitest-plugin.
// The fake platform servers run in Node (test/global-setup.ts) and reach the worker as env API bases.
import path from "node:path"
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin"
import { defineConfig } from "vitest/config"
import { z } from "zod"

export default defineConfig({
  plugins: [
    cloudflareTest(async ({ inject }) => ({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations(path.join(import.meta.dirname, "migrations")),
          JWT_SECRET: "test-jwt-secret-0123456789abcdef0123456789abcdef",
          ENCRYPTION_KEY: "dH4ihlwh1PSVvuxM+RGiNsT9pSCBZbBBB3y5PMFMj2o=",
          WHATSAPP_APP_SECRET: "test-app-secret",
          PUBLIC_BASE_URL: "https://switchboard.test",
          // Local development: handler endpoints may be plain http on loopback, where the fakes listen.
          ENVIRONMENT: "development",
          // Bots' activity stays off the console here: vitest closes its console channel when a test file ends,
          // and an object still working in the background (a setup, a retry) would log into a closed channel.
          LOG_MIRROR: "off",
          // The API's rate limits (src/gate) far above what any test file sends (the fuzz suites send hundreds of
          // requests a second per business); test/e2e/rate-limits.test.ts gives its own subjects small ones.
          API_RATE_LIMIT: "5000",
          API_RATE_BURST: "10000",
          IP_RATE_LIMIT: "5000",
          IP_RATE_BURST: "10000",
          // The guide's single-bot mode (compat routes), with a token unique to this run.
          TELEGRAM_BOT_TOKEN: `${Date.now() % 1e9}:AAcompat${crypto.randomUUID().replace(/-/g, "")}`,
          WHATSAPP_ACCESS_TOKEN: "EAAGcompat-access-token",
          WHATSAPP_PHONE_NUMBER_ID: String(100000000000000 + Math.floor(Math.random() * 8e14)),
          WHATSAPP_VERIFY_TOKEN: "compat-verify-token",
          // Every fake's API base (TELEGRAM_API_BASE, WHATSAPP_API_BASE, ...), keyed by the fakes themselves.
          ...z.record(z.string(), z.string()).parse(JSON.parse(inject<string>("fakeEnv"))),
          FAKES_ORIGIN: inject<string>("fakesOrigin"),
        },
      },
    })),
  ],
  // The worker bundle's `zod` (wrangler.toml `alias`, which the plugin does not apply): the tests run what ships.
  resolve: { alias: [{ find: /^zod$/, replacement: path.join(import.meta.dirname, "src/lib/zod-lean.ts") }] },
  test: {
    globalSetup: ["./test/global-setup.ts"],
    setupFiles: ["./test/apply-migrations.ts"],
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
  },
})
