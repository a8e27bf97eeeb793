/**
 * Worker entry: the Hono app (per-bot webhook POSTs go straight to their handler: src/routes/webhook-edge.ts), the
 * hourly cron (rollup retention) and the Durable Object classes (per bot, per platform account, per contact, the
 * registry hubs, and each business's gate: rate limit and idempotency).
 */
import { createApp } from "./app"
import type { Env } from "./env"
import { compactRollups } from "./registry/compaction"
import { edgeWebhook } from "./routes/webhook-edge"

const app = createApp()

export default {
  fetch: (request, env, ctx) => edgeWebhook(request, env, ctx) ?? app.fetch(request, env, ctx),
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(compactRollups(env.DB, controller.scheduledTime))
  },
} satisfies ExportedHandler<Env>
export { RegistryHub } from "./analytics/registry-hub"
export { BotDurableObject } from "./bot/bot-durable-object"
export { RouteDirectory } from "./bot/route-directory"
export { ContactDurableObject } from "./contacts/contact-durable-object"
export { BusinessGate } from "./gate/business-gate"
