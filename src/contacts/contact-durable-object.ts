/**
 * One Durable Object per contact: it owns the contact's sends and walks each through its route, one hop at a time.
 * A hop is handed to its bot's queue under the key `{send id}:{hop}` (a retry after an eviction is a no-op there),
 * and the bot reports the outcome back; a terminal failure or a missed delivery deadline moves the send to the next
 * channel, exactly once, in order.
 */
import { DurableObject } from "cloudflare:workers"
import type { SendOutcome } from "../bot/notices"
import { botStub } from "../bot/stubs"
import type { Env } from "../env"
import type { DomainError } from "../lib/domain-error"
import { newId } from "../lib/ids"
import { logEvent } from "../lib/log"
import { err, ok, type Result } from "../lib/result"
import { getProvider, platformSchema } from "../providers"
import type { OutboundContent } from "../providers/types"
import type { Candidate } from "./plan"
import { type Attempt, type ContactMessageStatus, type RouteRecord, Sends, type StoredSend } from "./sends"

/** An RPC to a bot that did not answer is tried again this soon (the hop's key makes the retry safe). */
const REDISPATCH_MS = 2_000

export interface StartSend {
  businessId: string
  contactId: string
  content: OutboundContent
  /** A template send's rendering per platform: each hop sends its own platform's. */
  contentByPlatform?: Record<string, OutboundContent> | null
  candidates: Candidate[]
  route: RouteRecord
  failoverAfterMs: number | null
  idempotencyKey?: string | undefined
  /** The request as validated (without its key): the same key with another request is a conflict. */
  fingerprint: string
}

export interface ContactSendView {
  id: string
  status: ContactMessageStatus
  error: string | null
  route: RouteRecord
  attempts: Attempt[]
  createdAt: number
  updatedAt: number
  /** True when the idempotency key named a send made before: nothing new was sent. */
  duplicate: boolean
}

export class ContactDurableObject extends DurableObject<Env> {
  private readonly sends: Sends

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.sends = new Sends(ctx.storage.sql)
  }

  /** A new send (202 to the API once stored); its first hop is handed over before this returns. */
  async start(input: StartSend): Promise<Result<ContactSendView, DomainError>> {
    const body = input.fingerprint
    if (input.idempotencyKey) {
      const earlier = this.sends.byIdempotencyKey(input.idempotencyKey)
      if (earlier) {
        if (earlier.body !== null && earlier.body !== body)
          return err({
            kind: "conflict",
            code: "idempotency_conflict",
            message: "This idempotencyKey was used before with a different message",
          })
        return ok(this.viewOf(earlier.id, true))
      }
    }
    const now = Date.now()
    const send: StoredSend = {
      id: newId("cmsg", now),
      businessId: input.businessId,
      contactId: input.contactId,
      content: input.content,
      contentByPlatform: input.contentByPlatform ?? null,
      candidates: input.candidates,
      route: input.route,
      hop: 0,
      status: input.candidates.length > 0 ? "queued" : "failed",
      error: input.candidates.length > 0 ? null : `no channel can take it: ${skippedReasons(input.route)}`,
      failoverAfterMs: input.failoverAfterMs,
      deadlineAt: null,
      createdAt: now,
      updatedAt: now,
    }
    this.ctx.storage.transactionSync(() => {
      this.sends.create(send, input.idempotencyKey ? { key: input.idempotencyKey, body } : null)
      const first = send.candidates[0]
      if (first) this.sends.beginAttempt(send.id, 0, first, now)
    })
    if (send.candidates.length > 0) await this.dispatch(send.id, 0)
    return ok(this.viewOf(send.id, false))
  }

  async get(id: string): Promise<ContactSendView | null> {
    return this.sends.get(id) ? this.viewOf(id, false) : null
  }

  /** A bot's word on one hop. Stale hops (the send moved on) and repeats change nothing. */
  async report(sendId: string, hop: number, outcome: SendOutcome): Promise<void> {
    const send = this.sends.get(sendId)
    if (!send || hop !== send.hop || isFinal(send.status)) return
    const now = Date.now()
    const moved = this.sends.advanceAttempt(
      sendId,
      hop,
      outcome.status,
      { error: outcome.error, botMessageId: outcome.botMessageId },
      now,
    )
    if (!moved) return
    if (outcome.status === "failed") return this.next(send, now)
    const confirmed = isConfirmed(outcome.status, send.candidates[hop]?.platform ?? "")
    this.sends.update(sendId, { status: outcome.status, ...(confirmed ? { deadlineAt: null } : {}) }, now)
  }

  override async alarm(): Promise<void> {
    const now = Date.now()
    for (const id of this.sends.overdue(now)) {
      const send = this.sends.get(id)
      if (!send) continue
      const current = this.sends.attempt(id, send.hop)
      this.sends.advanceAttempt(id, send.hop, "timed_out", { error: "not delivered in time" }, now)
      // Take it back from the old channel if it is still waiting there, so the person does not get it twice.
      if (current?.botMessageId)
        await botStub(this.env, current.botId)
          .withdraw(current.botMessageId, "superseded: failed over to the next channel")
          .catch(() => false)
      await this.next(send, now)
    }
    for (const { sendId, hop } of this.sends.dispatching()) await this.dispatch(sendId, hop)
    await this.wake()
  }

  // ---- internals ----

  /** Hands hop `hop` to its bot. Records the outcome of the hand-over; a bot that did not answer is asked again. */
  private async dispatch(sendId: string, hop: number): Promise<void> {
    const send = this.sends.get(sendId)
    const candidate = send?.candidates[hop]
    if (!send || !candidate || send.hop !== hop || isFinal(send.status)) {
      // A hand-over left over from before the send moved on: it must not be retried forever.
      this.sends.advanceAttempt(sendId, hop, "failed", { error: "superseded before it was handed over" }, Date.now())
      return
    }
    const owner = { contactId: send.contactId, messageId: sendId, hop }
    // A safety net first: should this object be evicted before the bot answers, the alarm hands the hop over again.
    await this.wake()
    let answer: Awaited<ReturnType<ReturnType<typeof botStub>["send"]>>
    try {
      answer = await botStub(this.env, candidate.botId).send(
        { ...(send.contentByPlatform?.[candidate.platform] ?? send.content), chatId: candidate.chatId },
        `${sendId}:${hop}`,
        send.businessId,
        owner,
      )
    } catch (cause) {
      logEvent("warn", "contact.dispatch_retry", { sendId, hop, error: String(cause) })
      await this.ctx.storage.setAlarm(Date.now() + REDISPATCH_MS)
      return
    }
    const now = Date.now()
    const fresh = this.sends.get(sendId)
    if (!fresh || fresh.hop !== hop) return
    if (!answer.ok) {
      this.sends.advanceAttempt(sendId, hop, "failed", { error: answer.error.message }, now)
      return this.next(fresh, now)
    }
    this.sends.advanceAttempt(sendId, hop, "queued", { botMessageId: answer.value.id }, now)
    // The bot may already have reported (sent, even delivered) while this call was coming back.
    const attempt = this.sends.attempt(sendId, hop)
    const confirmed = attempt !== null && isConfirmed(attempt.status, candidate.platform)
    const deadlineAt =
      fresh.failoverAfterMs !== null && !confirmed && fresh.deadlineAt === null ? now + fresh.failoverAfterMs : null
    if (fresh.status === "queued" || deadlineAt !== null)
      this.sends.update(
        sendId,
        { ...(fresh.status === "queued" ? { status: "sending" as const } : {}), ...(deadlineAt ? { deadlineAt } : {}) },
        now,
      )
    if (deadlineAt !== null) await this.wake()
  }

  /** The current hop failed for good: on to the next candidate, or the send fails with every reason. */
  private async next(send: StoredSend, now: number): Promise<void> {
    const hop = send.hop + 1
    const candidate = send.candidates[hop]
    if (!candidate) {
      const reasons = this.sends.attempts(send.id).map((a) => `${a.platform} (${a.botId}): ${a.error ?? a.status}`)
      const skipped = skippedReasons(send.route)
      this.sends.update(
        send.id,
        {
          status: "failed",
          deadlineAt: null,
          error: `every channel failed: ${[...reasons, ...(skipped ? [skipped] : [])].join("; ")}`,
        },
        now,
      )
      return
    }
    this.ctx.storage.transactionSync(() => {
      this.sends.update(send.id, { hop, status: "queued", deadlineAt: null }, now)
      this.sends.beginAttempt(send.id, hop, candidate, now)
    })
    await this.dispatch(send.id, hop)
  }

  /** The alarm follows the soonest deadline, and stays close while a hand-over waits to be retried. */
  private async wake(): Promise<void> {
    const deadline = this.sends.nextDeadline()
    const retry = this.sends.dispatching().length > 0 ? Date.now() + REDISPATCH_MS : null
    const at = [deadline, retry].filter((t): t is number => t !== null)
    if (at.length > 0) await this.ctx.storage.setAlarm(Math.min(...at))
  }

  private viewOf(id: string, duplicate: boolean): ContactSendView {
    const send = this.sends.get(id)
    if (!send) throw new Error(`send ${id} vanished`)
    return {
      id: send.id,
      status: send.status,
      error: send.error,
      route: send.route,
      attempts: this.sends.attempts(id),
      createdAt: send.createdAt,
      updatedAt: send.updatedAt,
      duplicate,
    }
  }
}

const isFinal = (s: ContactMessageStatus) => s === "failed"

/** Delivery is confirmed by a receipt where the platform sends them, by the send itself where it does not. */
function isConfirmed(status: Attempt["status"], platform: string): boolean {
  if (status === "delivered" || status === "read") return true
  if (status !== "sent") return false
  const p = platformSchema.safeParse(platform)
  return !(p.success && getProvider(p.data).reportsDelivery === true)
}

function skippedReasons(route: RouteRecord): string {
  return route.considered
    .filter((c) => !c.kept)
    .map((c) => `${c.platform} (${c.botId}) skipped: ${c.reason}`)
    .join("; ")
}
