/**
 * What a bot's object is made of, wired together once per instance: its stores (meta, inbox, outbox, counters,
 * activity log), the people and broadcasts it keeps, and the workers that act on them (processor, poller, gateway,
 * rollups). The object itself keeps only its RPC surface, its alarm and the hooks every part shares.
 */
import { hubFor } from "../analytics/registry-hub"
import type { Env } from "../env"
import { outboundUrlPolicy } from "../env"
import { invalid, notFound } from "../lib/domain-error"
import { currentRequestId } from "../lib/request-scope"
import { err } from "../lib/result"
import { getProvider } from "../providers"
import type { InboundMessage } from "../providers/types"
import type { BotSnapshot } from "../registry/schemas"
import { ActivityLog, type LogDetail, type LogLevel } from "./activity-log"
import { Alerts } from "./alerts"
import { renderBroadcast } from "./broadcast-render"
import { Broadcaster } from "./broadcasts"
import { ChatHistory } from "./chat-history"
import { ConsoleMirror } from "./console-mirror"
import { ContactLink } from "./contact-link"
import { Counters } from "./counters"
import { Gateway } from "./gateway"
import { Inbox } from "./inbox"
import { sendIntake, webhookIntake } from "./intake"
import { halt, type LifecyclePort } from "./lifecycle"
import { BotMeta } from "./meta"
import { Outbox } from "./outbox"
import { Poller } from "./poller"
import { Processor } from "./processor"
import { Rollups, rollupEveryMs } from "./rollups"
import type { UnsealedBot } from "./runtime"
import type { WebhookPort } from "./webhook"

/** What the parts need from the object itself. */
export interface BotHooks {
  /** The bot as configured, or null (never configured, or being deleted). */
  snapshot(): BotSnapshot | null
  /** Provider, unsealed runtime and handler secrets. */
  load(): Promise<UnsealedBot>
  /** Sets the alarm for `at` unless one is due sooner. */
  schedule(at: number): Promise<void>
  /** Inbound events into the inbox (with a poll's or gateway's cursor); how many were new. */
  storeInbound(events: InboundMessage[], cursor?: string | null): Promise<{ fresh: number; duplicates: number }>
}

export function assembleBot(ctx: DurableObjectState, env: Env, hooks: BotHooks) {
  const sql = ctx.storage.sql
  const meta = new BotMeta(sql)
  const inbox = new Inbox(sql)
  const outbox = new Outbox(sql)
  const counters = new Counters(sql)
  const activity = new ActivityLog(sql)
  // `LOG_MIRROR=off` keeps the bot's activity out of the console (the test runner, whose console closes with each
  // test file while objects may still be working in the background).
  const mirror =
    env.LOG_MIRROR === "off"
      ? null
      : new ConsoleMirror(() => {
          const snapshot = hooks.snapshot()
          return snapshot ? { botId: snapshot.id, businessId: snapshot.businessId } : null
        })
  const log = (level: LogLevel, event: string, message: string, detail?: LogDetail) => {
    // An API call's work (a start, a stop, a new configuration) names the request that asked for it.
    const requestId = currentRequestId()
    const full = requestId && detail?.requestId === undefined ? { ...detail, requestId } : detail
    activity.append(level, event, message, full)
    mirror?.write(level, event, message, full)
  }
  // What every part may read of the bot: its snapshot, its unsealed runtime, its activity log.
  const base = { snapshot: hooks.snapshot, load: hooks.load, log }
  const lifecycle: LifecyclePort = { env, meta, load: hooks.load, log, halted: (reason) => alerts.halted(reason) }
  const waitUntil = (promise: Promise<unknown>) => ctx.waitUntil(promise)
  const alerts = new Alerts({
    env,
    sql,
    storage: ctx.storage,
    snapshot: hooks.snapshot,
    queued: () => outbox.openCount(),
    schedule: hooks.schedule,
    waitUntil,
    log,
  })
  const contacts = new ContactLink({ env, sql, waitUntil, schedule: hooks.schedule })
  const broadcasts = new Broadcaster({
    storage: ctx.storage,
    sql,
    outbox,
    people: contacts.people,
    admit: (message, now) => {
      const snapshot = hooks.snapshot()
      return snapshot ? contacts.admit(snapshot, message, true, now) : notFound()
    },
    check: (content) => {
      const platform = hooks.snapshot()?.platform
      const problem = platform ? getProvider(platform).checkMessage({ ...content, chatId: "0" }) : null
      return problem ? invalid(problem.path, problem.message) : null
    },
    render: (content, recipient) => {
      const platform = hooks.snapshot()?.platform
      return platform ? renderBroadcast(content, recipient, platform) : err(notFound())
    },
  })
  const rollups = new Rollups({
    everyMs: rollupEveryMs(env),
    hub: (botId) => hubFor(env, botId),
    counters,
    outbox,
    people: contacts.people,
    broadcasts,
    pending: { get: () => meta.rollupPending(), set: (p) => meta.setRollupPending(p) },
    writes: { count: () => meta.registryWrites(), add: () => meta.noteRegistryWrite() },
    snapshot: hooks.snapshot,
    schedule: hooks.schedule,
    waitUntil,
  })
  const processor = new Processor({
    ...base,
    storage: ctx.storage,
    inbox,
    outbox,
    counters,
    history: new ChatHistory(sql),
    urlPolicy: outboundUrlPolicy(env),
    halt: (reason) => halt(lifecycle, reason),
    pausedUntil: () => meta.pausedUntil(),
    pauseUntil: (at) => meta.pauseUntil(at),
    refill: (now) => broadcasts.refill(now),
    ...contacts.processorPort(() => hooks.snapshot()?.businessId ?? ""),
  })
  const poller: Poller = new Poller({
    ...base,
    meta,
    halt: async (reason) => {
      poller.cancel()
      await halt(lifecycle, reason)
    },
    store: async (events, cursor) => (await hooks.storeInbound(events, cursor)).fresh,
  })
  const gateway = new Gateway({
    ...base,
    protocol: (platform) => getProvider(platform).gateway,
    saved: () => meta.pollCursor(),
    save: (state) => meta.setPollCursor(state),
    store: async (events, state) => (await hooks.storeInbound(events, state)).fresh,
    wake: hooks.schedule,
    halt: (reason) => halt(lifecycle, reason),
  })
  const webhookPort: WebhookPort = { ...base, store: (events) => hooks.storeInbound(events) }
  return {
    /** The bot's activity log, its significant entries mirrored to the console. */
    log,
    sql,
    meta,
    inbox,
    outbox,
    counters,
    activity,
    lifecycle,
    contacts,
    broadcasts,
    rollups,
    /** Alerts to the business's URL: the bot in error, a deep queue, a high failure rate. */
    alerts,
    processor,
    poller,
    gateway,
    webhookPort,
    /** Webhook events and API sends, each written with whatever else arrived during the previous commit. */
    intake: webhookIntake(ctx.storage, inbox, counters, meta),
    sends: sendIntake(ctx.storage, outbox, counters),
  }
}

export type BotParts = ReturnType<typeof assembleBot>
