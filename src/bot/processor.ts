/** The alarm's work: handle inbox events (per-chat order, chats in parallel) and, beside it, drain the paced send queue. */
import { handlers } from "../handlers"
import { DEFAULT_MAX_HISTORY } from "../handlers/ai"
import type { HandlerContext } from "../handlers/types"
import { nextTurn, Signal, sleep } from "../lib/async"
import { backoffDelay } from "../lib/backoff"
import { abortableFetch } from "../lib/http"
import type { UrlPolicy } from "../lib/url-guard"
import type { OptOutSettings } from "../registry/contact-schemas"
import type { BotSnapshot } from "../registry/schemas"
import { type LogDetail, type LogLevel, previewText, requestIdOf } from "./activity-log"
import type { ChatHistory } from "./chat-history"
import type { Counters } from "./counters"
import { GroupCommit } from "./group-commit"
import { type DryRun, dryRun, handlerContext } from "./handler-context"
import type { Inbox, PendingEvent } from "./inbox"
import type { Notices } from "./notices"
import { keywordAction, optInOrOut } from "./opt-out"
import type { Outbox, QueuedMessage } from "./outbox"
import { Pacer } from "./pacer"
import { type People, wroteAt } from "./people"
import type { HeadRef } from "./queue-heads"
import { RETRY_BACKOFF } from "./retry-policy"
import type { UnsealedBot } from "./runtime"
import { recordReceipt, recordSend } from "./send-outcome"

/** What the processor may touch of its Durable Object: a narrow port, since a DO's public methods are its RPC surface. */
export interface ProcessorPort {
  storage: DurableObjectStorage
  inbox: Inbox
  outbox: Outbox
  counters: Counters
  snapshot(): BotSnapshot | null
  load(): Promise<UnsealedBot>
  log(level: LogLevel, event: string, message: string, detail?: LogDetail): void
  /** Which handler endpoint URLs may be called. */
  urlPolicy: UrlPolicy
  history: ChatHistory
  /** The platform refused the bot for good: status error, sending stops, the queue is kept. */
  halt(reason: string): Promise<void>
  /** Bot-wide send pause (a 429's retry_after), kept in storage so an eviction doesn't forget it. */
  pausedUntil(): number
  pauseUntil(at: number): void
  /** Who wrote from each chat, opt-outs. */
  people: People
  /** Outcomes owed to contact sends. */
  notices: Notices
  /** Outcomes were written to `notices`: hand them over soon. */
  noticed(): void
  /** The business's opt-out keywords and answers. */
  optOut(): Promise<OptOutSettings>
  /** Feeds running broadcasts' next recipients into the queue; returns how many it queued. */
  refill(now: number): number
}

const HANDLER_MAX_ATTEMPTS = 6
const INBOX_BATCH = 200
const HANDLER_CONCURRENCY = 16
/** Events handled between two turns of the event loop (see handleInbox); 4 rather than 16 gave one bot 5% more ingest. */
const HANDLED_PER_TURN = 4
const HEADS_BATCH = 100
/** Don't hold the alarm open waiting for a pacing slot further away than this; schedule a new alarm instead. */
const MAX_IDLE_WAIT_MS = 1_500

export class Processor {
  private pacer: Pacer | null = null
  private pacedFor: UnsealedBot | null = null
  /** Bumped whenever a retry or pause reorders what is ready first, so the drain loop re-reads the queue. */
  private epoch = 0
  private halted = false
  /** Set for good by `stop` (the bot is being deleted). */
  private stopped = false
  /** Sends under way, by chat. */
  private readonly inFlight = new Map<string, Promise<void>>()
  /** Wake a drain waiting for a slot (something was queued), and a run waiting for events (some were stored). */
  private readonly queued = new Signal()
  private readonly arrived = new Signal()
  /** Whether the inbox side of a run is handling events: a drain with nothing to send waits for their replies. */
  private handling = false
  /** Counts what may have queued sends (handled events, nudges): a run starts a new drain only when it moved. */
  private kicks = 0
  /** Aborts every platform and handler call of the current run when the bot is deleted. */
  private readonly abort = new AbortController()
  private current: Promise<number> | null = null
  /** Platform and handler calls go through here, so `stop` can abandon them. */
  private readonly fetch = abortableFetch(this.abort.signal)

  /**
   * Sent messages are recorded through group commit: each platform answer comes in its own turn, and at a
   * broadcast's rate committing each alone took the thread (1,000/s: 0.63-0.65 of the rate, 0.76-0.78 batched).
   */
  private readonly sent: GroupCommit<() => void, void>

  constructor(private readonly bot: ProcessorPort) {
    this.sent = new GroupCommit(bot.storage, (write) => write())
  }

  /** Runs until there is nothing due or the deadline passes; returns how many events and sends it processed. */
  run(deadline: number): Promise<number> {
    if (this.stopped) return Promise.resolve(0)
    const running = this.work(deadline).finally(() => {
      if (this.current === running) this.current = null
    })
    this.current = running
    return running
  }

  /**
   * Abandons the current run for good: its calls are aborted, and this resolves once it has ended, so nothing is
   * sent after it (what was in flight is recorded as a retry and then deleted with the bot).
   */
  async stop(): Promise<void> {
    this.stopped = true
    this.halted = true
    this.abort.abort(new DOMException("bot deleted", "AbortError"))
    await this.current?.catch(() => 0)
  }

  private async work(deadline: number): Promise<number> {
    const loaded = await this.bot.load()
    this.halted = this.stopped
    let worked = 0
    // The queue drains beside the inbox, so a batch of events does not hold back the sends due meanwhile. A drain
    // that ended starts again only once something was queued since (replies, a nudge): each pass does real work.
    let draining: Promise<void> | null = null
    let drainedAt = -1
    try {
      while (!this.stopped && Date.now() < deadline) {
        this.handling = true // before the drain starts: finding no replies yet, it waits for the batch's first
        if (!draining && this.kicks !== drainedAt && this.bot.snapshot()?.status === "active")
          draining = this.drain(loaded, deadline).then((sent) => {
            worked += sent
            drainedAt = this.kicks
            draining = null
          })
        const handled = await this.handleInbox(loaded, deadline)
        this.handling = false
        worked += handled
        if (handled > 0) continue
        if (!draining) {
          if (this.kicks !== drainedAt && this.bot.snapshot()?.status === "active") continue // queued since: drain
          if (this.inFlight.size === 0) break
        }
        this.queued.fire() // a drain waiting for this side's replies: there are none for now
        if (draining) await Promise.race([draining, this.arrived.wait()])
        else await Promise.race([...this.inFlight.values(), this.arrived.wait(), this.queued.wait()])
      }
    } finally {
      this.handling = false
      this.queued.fire()
    }
    await draining
    await Promise.all(this.inFlight.values())
    return worked
  }

  /** A send was queued while a drain may be waiting: look at the queue again now, not after the wait. */
  nudge(): void {
    this.kicks++
    this.queued.fire()
  }

  /** Events were stored while a run may be waiting: handle them now. */
  eventsArrived = (): void => this.arrived.fire()

  /** When the alarm should fire next, or null when nothing waits. */
  nextWakeAt(): number | null {
    const inbox = this.bot.inbox.nextDueAt()
    const queued = this.bot.snapshot()?.status === "active" ? this.bot.outbox.nextReadyAt() : null
    const candidates = [inbox, queued === null ? null : Math.max(queued, this.bot.pausedUntil())].filter(
      (x): x is number => x !== null,
    )
    return candidates.length > 0 ? Math.min(...candidates) : null
  }

  /** Runs a text through the bot's handler without sending anything (`POST /test/message`). */
  async dryRun(text: string, chatId: string): Promise<DryRun> {
    const loaded = await this.bot.load()
    return dryRun(loaded, text, chatId, this.context(loaded, chatId))
  }

  // ---- inbox ----

  private context(loaded: UnsealedBot, chatId: string): HandlerContext {
    return handlerContext(loaded, chatId, {
      fetch: this.fetch,
      urlPolicy: this.bot.urlPolicy,
      history: this.bot.history,
    })
  }

  private async handleInbox(loaded: UnsealedBot, deadline: number): Promise<number> {
    const now = Date.now()
    const due = this.bot.inbox.due(now, INBOX_BATCH)
    if (due.length === 0) return 0
    const waiting = this.bot.inbox.waiting(now)
    // Group by chat: a chat's events are handled in arrival order, different chats in parallel.
    const byChat = new Map<string, PendingEvent[]>()
    for (const item of due) {
      const chat = byChat.get(item.chatId)
      if (chat) chat.push(item)
      else byChat.set(item.chatId, [item])
    }
    const chats = [...byChat.values()]
    let handled = 0
    let sinceTurn = 0
    const worker = async () => {
      for (let chat = chats.shift(); chat; chat = chats.shift()) {
        for (const item of chat) {
          if (this.stopped || Date.now() > deadline) return
          if ((waiting.get(item.chatId) ?? Number.POSITIVE_INFINITY) < item.seq) break // behind a retry
          if (!(await this.handleOne(loaded, item))) break // a retry holds the rest of this chat back
          handled++
          this.nudge() // its replies are in line: a drain waiting for work takes them
          // An instant handler (echo) resolves as a microtask: a batch would be one long task without these turns.
          if (++sinceTurn % HANDLED_PER_TURN === 0) await nextTurn()
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(HANDLER_CONCURRENCY, chats.length) }, worker))
    return handled
  }

  /** Returns false when the event must be retried later (the chat waits behind it). */
  private async handleOne(loaded: UnsealedBot, item: PendingEvent): Promise<boolean> {
    const { event } = item
    const now = Date.now()
    if (event.kind === "status") {
      recordReceipt(this.bot, item.seq, event.chatId, event.status, now)
      return true
    }
    const direct = event.conversation === "direct"
    if (direct && event.kind === "text") {
      const action = keywordAction(event.text, await this.bot.optOut())
      if (action) {
        await optInOrOut(this.bot, loaded, item, action)
        return true
      }
    }
    const ack = loaded.provider.acknowledge
    if (ack) await ack.call(loaded.provider, event, loaded.runtime, { fetch: this.fetch, timeoutMs: 5_000 })
    const handlerType = loaded.snapshot.config.handler.type
    const result = await handlers[handlerType](event, this.context(loaded, event.chatId))
    if (!result.ok) {
      const { retryable, message } = result.error
      if (retryable && item.attempts + 1 < HANDLER_MAX_ATTEMPTS) {
        this.bot.inbox.retry(item.seq, Date.now() + backoffDelay(item.attempts + 1, RETRY_BACKOFF), message)
        this.bot.log("warn", "handler.retry", `${handlerType} handler failed, will retry: ${message}`, {
          eventId: item.eventId,
          requestId: requestIdOf(event),
        })
        return false
      }
      this.bot.inbox.fail(item.seq, message)
      this.bot.counters.add("failed", Date.now())
      const failed = { eventId: item.eventId, requestId: requestIdOf(event) }
      this.bot.log("error", "handler.failed", `${handlerType} handler gave up: ${message}`, failed)
      return true
    }
    const { replies, remember } = result.value
    const isGroup = event.conversation === "group"
    const refused: string[] = []
    this.bot.storage.transactionSync(() => {
      for (const [i, reply] of replies.entries()) {
        // The platform's way to answer this event (Discord: through the interaction), when it has one.
        const addressed = loaded.provider.addressReply?.(event, reply, i) ?? reply
        const queued = this.bot.outbox.enqueue(addressed, {
          source: "reply",
          now: Date.now(),
          originAt: item.receivedAt,
        })
        if (!queued.ok) refused.push(queued.error.message)
      }
      if (isGroup) this.bot.outbox.setChatFreeAt(event.chatId, 0, true)
      if (direct) this.bot.people.noteInbound(event.chatId, wroteAt(event, now), event.userName)
      if (remember && remember.length > 0 && loaded.snapshot.config.handler.type === "ai")
        this.bot.history.append(
          event.chatId,
          remember,
          loaded.snapshot.config.handler.maxHistory ?? DEFAULT_MAX_HISTORY,
        )
      this.bot.inbox.done(item.seq)
    })
    for (const message of refused)
      this.bot.log("error", "handler.reply_refused", `${handlerType} handler's reply was not sent: ${message}`, {
        eventId: item.eventId,
        requestId: requestIdOf(event),
      })
    this.bot.log(
      "info",
      "message.in",
      `${event.kind} from ${event.userName ?? event.userId}: ${previewText(event.text)}`,
      {
        chatId: event.chatId,
        replies: replies.length,
        requestId: requestIdOf(event),
      },
    )
    return true
  }

  // ---- send queue ----

  private async drain(loaded: UnsealedBot, deadline: number): Promise<number> {
    // A new config (e.g. changed limits) comes with a new `loaded`: pace by it from then on.
    if (!this.pacer || this.pacedFor !== loaded) {
      this.pacer = new Pacer({ ...loaded.provider.limits, ...loaded.snapshot.config.limits })
      this.pacedFor = loaded
    }
    const pacer = this.pacer
    pacer.pauseBot(this.bot.pausedUntil()) // a pause survives eviction: it is stored, not only in memory
    const inFlight = this.inFlight
    let sent = 0
    let batch: HeadRef[] = []
    let seenEpoch = this.epoch
    let seenUrgent = this.bot.outbox.urgentCount
    while (!this.halted && Date.now() < deadline) {
      // A reply or single send queued meanwhile goes ahead of the bulk traffic left in this batch.
      if (this.bot.outbox.urgentCount !== seenUrgent) {
        seenUrgent = this.bot.outbox.urgentCount
        batch = []
      }
      const now = Date.now()
      if (batch.length === 0) {
        // Nothing can start before the bot's next slot, whatever the heads say: read them when it opens, not each
        // time a reply is queued meanwhile (in a burst that was once per event, each read a few queries).
        const slot = pacer.earliest(0, now)
        if (slot > now) {
          if (slot - now > MAX_IDLE_WAIT_MS && inFlight.size === 0) break
          await this.waitForSlot(slot - now)
          continue
        }
        batch = this.bot.outbox.heads(HEADS_BATCH).filter((m) => !inFlight.has(m.chatId))
      }
      const next = batch[0]
      if (!next) {
        // The queue ran dry: running broadcasts may have more recipients to put in line.
        if (this.bot.refill(Date.now()) > 0) continue
        // Nothing to send: wait while events are being handled (their replies come next) or sends are in flight.
        if (inFlight.size === 0 && !this.handling) break
        await Promise.race([...inFlight.values(), this.queued.wait()])
        continue
      }
      const start = pacer.earliest(next.readyAt, now)
      if (start > now) {
        if (start - now > MAX_IDLE_WAIT_MS && inFlight.size === 0) break
        await this.waitForSlot(start - now)
        if (this.epoch !== seenEpoch) {
          batch = [] // a retry or pause may have changed what's ready first
          seenEpoch = this.epoch
        }
        continue
      }
      batch.shift()
      // Taken out of line since it was picked (withdrawn, a paused or cancelled broadcast): not sent, no slot used.
      const item = this.bot.outbox.claim(next, now)
      if (!item) continue
      const freeAt = pacer.claim(now, item.isGroup)
      sent++
      const job = this.sendOne(loaded, item, freeAt, now).finally(() => inFlight.delete(item.chatId))
      inFlight.set(item.chatId, job)
    }
    return sent
  }

  /** Until `ms` pass, a send in flight ends (its chat may go next) or something is queued. */
  private waitForSlot(ms: number): Promise<unknown> {
    return Promise.race([sleep(Math.min(ms, MAX_IDLE_WAIT_MS)), ...this.inFlight.values(), this.queued.wait()])
  }

  private async sendOne(loaded: UnsealedBot, item: QueuedMessage, freeAt: number, claimedAt: number): Promise<void> {
    const { provider, runtime } = loaded
    const started = Date.now()
    const result = await provider.send(item.message, runtime, { fetch: this.fetch, timeoutMs: 10_000 })
    const now = Date.now()
    // The platform saw it: a send that arrived late is counted, and its chat spaced, from when it arrived.
    const late = result.ok || result.error.kind === "rate_limited" ? (this.pacer?.arrived(claimedAt, now) ?? 0) : 0
    const effect = await recordSend(this.bot, this.sent, item, result, { started, now, chatFreeAt: freeAt + late })
    if (effect.kind === "reordered") this.epoch++
    if (effect.kind === "paused") {
      this.epoch++
      this.pacer?.pauseBot(effect.until)
    }
    if (effect.kind === "halted") {
      this.halted = true
      await this.bot.halt(effect.reason)
    }
  }
}
