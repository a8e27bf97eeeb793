/**
 * The bot's side of contacts: who wrote from each chat and whether they opted out (People), outcomes owed to
 * contact sends (Notices) and their hand-over to each contact's object, and the rules a contact send's hop must
 * pass here, where the bot's own state is authoritative (opt-out, the platform's service window).
 */
import type { Env } from "../env"
import { type DomainError, invalid } from "../lib/domain-error"
import { logEvent } from "../lib/log"
import { getProvider } from "../providers"
import type { MessagingProvider, OutboundMessage } from "../providers/types"
import { DEFAULT_OPT_OUT, type OptOutSettings } from "../registry/contact-schemas"
import type { BotSnapshot } from "../registry/schemas"
import { Notices } from "./notices"
import { OptOutSettingsCache } from "./opt-out"
import { People } from "./people"
import { contactStub } from "./stubs"

export interface ContactLinkPort {
  env: Env
  sql: SqlStorage
  /** Keeps the object alive for a hand-over that outlives the call that caused it. */
  waitUntil(promise: Promise<unknown>): void
  /** Sets the object's alarm for `at` unless one is due sooner. */
  schedule(at: number): Promise<void>
}

export class ContactLink {
  readonly people: People
  readonly notices: Notices
  private readonly optOutCache: OptOutSettingsCache
  private delivering: Promise<void> | null = null
  private again = false

  constructor(private readonly port: ContactLinkPort) {
    this.people = new People(port.sql)
    this.notices = new Notices(port.sql)
    this.optOutCache = new OptOutSettingsCache(port.env.DB)
  }

  /** What the processor uses of this: people, notices, and the business's opt-out words. */
  processorPort(businessId: () => string) {
    return {
      people: this.people,
      notices: this.notices,
      noticed: () => this.noticed(),
      optOut: () => this.optOut(businessId()),
    }
  }

  /**
   * Whether the send API may queue this message now: the bot's status, the platform's rules and its service window
   * (WhatsApp: free-form only within 24 hours of the person's last message; templates always), and for a contact
   * send's hop or a broadcast (`strict`) also the person's opt-out. Never calls the platform.
   */
  admit(snapshot: BotSnapshot, message: OutboundMessage, strict: boolean, now: number): DomainError | null {
    if (snapshot.status === "stopped" || (strict && snapshot.status === "error"))
      return { kind: "stopped", message: `Bot is ${snapshot.status}: start it before sending` }
    const provider = getProvider(snapshot.platform)
    const problem = provider.checkMessage(message)
    if (problem) return invalid(problem.path, problem.message)
    if (strict && this.people.optedOut(message.chatId))
      return invalid("chatId", "opted_out: the person opted out on this channel")
    return this.windowClosed(provider, message, now)
  }

  /** Whether the platform's service window forbids this free-form message now (checked again just before sending). */
  windowClosed(provider: MessagingProvider, message: OutboundMessage, now: number): DomainError | null {
    const window = provider.serviceWindowMs
    if (window === undefined || message.template !== undefined) return null
    const last = this.people.lastInboundAt(message.chatId)
    if (last !== null && now - last <= window) return null
    const hours = Math.round(window / 3600_000)
    return {
      kind: "window_closed",
      message: `window_closed: ${message.chatId} has not written in the last ${hours} hours: only a template may be sent`,
    }
  }

  async optOut(businessId: string): Promise<OptOutSettings> {
    try {
      return await this.optOutCache.get(businessId, Date.now())
    } catch (cause) {
      logEvent("warn", "opt_out.settings_unavailable", { businessId, error: String(cause) })
      return DEFAULT_OPT_OUT
    }
  }

  /** Outcomes were written: hand them over now (one hand-over at a time, in the order they were written). */
  noticed(): void {
    if (this.delivering) {
      this.again = true
      return
    }
    this.delivering = this.deliver().finally(() => {
      this.delivering = null
    })
    this.port.waitUntil(this.delivering)
  }

  nextDueAt(): number | null {
    return this.notices.nextDueAt()
  }

  /** The alarm's turn: hand over whatever is due (after an eviction, or a contact object that did not answer). */
  async onAlarm(): Promise<void> {
    this.noticed()
    await this.delivering
  }

  private async deliver(): Promise<void> {
    do {
      this.again = false
      for (const notice of this.notices.due(Date.now())) {
        try {
          await contactStub(this.port.env, notice.owner.contactId).report(
            notice.owner.messageId,
            notice.owner.hop,
            notice.outcome,
          )
          this.notices.taken(notice.id)
        } catch (cause) {
          const at = this.notices.later(notice, Date.now())
          logEvent("warn", "contact.notice_retry", { messageId: notice.owner.messageId, error: String(cause) })
          await this.port.schedule(at)
          return // keep the order: nothing after it goes before it
        }
      }
    } while (this.again)
  }
}
