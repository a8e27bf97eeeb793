/** Management API for contacts (CRUD, search, merge) and the business's routing and opt-out settings, per business. */
import { createRoute, z } from "@hono/zod-openapi"
import type { Context } from "hono"
import { requireAuth, requireWriter } from "../auth/jwt"
import type { AppEnv } from "../env"
import { pageCursor } from "../lib/cursor"
import { orThrow } from "../lib/errors"
import { platformSchema } from "../providers"
import {
  contactViewSchema,
  createContactBodySchema,
  optOutSettingsSchema,
  patchContactBodySchema,
  routingSchema,
  tagSchema,
  toContactView,
} from "../registry/contact-schemas"
import { createContactService } from "../services/contact-service"
import { commonErrors, createOpenApiApp, errorResponse } from "./openapi"

const contactIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: "id", in: "path" } }),
})

const listQuery = z.object({
  q: z.string().trim().max(100).optional().openapi({ description: "Name contains this, any case" }),
  tag: tagSchema.optional().openapi({ description: "Has this tag (exact)" }),
  platform: platformSchema.optional().openapi({ description: "Has an identity on this platform" }),
  botId: z.string().min(1).max(64).optional().openapi({ description: "Has an identity on this bot" }),
  chatId: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .openapi({ description: "Has an identity with this chat id (with `botId`: that one identity)" }),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().max(400).optional(),
})

const mergeBody = z
  .object({
    sourceId: z.string().min(1).max(128).openapi({ description: "The contact folded into this one; it is deleted" }),
  })
  .openapi("MergeContacts")

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
})
const body = <T extends z.ZodType>(schema: T) => ({ content: { "application/json": { schema } }, required: true })

const oneContact = z.object({ contact: contactViewSchema })
const notFoundContact = errorResponse("No such contact in this business")
const forbidden = errorResponse("Viewers cannot write")
const identityErrors = {
  409: errorResponse("`identity_conflict`: another contact of the business already holds one of the identities"),
  422: errorResponse("`validation_failed` (fields in details): e.g. `identities.0.botId` names no bot of the business"),
}

// Cursors are opaque to clients: base64url of a marker and the last contact id of the page. The marker, not the id's
// shape, tells ours from garbage: contacts the bots create have derived ids.
const cursor = pageCursor("contact", (id) => id.length > 0 && id.length <= 128)

const service = (c: Context<AppEnv>) => createContactService(c.env, c.var.auth)

const write = [requireAuth, requireWriter]

export const contactsApp = createOpenApiApp()
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      operationId: "createContact",
      tags: ["Contacts"],
      summary: "Create a contact, optionally with the chats (identities) it is reached on",
      middleware: write,
      request: { body: body(createContactBodySchema) },
      responses: { 201: json(oneContact, "Created"), 403: forbidden, ...commonErrors, ...identityErrors },
    }),
    async (c) => {
      const contact = orThrow(await service(c).create(c.req.valid("json")))
      return c.json({ contact: toContactView(contact) }, 201)
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      operationId: "listContacts",
      tags: ["Contacts"],
      summary: "List and search contacts, newest first, with cursor pagination",
      middleware: [requireAuth],
      request: { query: listQuery },
      responses: {
        200: json(
          z.object({ contacts: z.array(contactViewSchema), nextCursor: z.string().nullable() }),
          "A page of contacts; `nextCursor` is null on the last page",
        ),
        ...commonErrors,
      },
    }),
    async (c) => {
      const q = c.req.valid("query")
      const { contacts, hasMore } = await service(c).list({
        q: q.q || undefined,
        tag: q.tag,
        platform: q.platform,
        botId: q.botId,
        chatId: q.chatId,
        limit: q.limit,
        after: q.cursor ? cursor.decode(q.cursor) : undefined,
      })
      const last = contacts.at(-1)
      return c.json(
        { contacts: contacts.map(toContactView), nextCursor: hasMore && last ? cursor.encode(last.id) : null },
        200,
      )
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{id}",
      operationId: "getContact",
      tags: ["Contacts"],
      summary: "Get a contact with its identities",
      middleware: [requireAuth],
      request: { params: contactIdParam },
      responses: { 200: json(oneContact, "The contact"), ...commonErrors, 404: notFoundContact },
    }),
    async (c) => {
      const contact = orThrow(await service(c).get(c.req.valid("param").id))
      return c.json({ contact: toContactView(contact) }, 200)
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/{id}",
      operationId: "updateContact",
      tags: ["Contacts"],
      summary: "Update a contact: each given field replaces the stored one (`identities` is the new set)",
      middleware: write,
      request: { params: contactIdParam, body: body(patchContactBodySchema) },
      responses: {
        200: json(oneContact, "Updated"),
        403: forbidden,
        ...commonErrors,
        404: notFoundContact,
        ...identityErrors,
      },
    }),
    async (c) => {
      const contact = orThrow(await service(c).patch(c.req.valid("param").id, c.req.valid("json")))
      return c.json({ contact: toContactView(contact) }, 200)
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{id}",
      operationId: "deleteContact",
      tags: ["Contacts"],
      summary: "Delete a contact and its identities",
      middleware: write,
      request: { params: contactIdParam },
      responses: {
        200: json(z.object({ deleted: z.literal(true) }), "Deleted"),
        403: forbidden,
        ...commonErrors,
        404: notFoundContact,
      },
    }),
    async (c) => {
      orThrow(await service(c).remove(c.req.valid("param").id))
      return c.json({ deleted: true as const }, 200)
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{id}/merge",
      operationId: "mergeContacts",
      tags: ["Contacts"],
      summary:
        "Merge another contact into this one: its identities move here, tags and preferred platforms are joined, " +
        "this contact's attributes and name win where both have one; the other contact is deleted",
      middleware: write,
      request: { params: contactIdParam, body: body(mergeBody) },
      responses: {
        200: json(oneContact, "The merged contact"),
        403: forbidden,
        ...commonErrors,
        404: errorResponse("No such contact in this business (either the one in the path or `sourceId`)"),
        422: errorResponse(
          "`validation_failed`: `sourceId` is the contact itself, or the merge would exceed 50 tags or attributes",
        ),
      },
    }),
    async (c) => {
      const contact = orThrow(await service(c).merge(c.req.valid("param").id, c.req.valid("json").sourceId))
      return c.json({ contact: toContactView(contact) }, 200)
    },
  )

/** The business's settings documents: each is read and replaced whole, independently of the other. */
export const contactSettingsApp = createOpenApiApp()
  .openapi(
    createRoute({
      method: "get",
      path: "/routing",
      operationId: "getRouting",
      tags: ["Contacts"],
      summary: "The business's smart-routing rules for contact sends (no rules until saved)",
      middleware: [requireAuth],
      responses: { 200: json(routingSchema, "The routing rules"), ...commonErrors },
    }),
    async (c) => c.json((await service(c).settings()).routing, 200),
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/routing",
      operationId: "replaceRouting",
      tags: ["Contacts"],
      summary: "Replace the business's smart-routing rules (the first matching rule wins)",
      middleware: write,
      request: { body: body(routingSchema) },
      responses: { 200: json(routingSchema, "The saved rules"), 403: forbidden, ...commonErrors },
    }),
    async (c) => c.json(await service(c).putRouting(c.req.valid("json")), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/settings/opt-out",
      operationId: "getOptOutSettings",
      tags: ["Contacts"],
      summary: "The business's opt-out keywords and replies (the defaults until saved)",
      middleware: [requireAuth],
      responses: { 200: json(optOutSettingsSchema, "The opt-out settings"), ...commonErrors },
    }),
    async (c) => c.json((await service(c).settings()).optOut, 200),
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/settings/opt-out",
      operationId: "replaceOptOutSettings",
      tags: ["Contacts"],
      summary: "Replace the business's opt-out keywords and replies; omitted fields take their defaults",
      middleware: write,
      request: { body: body(optOutSettingsSchema) },
      responses: { 200: json(optOutSettingsSchema, "The saved settings"), 403: forbidden, ...commonErrors },
    }),
    async (c) => c.json(await service(c).putOptOut(c.req.valid("json")), 200),
  )
