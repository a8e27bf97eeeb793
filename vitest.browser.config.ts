// Browser tests (Node side): start the local stack and drive Debian's Chromium with playwright-core.
import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/browser/**/*.browser.ts"],
    testTimeout: 60_000,
    hookTimeout: 150_000,
    fileParallelism: false,
  },
})
