/**
 * Contacts of one business: tenancy and the rules D1 cannot check alone (an identity's bot is the business's, a chat
 * belongs to one contact, merge limits). Returns results in domain words (`DomainError`); the routes choose statuses.
 */
import type { AuthClaims } from "../auth/jwt"
import type { Env } from "../env"
import { type DomainError, type FieldError, invalid, notFound } from "../lib/domain-error"
import { newId } from "../lib/ids"
import { err, ok, type Result } from "../lib/result"
import { createBotRepository } from "../registry/bot-repository"
import {
  type ContactListFilter,
  type ContactPatch,
  createContactRepository,
  identityKey,
  identityTaken,
  type NewIdentity,
} from "../registry/contact-repository"
import {
  type Contact,
  type CreateContactBody,
  type IdentityInput,
  mergedFields,
  type OptOutSettings,
  type PatchContactBody,
  type Routing,
} from "../registry/contact-schemas"

/** The create body's own caps, which a merge's union must also respect (a later PATCH sends the same lists back). */
const MAX_TAGS = 50
const MAX_ATTRIBUTES = 50

export function createContactService(env: Pick<Env, "DB">, auth: Pick<AuthClaims, "business_id">) {
  const repo = createContactRepository(env.DB)
  const bots = createBotRepository(env.DB)
  const businessId = auth.business_id

  /**
   * Turns identities as given into stored ones: each bot must be this business's (else 422 naming the field, as an
   * unknown one: another business's bot is never confirmed), the platform is the bot's, and no other contact of the
   * business may hold the chat already (409). Repeats of the same chat count once.
   */
  async function resolveIdentities(
    inputs: IdentityInput[],
    selfId: string | null,
  ): Promise<Result<NewIdentity[], DomainError>> {
    const botIds = [...new Set(inputs.map((i) => i.botId))]
    const found = await Promise.all(botIds.map((id) => bots.get(businessId, id)))
    const platformOf = new Map<string, string>()
    for (const bot of found) if (bot.ok) platformOf.set(bot.value.id, bot.value.platform)

    const fields: FieldError[] = []
    const resolved = new Map<string, { index: number; identity: NewIdentity }>()
    inputs.forEach((input, index) => {
      const platform = platformOf.get(input.botId)
      if (platform === undefined) {
        fields.push({ path: `identities.${index}.botId`, message: "no bot of this id in this business" })
        return
      }
      const key = identityKey(input)
      if (!resolved.has(key)) resolved.set(key, { index, identity: { ...input, platform } })
    })
    const first = fields[0]
    if (first) return err({ kind: "invalid", message: `Invalid body: ${first.path}: ${first.message}`, fields })

    const owners = await repo.owners(
      businessId,
      [...resolved.values()].map((r) => r.identity),
    )
    for (const [key, { index, identity }] of resolved) {
      const owner = owners.get(key)
      if (owner !== undefined && owner !== selfId)
        return err(
          identityTaken(
            `identities.${index}: chat ${identity.chatId} of bot ${identity.botId} already belongs to contact ${owner}`,
          ),
        )
    }
    return ok([...resolved.values()].map((r) => r.identity))
  }

  /** A merge must not leave more tags or attributes than a contact may be given. */
  function checkMergeLimits(target: Contact, source: Contact): DomainError | null {
    const merged = mergedFields(target, source)
    if (merged.tags.length > MAX_TAGS)
      return invalid("sourceId", `the merged contact would have ${merged.tags.length} tags; at most ${MAX_TAGS}`)
    const attributes = Object.keys(merged.attributes).length
    if (attributes > MAX_ATTRIBUTES)
      return invalid("sourceId", `the merged contact would have ${attributes} attributes; at most ${MAX_ATTRIBUTES}`)
    return null
  }

  /** A newer `updatedAt` than the stored one even when two writes share a millisecond. */
  const nextUpdate = (contact: Contact) => Math.max(Date.now(), contact.updatedAt + 1)

  return {
    /** The contact with its identities; another business's is `not_found`, like a missing one. */
    get: (id: string) => repo.get(businessId, id),

    list: (filter: ContactListFilter) => repo.list(businessId, filter),

    async create(input: CreateContactBody): Promise<Result<Contact, DomainError>> {
      const identities = await resolveIdentities(input.identities, null)
      if (!identities.ok) return identities
      return repo.create({
        id: newId("ct"),
        businessId,
        name: input.name,
        attributes: input.attributes,
        tags: [...new Set(input.tags)],
        preferredPlatforms: [...new Set(input.preferredPlatforms)],
        identities: identities.value,
        now: Date.now(),
      })
    },

    async patch(id: string, input: PatchContactBody): Promise<Result<Contact, DomainError>> {
      const loaded = await repo.get(businessId, id)
      if (!loaded.ok) return loaded
      const patch: ContactPatch = {
        name: input.name,
        attributes: input.attributes,
        tags: input.tags && [...new Set(input.tags)],
        preferredPlatforms: input.preferredPlatforms && [...new Set(input.preferredPlatforms)],
      }
      if (input.identities !== undefined) {
        const identities = await resolveIdentities(input.identities, id)
        if (!identities.ok) return identities
        patch.identities = identities.value
      }
      return repo.update(businessId, loaded.value, patch, nextUpdate(loaded.value))
    },

    async remove(id: string): Promise<Result<true, DomainError>> {
      const deleted = await repo.delete(businessId, id)
      return deleted ? ok(true) : err(notFound("Contact"))
    },

    /** Folds `sourceId` into `id` (see `mergedFields`); the source is gone afterwards. */
    async merge(id: string, sourceId: string): Promise<Result<Contact, DomainError>> {
      const target = await repo.get(businessId, id)
      if (!target.ok) return target
      if (sourceId === id) return err(invalid("sourceId", "a contact cannot be merged into itself"))
      const source = await repo.get(businessId, sourceId)
      if (!source.ok) return err({ kind: "not_found", message: "Contact to merge (sourceId) not found" })
      const problem = checkMergeLimits(target.value, source.value)
      if (problem) return err(problem)
      return repo.merge(businessId, target.value, source.value, nextUpdate(target.value))
    },

    /** Routing rules and opt-out keywords, the defaults when never saved. */
    settings: () => repo.settings(businessId),

    async putRouting(routing: Routing): Promise<Routing> {
      await repo.putRouting(businessId, routing, Date.now())
      return routing
    },

    async putOptOut(optOut: OptOutSettings): Promise<OptOutSettings> {
      await repo.putOptOut(businessId, optOut, Date.now())
      return optOut
    },
  }
}

export type ContactService = ReturnType<typeof createContactService>
