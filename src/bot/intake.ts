/**
 * What a bot's Durable Object writes when traffic arrives, each through group commit: webhook (or polled) events
 * into the de-duplicated inbox (with the inbound counters), and API sends into the queue. Plus the small header lookup the
 * webhook's verification reads.
 */
import type { HeaderLookup, InboundMessage, OutboundMessage } from "../providers/types"
import { type Counters, hourStart } from "./counters"
import { type CommitStorage, GroupCommit } from "./group-commit"
import type { Inbox } from "./inbox"
import type { BotMeta } from "./meta"
import type { MessageOwner } from "./notices"
import type { Outbox } from "./outbox"

export type WebhookIntake = GroupCommit<
  /** `cursor`: a long poll's, stored in the same transaction as its events (never one without the other). */
  { events: InboundMessage[]; now: number; cursor?: string | null },
  { fresh: number; messages: number; duplicates: number }
>

export type SendIntake = GroupCommit<
  { message: OutboundMessage; idempotencyKey: string | undefined; now: number; owner?: MessageOwner | undefined },
  ReturnType<Outbox["enqueue"]>
>

export function webhookIntake(
  storage: CommitStorage,
  inbox: Inbox,
  counters: Counters,
  meta: Pick<BotMeta, "setPollCursor">,
): WebhookIntake {
  return new GroupCommit(
    storage,
    ({ events, now, cursor }) => {
      const { fresh, duplicates } = inbox.accept(events, now)
      if (cursor !== undefined) meta.setPollCursor(cursor)
      return { fresh: fresh.length, messages: fresh.filter((e) => e.kind !== "status").length, duplicates }
    },
    // Inbound counts summed per hour over the batch: one counters upsert per commit, not per webhook.
    (written) => {
      const byHour = new Map<number, number>()
      for (const { input, value } of written) {
        const hour = hourStart(input.now)
        if (value.messages > 0) byHour.set(hour, (byHour.get(hour) ?? 0) + value.messages)
      }
      for (const [hour, n] of byHour) counters.add("inbound", hour, n)
    },
  )
}

export function sendIntake(storage: CommitStorage, outbox: Outbox, counters: Counters): SendIntake {
  return new GroupCommit(storage, ({ message, idempotencyKey, now, owner }) => {
    const queued = outbox.enqueue(message, { source: owner ? "contact" : "api", idempotencyKey, now, owner })
    // A contact send's later hop: the channel before it failed or timed out, and this one takes over.
    if (owner && owner.hop > 0 && queued.ok && !queued.value.duplicate) counters.add("failovers", now)
    return queued
  })
}

/** The worker sends only the (lower-case) headers a provider's check reads: a lookup over them, no Headers object. */
export function headerLookup(pairs: [string, string][]): HeaderLookup {
  const headers = new Map(pairs)
  return { get: (name) => headers.get(name.toLowerCase()) ?? null }
}
