/**
 * Maps a platform routing key (WhatsApp phone_number_id) to its bot id, one tiny Durable Object per key,
 * so app-level webhooks reach the right bot without a D1 query. Written by the API on create/update/delete.
 */
import { DurableObject } from "cloudflare:workers"
import type { Env } from "../env"

export class RouteDirectory extends DurableObject<Env> {
  async resolve(): Promise<string | null> {
    return (await this.ctx.storage.get<string>("botId")) ?? null
  }

  async assign(botId: string): Promise<void> {
    await this.ctx.storage.put("botId", botId)
  }

  /** Only clears when the key still points at this bot (a newer bot may have taken the number). */
  async release(botId: string): Promise<void> {
    if ((await this.ctx.storage.get<string>("botId")) === botId) await this.ctx.storage.deleteAll()
  }
}
