/** Send API: queue an outbound message through a bot (202) and read its delivery status. */
import { createRoute, z } from "@hono/zod-openapi"
import { requireAuth, requireWriter } from "../auth/jwt"
import { messageStatuses } from "../bot/outbox"
import { botStub } from "../bot/stubs"
import { notFound } from "../lib/domain-error"
import { httpError, orThrow } from "../lib/errors"
import { isId } from "../lib/ids"
import { sendContentShape, templateRefSchema, templateSendFields, withSendRules } from "../registry/template-schemas"
import { createBotService } from "../services/bot-service"
import { createTemplateService } from "../services/template-service"
import { commonErrors, createOpenApiApp, errorResponse } from "./openapi"

const params = z.object({ id: z.string().min(1).max(64) })
const sendBody = withSendRules(
  z.object({
    idempotencyKey: z.string().min(1).max(200).optional(),
    chatId: z.string().min(1).max(128),
    ...sendContentShape.shape,
    ...templateSendFields,
  }),
).openapi("SendMessage")

const messageSchema = z
  .object({
    id: z.string(),
    chatId: z.string(),
    status: z.enum(messageStatuses),
    attempts: z.number(),
    error: z.string().nullable(),
    platformMessageId: z.string().nullable(),
    templateRef: templateRefSchema.nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Message")

export const messagesApp = createOpenApiApp()
  .openapi(
    createRoute({
      method: "post",
      path: "/{id}/messages",
      operationId: "sendMessage",
      tags: ["Messages"],
      summary:
        "Queue a message (text, media, WhatsApp template, or a stored template by templateId); retried and paced " +
        "until delivered",
      middleware: [requireAuth, requireWriter],
      request: { params, body: { content: { "application/json": { schema: sendBody } }, required: true } },
      responses: {
        202: {
          description: "Queued (or the earlier message with the same idempotencyKey)",
          content: {
            "application/json": {
              schema: z.object({ id: z.string(), status: z.enum(messageStatuses), duplicate: z.boolean() }),
            },
          },
        },
        403: errorResponse("Viewers cannot send"),
        ...commonErrors,
        404: errorResponse("No such bot in this business, or (with templateId) no such template"),
        409: errorResponse("`bot_stopped`, or `idempotency_conflict`: the key was used before with another body"),
        422: errorResponse(
          "Validation failed, including the platform's own rules (text length, templates) and a template's " +
            "`variables.<name>` (missing, undeclared, too long)",
        ),
      },
    }),
    async (c) => {
      // Hot path: straight to the bot's Durable Object, which knows its business and platform, so no registry
      // query per message (a bulk send is thousands). Every other route goes through the service.
      const { id } = c.req.valid("param")
      if (!isId("bot", id)) throw httpError(notFound())
      // Only a stored template's send reads D1 (the bot's platform and the template), to render it.
      const { idempotencyKey, templateId, variables, ...fields } = c.req.valid("json")
      const message =
        templateId === undefined
          ? fields
          : orThrow(await createTemplateService(c.env, c.var.auth).messageFor(id, templateId, variables ?? {}, fields))
      const out = orThrow(await botStub(c.env, id).send(message, idempotencyKey, c.var.auth.business_id))
      return c.json({ id: out.id, status: out.status, duplicate: out.duplicate }, 202)
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{id}/messages/{messageId}",
      operationId: "getMessage",
      tags: ["Messages"],
      summary: "Status of a sent message: queued | sending | sent | delivered | read | failed",
      middleware: [requireAuth],
      request: { params: params.extend({ messageId: z.string().min(1).max(64) }) },
      responses: {
        200: { description: "The message", content: { "application/json": { schema: messageSchema } } },
        ...commonErrors,
      },
    }),
    async (c) => {
      const { id, messageId } = c.req.valid("param")
      const m = orThrow(await createBotService(c.env, c.var.auth).message(id, messageId))
      return c.json(
        {
          id: m.id,
          chatId: m.chatId,
          status: m.status,
          attempts: m.attempts,
          error: m.error,
          platformMessageId: m.platformMessageId,
          templateRef: m.templateRef,
          createdAt: new Date(m.createdAt).toISOString(),
          updatedAt: new Date(m.updatedAt).toISOString(),
        },
        200,
      )
    },
  )
