/** Sending to a contact: the route preview, the send (202), and a send's status with every attempt. */
import { createRoute, z } from "@hono/zod-openapi"
import { requireAuth, requireWriter } from "../auth/jwt"
import type { ContactSendView } from "../contacts/contact-durable-object"
import type { Plan } from "../contacts/plan"
import { attemptStatuses, contactMessageStatuses } from "../contacts/sends"
import { orThrow } from "../lib/errors"
import { contactSendBodySchema, messageKinds } from "../registry/contact-schemas"
import { createContactSends } from "../services/contact-sends"
import { commonErrors, createOpenApiApp, errorResponse } from "./openapi"

const params = z.object({
  id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: "id", in: "path" } }),
})

const consideredSchema = z.object({
  botId: z.string(),
  platform: z.string(),
  chatId: z.string(),
  kept: z.boolean(),
  reason: z.string().openapi({ description: "Why it is in the order, or (kept: false) why it is skipped" }),
})

const routeSchema = z
  .object({
    kind: z.enum(messageKinds).optional(),
    source: z.enum(["route", "preferredPlatforms", "rule", "recency"]).openapi({
      description: "What ordered the channels: the send's route, the contact's preference, a rule, or recency",
    }),
    rule: z.string().nullable(),
    candidates: z.array(consideredSchema),
  })
  .openapi("ContactRoute")

const attemptSchema = z
  .object({
    hop: z.number(),
    botId: z.string(),
    platform: z.string(),
    chatId: z.string(),
    status: z.enum(attemptStatuses),
    error: z.string().nullable(),
    botMessageId: z.string().nullable(),
    at: z.string(),
    updatedAt: z.string(),
  })
  .openapi("ContactAttempt")

const contactMessageSchema = z
  .object({
    id: z.string(),
    contactId: z.string(),
    status: z.enum(contactMessageStatuses),
    error: z.string().nullable(),
    route: routeSchema,
    attempts: z.array(attemptSchema),
    createdAt: z.string(),
    updatedAt: z.string(),
    duplicate: z.boolean().optional(),
  })
  .openapi("ContactMessage")

const iso = (ms: number) => new Date(ms).toISOString()

function view(contactId: string, v: ContactSendView, withDuplicate: boolean) {
  return {
    id: v.id,
    contactId,
    status: v.status,
    error: v.error,
    route: { source: v.route.source, rule: v.route.rule, candidates: v.route.considered },
    attempts: v.attempts.map((a) => ({ ...a, at: iso(a.at), updatedAt: iso(a.updatedAt) })),
    createdAt: iso(v.createdAt),
    updatedAt: iso(v.updatedAt),
    ...(withDuplicate ? { duplicate: v.duplicate } : {}),
  }
}

const previewView = (p: Plan) => ({ kind: p.kind, source: p.source, rule: p.rule, candidates: p.considered })

const sendRequest = { content: { "application/json": { schema: contactSendBodySchema } }, required: true }
const notFound = errorResponse("No such contact (or message) in this business")

export const contactMessagesApp = createOpenApiApp()
  .openapi(
    createRoute({
      method: "post",
      path: "/{id}/route-preview",
      operationId: "previewContactRoute",
      tags: ["Contacts"],
      summary: "The channels a send with this body would try, in order, and why each other one would be skipped",
      middleware: [requireAuth],
      request: { params, body: sendRequest },
      responses: {
        200: { description: "The route", content: { "application/json": { schema: routeSchema } } },
        ...commonErrors,
        404: notFound,
      },
    }),
    async (c) => {
      const planned = orThrow(
        await createContactSends(c.env, c.var.auth).preview(c.req.valid("param").id, c.req.valid("json")),
      )
      return c.json(previewView(planned), 200)
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{id}/messages",
      operationId: "sendContactMessage",
      tags: ["Contacts"],
      summary: "Send to a contact: its best channel first, moving on by itself when a channel fails",
      description:
        "The route is planned at once (see route-preview) and the first channel's bot queues the message before the 202. A terminal failure there (blocked, chat not found, window closed, bot unauthorized, retries exhausted), or no delivery receipt within `route.failoverAfterSeconds` on a platform that sends them, moves it to the next channel: each channel receives it at most once. With no channel left it is `failed` with every reason.",
      middleware: [requireAuth, requireWriter],
      request: { params, body: sendRequest },
      responses: {
        202: {
          description: "Accepted (or the earlier send with the same idempotencyKey: `duplicate: true`)",
          content: { "application/json": { schema: contactMessageSchema } },
        },
        403: errorResponse("Viewers cannot send"),
        ...commonErrors,
        404: notFound,
        409: errorResponse("`idempotency_conflict`: the key was used before with another body"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param")
      const sent = orThrow(await createContactSends(c.env, c.var.auth).send(id, c.req.valid("json")))
      return c.json(view(id, sent, true), 202)
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{id}/messages/{messageId}",
      operationId: "getContactMessage",
      tags: ["Contacts"],
      summary: "A contact send's status and every attempt, in order",
      middleware: [requireAuth],
      request: { params: params.extend({ messageId: z.string().min(1).max(64) }) },
      responses: {
        200: { description: "The send", content: { "application/json": { schema: contactMessageSchema } } },
        ...commonErrors,
        404: notFound,
      },
    }),
    async (c) => {
      const { id, messageId } = c.req.valid("param")
      const found = orThrow(await createContactSends(c.env, c.var.auth).message(id, messageId))
      return c.json(view(id, found, false), 200)
    },
  )
