/** What a bot's object reports about itself to the API and dashboard (GET /api/bots/:id/stats). */
import type { HourBucket } from "./counters"
import type { GatewayStatus } from "./gateway"

export interface BotStats {
  hours: HourBucket[]
  queue: { queued: number; failed: number }
  inboxPending: number
  polling: { lastPollAt: number | null } | null
  gateway: GatewayStatus | null
  /** D1 batches this bot's object ever wrote (rollups, the people it learned and broadcast summaries, together). */
  registryWrites: number
}
