/**
 * Sending to a contact: the route is planned here from the registry (the contact, its identities' bots, the
 * business's rules), then the contact's object owns the send and walks it through that route.
 */
import type { AuthClaims } from "../auth/jwt"
import { contactStub } from "../bot/stubs"
import type { ContactSendView } from "../contacts/contact-durable-object"
import { withFreshState } from "../contacts/fresh-state"
import { type Plan, type PlanBot, plan } from "../contacts/plan"
import type { Env } from "../env"
import { type DomainError, type FieldError, notFound } from "../lib/domain-error"
import { isId } from "../lib/ids"
import { err, ok, type Result } from "../lib/result"
import { getProvider, platformSchema } from "../providers"
import type { OutboundContent } from "../providers/types"
import { createBotRepository } from "../registry/bot-repository"
import { createContactRepository } from "../registry/contact-repository"
import type { Contact, ContactSendBody } from "../registry/contact-schemas"
import { createTemplateRepository } from "../registry/template-repository"
import { checkVariables, renderTemplate } from "../templates/render"

/** What a send carries: the body's content, or its template rendered for each platform of the contact's channels. */
interface SendContent {
  /** What routing judges the send by: its kind (a template with a WhatsApp form is a template send). */
  content: OutboundContent
  /** Each platform's rendering, for a `templateId` send. */
  byPlatform: Map<string, OutboundContent> | null
}

/** The channel order and what goes through it. */
interface Planned {
  plan: Plan
  content: OutboundContent
  byPlatform: Map<string, OutboundContent> | null
}

export function createContactSends(env: Env, auth: Pick<AuthClaims, "business_id">) {
  const contacts = createContactRepository(env.DB)
  const bots = createBotRepository(env.DB)
  const templates = createTemplateRepository(env.DB)
  const businessId = auth.business_id

  /** The body's content, or (`templateId`) its template rendered for each platform the contact is reachable on. */
  async function contentFor(contact: Contact, body: ContactSendBody): Promise<Result<SendContent, DomainError>> {
    const { idempotencyKey: _key, route: _route, templateId, variables, ...fields } = body
    if (templateId === undefined) return ok({ content: fields, byPlatform: null })
    const found = isId("tpl", templateId) ? await templates.get(businessId, templateId) : err(notFound("Template"))
    if (!found.ok) return found
    const template = found.value
    const values = variables ?? {}
    // Every platform renders the same values: they are checked once even when the contact has no channel.
    const checked = checkVariables(template, values)
    if (!checked.ok) return checked
    const { text: _text, media: _media, template: _template, ...extras } = fields
    const byPlatform = new Map<string, OutboundContent>()
    for (const name of new Set(contact.identities.map((i) => i.platform))) {
      const platform = platformSchema.safeParse(name)
      if (!platform.success) continue
      const rendered = renderTemplate(template, values, platform.data)
      if (!rendered.ok) return rendered
      byPlatform.set(name, { ...extras, ...rendered.value.content })
    }
    const templateRef = { id: template.id, version: template.version }
    const form = template.whatsapp
    const judged: OutboundContent = form
      ? { ...extras, template: { name: form.name, language: form.language }, templateRef }
      : { ...extras, text: template.body, templateRef }
    return ok({ content: judged, byPlatform })
  }

  /** The order to try the contact's channels in, why each other one is skipped, and what goes through them. */
  async function planFor(contactId: string, body: ContactSendBody): Promise<Result<Planned, DomainError>> {
    const channels = body.route?.channels ?? []
    const bad: FieldError[] = channels
      .map((c, i) => ({ c, i }))
      .filter(({ c }) => !platformSchema.safeParse(c).success && !isId("bot", c))
      .map(({ i }) => ({ path: `route.channels.${i}`, message: "must be a platform name or a bot id" }))
    if (bad.length > 0) return err({ kind: "invalid", message: "Validation failed", fields: bad })
    // The business's settings do not depend on the contact: read both at once.
    const [found, settings] = await Promise.all([contacts.get(businessId, contactId), contacts.settings(businessId)])
    if (!found.ok) return found
    const statuses = await bots.statuses(
      businessId,
      found.value.identities.map((i) => i.botId),
    )
    const planBots = new Map<string, PlanBot>([...statuses].map(([id, b]) => [id, { id, ...b }]))
    const [contact = found.value] = await withFreshState(env, [found.value], planBots)
    const sendContent = await contentFor(contact, body)
    if (!sendContent.ok) return sendContent
    const { byPlatform } = sendContent.value
    const planned = plan({
      contact,
      bots: planBots,
      content: sendContent.value.content,
      route: body.route,
      rules: settings.routing.rules,
      platforms: (p) => {
        const parsed = platformSchema.safeParse(p)
        if (!parsed.success) return null
        const provider = getProvider(parsed.data)
        const own = byPlatform?.get(p)
        // A template send is checked as it reads on each channel's platform.
        return own
          ? {
              serviceWindowMs: provider.serviceWindowMs,
              checkMessage: (m) => provider.checkMessage({ ...own, chatId: m.chatId }),
            }
          : provider
      },
      now: Date.now(),
    })
    return ok({ plan: planned, content: sendContent.value.content, byPlatform })
  }

  return {
    async preview(contactId: string, body: ContactSendBody): Promise<Result<Plan, DomainError>> {
      const planned = await planFor(contactId, body)
      return planned.ok ? ok(planned.value.plan) : planned
    },

    async send(contactId: string, body: ContactSendBody): Promise<Result<ContactSendView, DomainError>> {
      const planned = await planFor(contactId, body)
      if (!planned.ok) return planned
      // The fingerprint is the request (a template send's `templateId` and values, not its rendering).
      const { idempotencyKey, route, ...content } = body
      const p = planned.value.plan
      return contactStub(env, contactId).start({
        businessId,
        contactId,
        content: planned.value.content,
        contentByPlatform: planned.value.byPlatform ? Object.fromEntries(planned.value.byPlatform) : null,
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
