/**
 * Sending to a contact: the route is planned here from the registry (the contact, its identities' bots, the
 * business's rules), then the contact's object owns the send and walks it through that route.
 */
import type { AuthClaims } from "../auth/jwt"
import { botStub, contactStub } from "../bot/stubs"
import type { ContactSendView } from "../contacts/contact-durable-object"
import { type Plan, type PlanBot, plan } from "../contacts/plan"
import type { Env } from "../env"
import { type DomainError, type FieldError, notFound } from "../lib/domain-error"
import { isId } from "../lib/ids"
import { err, ok, type Result } from "../lib/result"
import { getProvider, platformSchema } from "../providers"
import { createBotRepository } from "../registry/bot-repository"
import { createContactRepository } from "../registry/contact-repository"
import type { Contact, ContactSendBody } from "../registry/contact-schemas"

export function createContactSends(env: Env, auth: Pick<AuthClaims, "business_id">) {
  const contacts = createContactRepository(env.DB)
  const bots = createBotRepository(env.DB)
  const businessId = auth.business_id

  /** The order to try the contact's channels in, and why each other one is skipped. */
  async function planFor(contactId: string, body: ContactSendBody): Promise<Result<Plan, DomainError>> {
    const channels = body.route?.channels ?? []
    const bad: FieldError[] = channels
      .map((c, i) => ({ c, i }))
      .filter(({ c }) => !platformSchema.safeParse(c).success && !isId("bot", c))
      .map(({ i }) => ({ path: `route.channels.${i}`, message: "must be a platform name or a bot id" }))
    if (bad.length > 0) return err({ kind: "invalid", message: "Validation failed", fields: bad })
    const found = await contacts.get(businessId, contactId)
    if (!found.ok) return found
    const [settings, statuses] = await Promise.all([
      contacts.settings(businessId),
      bots.statuses(
        businessId,
        found.value.identities.map((i) => i.botId),
      ),
    ])
    const planBots = new Map<string, PlanBot>([...statuses].map(([id, b]) => [id, { id, ...b }]))
    const contact = await withFreshState(found.value, planBots)
    const { idempotencyKey: _key, route, ...content } = body
    return ok(
      plan({
        contact,
        bots: planBots,
        content,
        route,
        rules: settings.routing.rules,
        platforms: (p) => {
          const parsed = platformSchema.safeParse(p)
          return parsed.success ? getProvider(parsed.data) : null
        },
        now: Date.now(),
      }),
    )
  }

  /**
   * The registry learns opt-outs and last-message times in batches; each active bot's object knows them now. Ask
   * those (one call per bot, in parallel) so the window and opt-out rules see what the bots will enforce.
   */
  async function withFreshState(contact: Contact, planBots: Map<string, PlanBot>): Promise<Contact> {
    const byBot = new Map<string, string[]>()
    for (const i of contact.identities)
      if (planBots.get(i.botId)?.status === "active") byBot.set(i.botId, [...(byBot.get(i.botId) ?? []), i.chatId])
    const states = new Map(
      await Promise.all(
        [...byBot].map(
          async ([botId, chats]) =>
            [
              botId,
              await botStub(env, botId)
                .chatStates(chats)
                .catch(() => null),
            ] as const,
        ),
      ),
    )
    const identities = contact.identities.map((i) => {
      const fresh = states.get(i.botId)?.[i.chatId]
      if (!fresh) return i
      const last = Math.max(i.lastInboundAt ?? 0, fresh.lastInboundAt ?? 0)
      return { ...i, optedOut: fresh.optedOut, lastInboundAt: last > 0 ? last : null }
    })
    return { ...contact, identities }
  }

  return {
    preview: planFor,

    async send(contactId: string, body: ContactSendBody): Promise<Result<ContactSendView, DomainError>> {
      const planned = await planFor(contactId, body)
      if (!planned.ok) return planned
      const { idempotencyKey, route, ...content } = body
      const p = planned.value
      return contactStub(env, contactId).start({
        businessId,
        contactId,
        content,
        candidates: p.candidates,
        route: { source: p.source, rule: p.rule, considered: p.considered },
        failoverAfterMs: route?.failoverAfterSeconds !== undefined ? route.failoverAfterSeconds * 1000 : null,
        idempotencyKey,
        fingerprint: JSON.stringify({ content, route: route ?? null }),
      })
    },

    async message(contactId: string, messageId: string): Promise<Result<ContactSendView, DomainError>> {
      const contact = await contacts.get(businessId, contactId)
      if (!contact.ok) return contact
      const view = await contactStub(env, contactId).get(messageId)
      return view ? ok(view) : err(notFound("Message not found"))
    },
  }
}
