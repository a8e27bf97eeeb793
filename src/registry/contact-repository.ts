/** All D1 SQL for contacts, their identities and the business's settings; rows are parsed with zod into domain types. */

import { z } from "zod"
import { type DomainError, notFound } from "../lib/domain-error"
import { err, ok, type Result } from "../lib/result"
import {
  type Contact,
  DEFAULT_OPT_OUT,
  type Identity,
  mergedFields,
  type OptOutSettings,
  optOutSettingsSchema,
  type Routing,
  routingSchema,
} from "./contact-schemas"
import { KeysetQuery } from "./keyset"

const contactRowSchema = z.object({
  id: z.string(),
  business_id: z.string(),
  name: z.string(),
  attributes: z.string(),
  tags: z.string(),
  preferred_platforms: z.string(),
  created_at: z.number(),
  updated_at: z.number(),
})

const identityRowSchema = z.object({
  bot_id: z.string(),
  chat_id: z.string(),
  contact_id: z.string(),
  platform: z.string(),
  display_name: z.string().nullable(),
  opted_out: z.number(),
  last_inbound_at: z.number().nullable(),
  created_at: z.number(),
})

const settingsRowSchema = z.object({ routing: z.string(), opt_out: z.string() })
const ownerRowSchema = z.object({ bot_id: z.string(), chat_id: z.string(), contact_id: z.string() })

const jsonRecord = z.record(z.string(), z.string())
const jsonStrings = z.array(z.string())

const CONTACT_COLUMNS = "id, business_id, name, attributes, tags, preferred_platforms, created_at, updated_at"
const IDENTITY_COLUMNS = "bot_id, chat_id, contact_id, platform, display_name, opted_out, last_inbound_at, created_at"

function toIdentity(raw: unknown): Identity & { contactId: string } {
  const row = identityRowSchema.parse(raw)
  return {
    contactId: row.contact_id,
    botId: row.bot_id,
    chatId: row.chat_id,
    platform: row.platform,
    displayName: row.display_name,
    optedOut: row.opted_out !== 0,
    lastInboundAt: row.last_inbound_at,
    createdAt: row.created_at,
  }
}

function toContact(row: z.infer<typeof contactRowSchema>, identities: Identity[]): Contact {
  return {
    id: row.id,
    businessId: row.business_id,
    name: row.name,
    attributes: jsonRecord.parse(JSON.parse(row.attributes)),
    tags: jsonStrings.parse(JSON.parse(row.tags)),
    preferredPlatforms: jsonStrings.parse(JSON.parse(row.preferred_platforms)),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    identities,
  }
}

/** The identity keys as one JSON parameter: D1 allows 100 bound parameters, a page or a set can need more. */
const keysJson = (keys: { botId: string; chatId: string }[]) => JSON.stringify(keys.map((k) => [k.botId, k.chatId]))
/** The (bot_id, chat_id) pairs of a `keysJson` parameter, for a row-value `IN`. */
const keysFrom = (param: string) =>
  `SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(${param})`

export const identityKey = (i: { botId: string; chatId: string }) => `${i.botId}\n${i.chatId}`

export interface NewIdentity {
  botId: string
  chatId: string
  /** The bot's platform (the service looks it up; the caller never chooses it). */
  platform: string
}

/** What a contact is beyond its id and identities: what the API writes and a merge combines. */
export type ContactFields = Pick<Contact, "name" | "attributes" | "tags" | "preferredPlatforms">

export type NewContact = ContactFields & { id: string; businessId: string; identities: NewIdentity[]; now: number }

/** Each given field replaces; `identities` is the new set (those already held keep their opt-out and history). */
export type ContactPatch = Partial<ContactFields> & { identities?: NewIdentity[] | undefined }

export interface ContactListFilter {
  /** Name substring, any case. */
  q?: string | undefined
  /** Exact tag. */
  tag?: string | undefined
  /** Has an identity on this bot (and this chat, when both are given: that one identity). */
  botId?: string | undefined
  chatId?: string | undefined
  /** Has an identity on this platform. */
  platform?: string | undefined
  limit: number
  /** Id of the last contact of the previous page (pages go newest first). */
  after?: string | undefined
}

/** The answer when a chat (identity) is already another contact's: a chat reaches one person of the business. */
export const identityTaken = (message: string): DomainError => ({
  kind: "conflict",
  code: "identity_conflict",
  message,
})

function conflictOr(cause: unknown): Result<never, DomainError> {
  if (cause instanceof Error && /UNIQUE constraint failed/i.test(cause.message))
    return err(identityTaken("One of the identities already belongs to another contact"))
  throw cause
}

export function createContactRepository(db: D1Database) {
  // Identities are only written onto (or moved to) a contact that still exists: a contact deleted between the read
  // and the write must not leave orphans. Statements using it bind the business as ?1 and that contact as ?3.
  const CONTACT_EXISTS = "EXISTS (SELECT 1 FROM contacts WHERE business_id = ?1 AND id = ?3)"
  const insertIdentity = (businessId: string, contactId: string, identity: NewIdentity, now: number) =>
    db
      .prepare(
        `INSERT INTO contact_identities (business_id, bot_id, contact_id, chat_id, platform, created_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE ${CONTACT_EXISTS}`,
      )
      .bind(businessId, identity.botId, contactId, identity.chatId, identity.platform, now)

  /** The identities of the given contacts, oldest first, grouped by contact. */
  async function identitiesOf(businessId: string, contactIds: string[]): Promise<Map<string, Identity[]>> {
    const out = new Map<string, Identity[]>()
    if (contactIds.length === 0) return out
    const { results } = await db
      .prepare(
        `SELECT ${IDENTITY_COLUMNS} FROM contact_identities
         WHERE business_id = ?1 AND contact_id IN (SELECT value FROM json_each(?2))
         ORDER BY created_at, bot_id, chat_id`,
      )
      .bind(businessId, JSON.stringify(contactIds))
      .all()
    for (const raw of results) {
      const { contactId, ...identity } = toIdentity(raw)
      const list = out.get(contactId) ?? []
      list.push(identity)
      out.set(contactId, list)
    }
    return out
  }

  /** The contact and its identities in one round trip (every contact send starts here). */
  async function get(businessId: string, id: string): Promise<Result<Contact, DomainError>> {
    const [contact, identities] = await db.batch([
      db.prepare(`SELECT ${CONTACT_COLUMNS} FROM contacts WHERE business_id = ?1 AND id = ?2`).bind(businessId, id),
      db
        .prepare(
          `SELECT ${IDENTITY_COLUMNS} FROM contact_identities WHERE business_id = ?1 AND contact_id = ?2
           ORDER BY created_at, bot_id, chat_id`,
        )
        .bind(businessId, id),
    ])
    const row = contact?.results[0]
    if (!row) return err(notFound("Contact"))
    const own = (identities?.results ?? []).map((raw) => {
      const { contactId: _, ...identity } = toIdentity(raw)
      return identity
    })
    return ok(toContact(contactRowSchema.parse(row), own))
  }

  async function readSettings(businessId: string) {
    const row = await db
      .prepare("SELECT routing, opt_out FROM business_settings WHERE business_id = ?1")
      .bind(businessId)
      .first()
    return row ? settingsRowSchema.parse(row) : null
  }

  async function putSetting(column: "routing" | "opt_out", businessId: string, json: string, now: number) {
    await db
      .prepare(
        `INSERT INTO business_settings (business_id, ${column}, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (business_id) DO UPDATE SET ${column} = excluded.${column}, updated_at = excluded.updated_at`,
      )
      .bind(businessId, json, now)
      .run()
  }

  return {
    get,

    /** One batch: the contact and its identities exist together or not at all (an identity taken is a conflict). */
    async create(contact: NewContact): Promise<Result<Contact, DomainError>> {
      try {
        await db.batch([
          db
            .prepare(`INSERT INTO contacts (${CONTACT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)`)
            .bind(
              contact.id,
              contact.businessId,
              contact.name,
              JSON.stringify(contact.attributes),
              JSON.stringify(contact.tags),
              JSON.stringify(contact.preferredPlatforms),
              contact.now,
            ),
          ...contact.identities.map((i) => insertIdentity(contact.businessId, contact.id, i, contact.now)),
        ])
      } catch (cause) {
        return conflictOr(cause)
      }
      return get(contact.businessId, contact.id)
    },

    /** Keyset pagination on (business_id, id DESC); the identity filters are subqueries on their indexes. */
    async list(businessId: string, filter: ContactListFilter): Promise<{ contacts: Contact[]; hasMore: boolean }> {
      const has = (condition: string) =>
        `EXISTS (SELECT 1 FROM contact_identities i WHERE i.contact_id = contacts.id AND ${condition})`
      const query = new KeysetQuery(businessId)
        .nameLike(filter.q)
        .when(filter.tag, "EXISTS (SELECT 1 FROM json_each(contacts.tags) WHERE json_each.value = ?)")
      if (filter.botId && filter.chatId)
        query.when(filter.botId, has("i.bot_id = ? AND i.chat_id = ?"), filter.botId, filter.chatId)
      else query.when(filter.botId, has("i.bot_id = ?")).when(filter.chatId, has("i.chat_id = ?"))
      query.when(filter.platform, has("i.platform = ?"))
      const { rows, hasMore } = await query.page(
        db,
        { table: "contacts", columns: CONTACT_COLUMNS },
        filter.after,
        filter.limit,
      )
      const page = rows.map((raw) => contactRowSchema.parse(raw))
      const identities = await identitiesOf(
        businessId,
        page.map((r) => r.id),
      )
      const contacts = page.map((r) => toContact(r, identities.get(r.id) ?? []))
      return { contacts, hasMore }
    },

    /** Which contact of the business holds each of these identities (keyed by `identityKey`). */
    async owners(businessId: string, keys: { botId: string; chatId: string }[]): Promise<Map<string, string>> {
      const out = new Map<string, string>()
      if (keys.length === 0) return out
      const { results } = await db
        .prepare(
          `SELECT bot_id, chat_id, contact_id FROM contact_identities
           WHERE business_id = ?1 AND (bot_id, chat_id) IN (${keysFrom("?2")})`,
        )
        .bind(businessId, keysJson(keys))
        .all()
      for (const raw of results) {
        const row = ownerRowSchema.parse(raw)
        out.set(identityKey({ botId: row.bot_id, chatId: row.chat_id }), row.contact_id)
      }
      return out
    },

    /** Each given field replaces the stored one, in one batch with the identity set's changes. */
    async update(
      businessId: string,
      current: Contact,
      patch: ContactPatch,
      now: number,
    ): Promise<Result<Contact, DomainError>> {
      const sets = ["updated_at = ?"]
      const params: (string | number)[] = [now]
      const add = (column: string, value: string) => {
        sets.push(`${column} = ?`)
        params.push(value)
      }
      if (patch.name !== undefined) add("name", patch.name)
      if (patch.attributes !== undefined) add("attributes", JSON.stringify(patch.attributes))
      if (patch.tags !== undefined) add("tags", JSON.stringify(patch.tags))
      if (patch.preferredPlatforms !== undefined) add("preferred_platforms", JSON.stringify(patch.preferredPlatforms))
      params.push(businessId, current.id)
      const statements = [
        db.prepare(`UPDATE contacts SET ${sets.join(", ")} WHERE business_id = ? AND id = ?`).bind(...params),
      ]
      if (patch.identities !== undefined) {
        const held = new Set(current.identities.map(identityKey))
        statements.push(
          db
            .prepare(
              `DELETE FROM contact_identities WHERE business_id = ?1 AND contact_id = ?2
               AND (bot_id, chat_id) NOT IN (${keysFrom("?3")})`,
            )
            .bind(businessId, current.id, keysJson(patch.identities)),
          ...patch.identities
            .filter((i) => !held.has(identityKey(i)))
            .map((i) => insertIdentity(businessId, current.id, i, now)),
        )
      }
      try {
        await db.batch(statements)
      } catch (cause) {
        return conflictOr(cause)
      }
      return get(businessId, current.id)
    },

    /** The contact and its identities, in one batch. */
    async delete(businessId: string, id: string): Promise<boolean> {
      const [, contact] = await db.batch([
        db.prepare("DELETE FROM contact_identities WHERE business_id = ?1 AND contact_id = ?2").bind(businessId, id),
        db.prepare("DELETE FROM contacts WHERE business_id = ?1 AND id = ?2").bind(businessId, id),
      ])
      return (contact?.meta.changes ?? 0) > 0
    },

    /**
     * Folds `source` into `target` in one batch (all of it or nothing): the source's identities move over, the fields
     * combine as `mergedFields` says, the source is deleted.
     */
    async merge(
      businessId: string,
      target: Contact,
      source: Contact,
      now: number,
    ): Promise<Result<Contact, DomainError>> {
      const merged = mergedFields(target, source)
      await db.batch([
        db
          .prepare(
            `UPDATE contact_identities SET contact_id = ?3 WHERE business_id = ?1 AND contact_id = ?2 AND ${CONTACT_EXISTS}`,
          )
          .bind(businessId, source.id, target.id),
        db
          .prepare(
            `UPDATE contacts SET name = ?3, attributes = ?4, tags = ?5, preferred_platforms = ?6, updated_at = ?7
             WHERE business_id = ?1 AND id = ?2`,
          )
          .bind(
            businessId,
            target.id,
            merged.name,
            JSON.stringify(merged.attributes),
            JSON.stringify(merged.tags),
            JSON.stringify(merged.preferredPlatforms),
            now,
          ),
        // Kept when the target vanished meanwhile: its identities stayed with it.
        db
          .prepare(`DELETE FROM contacts WHERE business_id = ?1 AND id = ?2 AND ${CONTACT_EXISTS}`)
          .bind(businessId, source.id, target.id),
      ])
      return get(businessId, target.id)
    },

    /** The business's routing rules and opt-out keywords; the defaults when it never saved them. */
    async settings(businessId: string): Promise<{ routing: Routing; optOut: OptOutSettings }> {
      const row = await readSettings(businessId)
      if (!row) return { routing: { rules: [] }, optOut: DEFAULT_OPT_OUT }
      return {
        routing: routingSchema.parse(JSON.parse(row.routing)),
        optOut: optOutSettingsSchema.parse(JSON.parse(row.opt_out)),
      }
    },

    /** Upserts the routing document only: the opt-out one keeps its value. */
    putRouting: (businessId: string, routing: Routing, now: number) =>
      putSetting("routing", businessId, JSON.stringify(routing), now),

    /** Upserts the opt-out document only: the routing one keeps its value. */
    putOptOut: (businessId: string, optOut: OptOutSettings, now: number) =>
      putSetting("opt_out", businessId, JSON.stringify(optOut), now),
  }
}

export type ContactRepository = ReturnType<typeof createContactRepository>
