/**
 * What a send's answer does to the queue: sent, retried later (a pause for a 429), failed, redirected, or the bot
 * halted; and what a delivery receipt that comes later does to the message.
 */
import type { Result } from "../lib/result"
import type { InboundMessage, ProviderError, SentRef } from "../providers/types"
import type { GroupCommit } from "./group-commit"
import { failOwned } from "./notices"
import type { QueuedMessage } from "./outbox"
import type { ProcessorPort } from "./processor"
import { decide } from "./retry-policy"

/** What the drain must do after: re-read what is ready (a retry, a redirect), pause its pacer, or stop sending. */
export type SendEffect =
  | { kind: "none" }
  | { kind: "reordered" }
  | { kind: "paused"; until: number }
  | { kind: "halted"; reason: string }

export interface SendTiming {
  /** When the call started and when its answer came. */
  started: number
  now: number
  /** When the chat may be sent to again (its gap from the estimated arrival). */
  chatFreeAt: number
}

/**
 * Writes the outcome of one send (the row, the chat's spacing, counters, a contact send's notice and the log). A
 * success goes through `sent`, the processor's group commit, with whatever other sends' answers came meanwhile.
 */
export async function recordSend(
  bot: ProcessorPort,
  sent: GroupCommit<() => void, void>,
  item: QueuedMessage,
  result: Result<SentRef, ProviderError>,
  { started, now, chatFreeAt }: SendTiming,
): Promise<SendEffect> {
  if (result.ok) {
    const written = await sent.submit(() => {
      bot.outbox.markSent(item.id, result.value.platformMessageId, now, { chatId: item.chatId, freeAt: chatFreeAt })
      bot.counters.add("outbound", now, 1, now - item.createdAt)
      bot.counters.time("send", now, now - started)
      if (item.originAt !== null) bot.counters.time("reply", now, now - item.originAt)
      bot.notices.tell(item.owner, "sent", null, item.id, now)
    })
    if (!written.ok) throw written.error
    if (item.owner) bot.noticed()
    return { kind: "none" }
  }
  const error = result.error
  const decision = decide(error, { attempts: item.attempts, rateLimited: item.rateLimited }, now)
  switch (decision.type) {
    case "retry": {
      if (error.kind === "rate_limited") bot.counters.add("rateLimited", now)
      bot.outbox.markRetry(item.id, decision.at, decision.countsAsAttempt, decision.reason, now)
      if (decision.pause !== "none") bot.outbox.setChatFreeAt(item.chatId, decision.at)
      if (decision.pause === "bot") bot.pauseUntil(decision.at)
      bot.log("warn", "send.retry", `Send to ${item.chatId} will be retried: ${decision.reason}`, {
        messageId: item.id,
      })
      return decision.pause === "bot" ? { kind: "paused", until: decision.at } : { kind: "reordered" }
    }
    case "fail":
      bot.storage.transactionSync(() => {
        bot.outbox.markFailed(item.id, decision.reason, now)
        bot.counters.add("failed", now)
        bot.notices.tell(item.owner, "failed", decision.reason, item.id, now)
      })
      if (item.owner) bot.noticed()
      bot.log("error", "send.failed", `Send to ${item.chatId} failed: ${decision.reason}`, { messageId: item.id })
      return { kind: "none" }
    case "redirect":
      bot.outbox.redirectChat(item.chatId, decision.chatId, now)
      bot.log("info", "send.redirected", `Chat ${item.chatId} moved to ${decision.chatId}`, { messageId: item.id })
      return { kind: "reordered" }
    case "stop_bot":
      // A contact send's hop fails (its next channel takes over); anything else waits for the bot to be fixed.
      bot.storage.transactionSync(() => {
        if (item.owner) {
          bot.outbox.markFailed(item.id, decision.reason, now)
          bot.notices.tell(item.owner, "failed", decision.reason, item.id, now)
        } else bot.outbox.requeue(item.id, now)
        failOwned(bot.outbox, bot.notices, `bot unusable: ${decision.reason}`, now)
      })
      bot.noticed()
      return { kind: "halted", reason: decision.reason }
  }
}

/** A delivery receipt as a status event carries it. */
type Receipt = Extract<InboundMessage, { kind: "status" }>["status"]

/**
 * A delivery receipt the platform sent later (delivered, read, failed): applied to the message it names, owed to a
 * contact send as a notice, and its inbox event done, in one transaction.
 */
export function recordReceipt(
  bot: ProcessorPort,
  seq: number,
  chatId: string,
  { messageId, status, error }: Receipt,
  now: number,
): void {
  const owed = bot.storage.transactionSync(() => {
    const applied = bot.outbox.applyReceipt(messageId, status, error, now)
    if (applied) bot.notices.tell(applied.owner, status, error ?? null, applied.id, now)
    if (status === "failed") {
      bot.counters.add("failed", now)
      // The platform took the message, then could not deliver it: the log is where a business looks.
      bot.log("error", "message.undelivered", `Delivery to ${chatId} failed: ${error ?? "no reason given"}`, {
        platformMessageId: messageId,
      })
    }
    bot.inbox.done(seq)
    return applied?.owner !== undefined && applied.owner !== null
  })
  if (owed) bot.noticed()
}
