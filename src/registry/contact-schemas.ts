/**
 * Contact domain schemas shared by the registry (D1 rows), the API and the contact's Durable Object: contacts and
 * their identities, the route option of a contact send, the business's routing rules and opt-out keywords.
 */
import { z } from "@hono/zod-openapi"
import { platformSchema } from "../providers"
import { sendContentShape, templateSendFields, withSendRules } from "./template-schemas"

export const tagSchema = z.string().trim().min(1).max(64)

/** Bounded string key/values a business keeps about a person (plan, language, city...). */
export const contactAttributesSchema = z
  .record(z.string().min(1).max(64), z.string().max(1000))
  .refine((r) => Object.keys(r).length <= 50, "at most 50 attributes")
  .openapi("ContactAttributes")

/** One place a person can be reached: a chat of one of the business's bots (the platform is the bot's). */
export const identityInputSchema = z
  .object({ botId: z.string().min(1).max(64), chatId: z.string().min(1).max(128) })
  .openapi("IdentityInput")
export type IdentityInput = z.infer<typeof identityInputSchema>

export const createContactBodySchema = z
  .object({
    name: z.string().trim().max(200).default(""),
    attributes: contactAttributesSchema.default({}),
    tags: z.array(tagSchema).max(50).default([]),
    preferredPlatforms: z.array(platformSchema).max(10).default([]),
    identities: z.array(identityInputSchema).max(50).default([]),
  })
  .openapi("CreateContact")
export type CreateContactBody = z.infer<typeof createContactBodySchema>

/** PATCH: each given field replaces the stored one (identities included: the list is the new set). */
export const patchContactBodySchema = z
  .object({
    name: z.string().trim().max(200).optional(),
    attributes: contactAttributesSchema.optional(),
    tags: z.array(tagSchema).max(50).optional(),
    preferredPlatforms: z.array(platformSchema).max(10).optional(),
    identities: z.array(identityInputSchema).max(50).optional(),
  })
  .openapi("PatchContact")
export type PatchContactBody = z.infer<typeof patchContactBodySchema>

export interface Identity {
  botId: string
  chatId: string
  platform: string
  displayName: string | null
  optedOut: boolean
  lastInboundAt: number | null
  createdAt: number
}

export interface Contact {
  id: string
  businessId: string
  name: string
  attributes: Record<string, string>
  tags: string[]
  preferredPlatforms: string[]
  createdAt: number
  updatedAt: number
  identities: Identity[]
}

// ---- sending to a contact ----

/** What a contact send's route may name: a platform (every identity on it) or one bot. */
export const routeOptionSchema = z
  .object({
    channels: z
      .array(z.string().min(1).max(64))
      .min(1)
      .max(20)
      .optional()
      .openapi({ description: "Platforms or bot ids, in the order to try; only these are tried" }),
    failoverAfterSeconds: z
      .number()
      .int()
      .min(5)
      .max(7 * 86_400)
      .optional()
      .openapi({
        description:
          "Move on when a platform that reports delivery (WhatsApp) has not confirmed it within this many seconds",
      }),
  })
  .openapi("RouteOption")
export type RouteOption = z.infer<typeof routeOptionSchema>

/** Content as a bot send takes it, or `{ templateId, variables }`: rendered for each channel's platform. */
export const contactSendBodySchema = withSendRules(
  z.object({
    route: routeOptionSchema.optional(),
    idempotencyKey: z.string().min(1).max(200).optional(),
    ...sendContentShape.shape,
    ...templateSendFields,
  }),
).openapi("ContactSend")
export type ContactSendBody = z.infer<typeof contactSendBodySchema>

export const messageKinds = ["text", "media", "template"] as const
export type MessageKind = (typeof messageKinds)[number]

// ---- business settings ----

/** A smart-routing rule: when it matches a send, its platforms are tried in order. The first match wins. */
export const routingRuleSchema = z
  .object({
    name: z.string().trim().max(100).optional(),
    match: z
      .object({
        kinds: z.array(z.enum(messageKinds)).min(1).max(3).optional(),
        tagsAny: z.array(tagSchema).min(1).max(20).optional(),
        attributes: z.record(z.string().min(1).max(64), z.string().max(1000)).optional(),
      })
      .default({}),
    platforms: z.array(platformSchema).min(1).max(10),
  })
  .openapi("RoutingRule")
export type RoutingRule = z.infer<typeof routingRuleSchema>

export const routingSchema = z.object({ rules: z.array(routingRuleSchema).max(50) }).openapi("Routing")
export type Routing = z.infer<typeof routingSchema>

const keywordSchema = z.string().trim().min(1).max(32)

/** What an inbound message must say (the whole message, any case) to opt out or back in, and the answers. */
export const optOutSettingsSchema = z
  .object({
    stopKeywords: z.array(keywordSchema).min(1).max(20).default(["STOP", "UNSUBSCRIBE"]),
    startKeywords: z.array(keywordSchema).min(1).max(20).default(["START"]),
    stopReply: z
      .string()
      .min(1)
      .max(1000)
      .default("You are unsubscribed and will get no more messages from us. Reply START to subscribe again."),
    startReply: z.string().min(1).max(1000).default("You are subscribed again. Reply STOP to unsubscribe."),
  })
  .openapi("OptOutSettings")
export type OptOutSettings = z.infer<typeof optOutSettingsSchema>

export const DEFAULT_OPT_OUT: OptOutSettings = optOutSettingsSchema.parse({})

// ---- API views (responses) ----

export const contactIdentityViewSchema = z
  .object({
    botId: z.string(),
    platform: z.string().openapi({ description: "The bot's platform" }),
    chatId: z.string(),
    displayName: z.string().nullable().openapi({ description: "The name the platform last gave for the person" }),
    optedOut: z.boolean().openapi({ description: "The person opted out on this chat: nothing is sent here" }),
    lastInboundAt: z.string().nullable().openapi({ description: "When the person last wrote here (ISO 8601)" }),
    createdAt: z.string(),
  })
  .openapi("ContactIdentity")

export const contactViewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    attributes: z.record(z.string(), z.string()),
    tags: z.array(z.string()),
    preferredPlatforms: z.array(z.string()),
    createdAt: z.string(),
    updatedAt: z.string(),
    lastInboundAt: z
      .string()
      .nullable()
      .openapi({ description: "The latest `lastInboundAt` of its identities; null when the person never wrote" }),
    identities: z.array(contactIdentityViewSchema),
  })
  .openapi("Contact")
export type ContactView = z.infer<typeof contactViewSchema>

const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/** The API view of a contact: ISO times, and when the person last wrote on any of its chats. */
export function toContactView(contact: Contact): ContactView {
  const inbound = contact.identities.flatMap((i) => (i.lastInboundAt === null ? [] : [i.lastInboundAt]))
  return {
    id: contact.id,
    name: contact.name,
    attributes: contact.attributes,
    tags: contact.tags,
    preferredPlatforms: contact.preferredPlatforms,
    createdAt: new Date(contact.createdAt).toISOString(),
    updatedAt: new Date(contact.updatedAt).toISOString(),
    lastInboundAt: inbound.length === 0 ? null : new Date(Math.max(...inbound)).toISOString(),
    identities: contact.identities.map((i) => ({
      botId: i.botId,
      platform: i.platform,
      chatId: i.chatId,
      displayName: i.displayName,
      optedOut: i.optedOut,
      lastInboundAt: isoOrNull(i.lastInboundAt),
      createdAt: new Date(i.createdAt).toISOString(),
    })),
  }
}

/**
 * What a merge leaves on the target: its own values first, the source filling the gaps (attributes it lacks, tags
 * and platforms it does not list, a name when it has none).
 */
export function mergedFields(
  target: Contact,
  source: Contact,
): Pick<Contact, "name" | "attributes" | "tags" | "preferredPlatforms"> {
  return {
    name: target.name !== "" ? target.name : source.name,
    attributes: { ...source.attributes, ...target.attributes },
    tags: [...new Set([...target.tags, ...source.tags])],
    preferredPlatforms: [...new Set([...target.preferredPlatforms, ...source.preferredPlatforms])],
  }
}
