/**
 * Worker entry: the Hono app, the hourly cron (rollup retention) and the Durable Object classes (per bot, per
 * platform account, per contact, the registry hubs, and each business's gate: rate limit and idempotency).
 */
import { createApp } from "./app"
import type { Env } from "./env"
import { compactRollups } from "./registry/compaction"

const app = createApp()

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(compactRollups(env.DB, controller.scheduledTime))
  },
} satisfies ExportedHandler<Env>
export { RegistryHub } from "./analytics/registry-hub"
export { BotDurableObject } from "./bot/bot-durable-object"
export { RouteDirectory } from "./bot/route-directory"
export { ContactDurableObject } from "./contacts/contact-durable-object"
export { BusinessGate } from "./gate/business-gate"
