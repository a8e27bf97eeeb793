/**
 * Opt-out by keyword: an inbound message that is exactly one of the business's stop (or start) words, in any case,
 * flips the chat's opt-out flag. The business's keywords come from D1, cached by the bot's object for a minute: the
 * alarm path reads them, never the webhook.
 */
import { type OptOutSettings, optOutSettingsSchema } from "../registry/contact-schemas"
import type { PendingEvent } from "./inbox"
import { wroteAt } from "./people"
import type { ProcessorPort } from "./processor"
import type { UnsealedBot } from "./runtime"

const CACHE_MS = 60_000

export type KeywordAction = "stop" | "start"

export function keywordAction(text: string, settings: OptOutSettings): KeywordAction | null {
  const said = text.trim().toUpperCase()
  if (said === "") return null
  if (settings.stopKeywords.some((k) => k.toUpperCase() === said)) return "stop"
  if (settings.startKeywords.some((k) => k.toUpperCase() === said)) return "start"
  return null
}

export class OptOutSettingsCache {
  /** The last read, or the one under way: a run handles many events at once, and they all share one D1 query. */
  private cached: { businessId: string; at: number; value: Promise<OptOutSettings> } | null = null

  constructor(private readonly db: D1Database) {}

  get(businessId: string, now: number): Promise<OptOutSettings> {
    const c = this.cached
    if (c && c.businessId === businessId && now - c.at < CACHE_MS) return c.value
    const value = this.read(businessId)
    const entry = { businessId, at: now, value }
    this.cached = entry
    // A failed read is not kept: the next event asks again.
    value.catch(() => {
      if (this.cached === entry) this.cached = null
    })
    return value
  }

  private async read(businessId: string): Promise<OptOutSettings> {
    const row = await this.db
      .prepare("SELECT opt_out FROM business_settings WHERE business_id = ?1")
      .bind(businessId)
      .first<{ opt_out: string }>()
    const parsed = row ? optOutSettingsSchema.safeParse(JSON.parse(row.opt_out)) : null
    return parsed?.success ? parsed.data : optOutSettingsSchema.parse({})
  }
}

/** STOP / START (the business's words): flips the chat's opt-out, answering only when it changed. */
export async function optInOrOut(
  bot: ProcessorPort,
  loaded: UnsealedBot,
  item: PendingEvent,
  action: KeywordAction,
): Promise<void> {
  const { event } = item
  const settings = await bot.optOut()
  const now = Date.now()
  const changed = bot.storage.transactionSync(() => {
    bot.people.noteInbound(event.chatId, wroteAt(event, now), event.userName)
    const flipped = bot.people.setOptedOut(event.chatId, action === "stop", now)
    if (flipped) {
      const reply = { chatId: event.chatId, text: action === "stop" ? settings.stopReply : settings.startReply }
      const addressed = loaded.provider.addressReply?.(event, reply, 0) ?? reply
      bot.outbox.enqueue(addressed, { source: "reply", now, originAt: item.receivedAt })
    }
    bot.inbox.done(item.seq)
    return flipped
  })
  const what = action === "stop" ? "opted out" : "opted back in"
  bot.log("info", action === "stop" ? "contact.opted_out" : "contact.opted_in", `${event.chatId} ${what}`, {
    chatId: event.chatId,
    changed,
  })
}
