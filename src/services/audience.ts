/**
 * A broadcast to an audience (the business's contacts with a tag): each contact is routed like a contact send
 * (its preferences, the business's rules, recency; opted-out, closed-window and stopped channels skipped) and the
 * first channel it can take decides the bot; then one broadcast per bot carries that bot's share.
 */
import type { AuthClaims } from "../auth/jwt"
import type { BroadcastContent, Recipient } from "../bot/broadcast-store"
import type { BroadcastView } from "../bot/broadcasts"
import { botStub } from "../bot/stubs"
import { withFreshState } from "../contacts/fresh-state"
import { type PlanBot, plan } from "../contacts/plan"
import type { Env } from "../env"
import type { DomainError } from "../lib/domain-error"
import { newId } from "../lib/ids"
import { ok, type Result } from "../lib/result"
import { getProvider, platformSchema } from "../providers"
import type { OutboundContent } from "../providers/types"
import { createBotRepository } from "../registry/bot-repository"
import { createBroadcastRepository } from "../registry/broadcast-repository"
import { createContactRepository } from "../registry/contact-repository"
import type { Contact } from "../registry/contact-schemas"

/** The most contacts one audience broadcast reaches (a larger audience: split it by tag). */
export const AUDIENCE_LIMIT = 100_000
const CHUNK = 5_000

export interface AudienceInput {
  name: string
  tag: string
  /** What routing judges the send by (a template with a WhatsApp form is a template send). */
  judgedBy: OutboundContent
  content: BroadcastContent
  /** A template's declared variables: each recipient's values come from the contact (name, attributes). */
  variableNames: string[]
  scheduledAt: number | null
}

export interface AudienceResult {
  contacts: number
  reached: number
  /** Contacts no channel could take, with the first reason each was skipped for. */
  unreachable: { contactId: string; reason: string }[]
  broadcasts: { botId: string; broadcast: BroadcastView }[]
}

export function createAudienceBroadcasts(env: Env, auth: Pick<AuthClaims, "business_id">) {
  const businessId = auth.business_id
  const contacts = createContactRepository(env.DB)

  async function audience(tag: string): Promise<Contact[]> {
    const out: Contact[] = []
    let after: string | undefined
    for (;;) {
      const page = await contacts.list(businessId, { tag, limit: 100, after })
      out.push(...page.contacts)
      const last = page.contacts.at(-1)
      if (!page.hasMore || !last || out.length >= AUDIENCE_LIMIT) return out.slice(0, AUDIENCE_LIMIT)
      after = last.id
    }
  }

  return {
    async start(input: AudienceInput): Promise<Result<AudienceResult, DomainError>> {
      const members = await audience(input.tag)
      const botIds = [...new Set(members.flatMap((c) => c.identities.map((i) => i.botId)))]
      const [settings, statuses] = await Promise.all([
        contacts.settings(businessId),
        createBotRepository(env.DB).statuses(businessId, botIds),
      ])
      const bots = new Map<string, PlanBot>([...statuses].map(([id, b]) => [id, { id, ...b }]))
      const now = Date.now()
      const shares = new Map<string, Recipient[]>()
      const unreachable: AudienceResult["unreachable"] = []
      for (const contact of await withFreshState(env, members, bots)) {
        const p = plan({
          contact,
          bots,
          content: input.judgedBy,
          rules: settings.routing.rules,
          platforms: (name) => {
            const parsed = platformSchema.safeParse(name)
            return parsed.success ? getProvider(parsed.data) : null
          },
          now,
        })
        const first = p.candidates[0]
        if (!first) {
          unreachable.push({ contactId: contact.id, reason: p.considered[0]?.reason ?? "no channel" })
          continue
        }
        const recipient = { chatId: first.chatId, variables: valuesFor(contact, input.variableNames) }
        const share = shares.get(first.botId)
        if (share) share.push(recipient)
        else shares.set(first.botId, [recipient])
      }
      const broadcasts: AudienceResult["broadcasts"] = []
      for (const [botId, recipients] of shares) {
        const id = newId("bc")
        let view: BroadcastView | null = null
        for (let i = 0; i < recipients.length; i += CHUNK) {
          const chunk = recipients.slice(i, i + CHUNK)
          const more = i + CHUNK < recipients.length
          const answer = await botStub(env, botId).broadcast(
            i === 0
              ? {
                  op: "create",
                  id,
                  name: input.name,
                  content: input.content,
                  recipients: chunk,
                  more,
                  scheduledAt: input.scheduledAt,
                }
              : { op: "append", id, recipients: chunk, more },
            businessId,
          )
          if (!answer.ok) return answer
          view = answer.value
        }
        if (view) {
          await createBroadcastRepository(env.DB).insert(businessId, botId, view, Date.now())
          broadcasts.push({ botId, broadcast: view })
        }
      }
      const reached = [...shares.values()].reduce((n, r) => n + r.length, 0)
      return ok({ contacts: members.length, reached, unreachable, broadcasts })
    },
  }
}

/** A template's values from the contact: `name`, then its attributes, for the variables the template declares. */
function valuesFor(contact: Contact, names: string[]): Record<string, string> | undefined {
  if (names.length === 0) return undefined
  const known: Record<string, string> = { name: contact.name, ...contact.attributes }
  const out: Record<string, string> = {}
  for (const n of names) if (known[n] !== undefined && known[n] !== "") out[n] = known[n]
  return out
}
