/** Management API for message templates (CRUD with versions, cursor pages) and their rendered preview, per business. */
import { createRoute, z } from "@hono/zod-openapi"
import type { Context } from "hono"
import { requireAuth, requireWriter } from "../auth/jwt"
import type { AppEnv } from "../env"
import { pageCursor } from "../lib/cursor"
import { orThrow } from "../lib/errors"
import {
  createTemplateBodySchema,
  patchTemplateBodySchema,
  previewBodySchema,
  renderedTemplateSchema,
  templateViewSchema,
  toTemplateView,
} from "../registry/template-schemas"
import { createTemplateService } from "../services/template-service"
import { commonErrors, createOpenApiApp, errorResponse } from "./openapi"

const templateIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" } }),
})

const listQuery = z.object({
  q: z.string().trim().max(100).optional().openapi({ description: "Name contains this, any case" }),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().max(400).optional(),
})

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
})
const body = <T extends z.ZodType>(schema: T) => ({ content: { "application/json": { schema } }, required: true })

const oneTemplate = z.object({ template: templateViewSchema })
const notFoundTemplate = errorResponse("No such template in this business")
const forbidden = errorResponse("Viewers cannot write")
const nameConflict = errorResponse("`template_conflict`: the business already has a template of that name")
const invalidTemplate = errorResponse(
  "`validation_failed` (fields in details): e.g. `body` with a `{{placeholder}}` that is not a declared variable",
)

const cursor = pageCursor("template", (id) => id.length > 0 && id.length <= 64)

const service = (c: Context<AppEnv>) => createTemplateService(c.env, c.var.auth)

const write = [requireAuth, requireWriter]

export const templatesApp = createOpenApiApp()
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      operationId: "createTemplate",
      tags: ["Templates"],
      summary: "Create a message template: a text body with {{variables}}, optionally a WhatsApp form and Slack blocks",
      middleware: write,
      request: { body: body(createTemplateBodySchema) },
      responses: {
        201: json(oneTemplate, "Created (version 1)"),
        403: forbidden,
        ...commonErrors,
        409: nameConflict,
        422: invalidTemplate,
      },
    }),
    async (c) => {
      const template = orThrow(await service(c).create(c.req.valid("json")))
      return c.json({ template: toTemplateView(template) }, 201)
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      operationId: "listTemplates",
      tags: ["Templates"],
      summary: "List templates, newest first, with cursor pagination",
      middleware: [requireAuth],
      request: { query: listQuery },
      responses: {
        200: json(
          z.object({ templates: z.array(templateViewSchema), nextCursor: z.string().nullable() }),
          "A page of templates; `nextCursor` is null on the last page",
        ),
        ...commonErrors,
      },
    }),
    async (c) => {
      const q = c.req.valid("query")
      const { templates, hasMore } = await service(c).list({
        q: q.q || undefined,
        limit: q.limit,
        after: q.cursor ? cursor.decode(q.cursor) : undefined,
      })
      const last = templates.at(-1)
      return c.json(
        { templates: templates.map(toTemplateView), nextCursor: hasMore && last ? cursor.encode(last.id) : null },
        200,
      )
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{id}",
      operationId: "getTemplate",
      tags: ["Templates"],
      summary: "Get a template",
      middleware: [requireAuth],
      request: { params: templateIdParam },
      responses: { 200: json(oneTemplate, "The template"), ...commonErrors, 404: notFoundTemplate },
    }),
    async (c) => {
      const template = orThrow(await service(c).get(c.req.valid("param").id))
      return c.json({ template: toTemplateView(template) }, 200)
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/{id}",
      operationId: "updateTemplate",
      tags: ["Templates"],
      summary:
        "Update a template: each given field replaces the stored one (`null` removes a form); a change of content " +
        "(variables, body, whatsapp, slack) is a new version",
      middleware: write,
      request: { params: templateIdParam, body: body(patchTemplateBodySchema) },
      responses: {
        200: json(oneTemplate, "Updated"),
        403: forbidden,
        ...commonErrors,
        404: notFoundTemplate,
        409: nameConflict,
        422: invalidTemplate,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param")
      const template = orThrow(await service(c).patch(id, c.req.valid("json"), c.var.ifMatched?.updatedAt))
      return c.json({ template: toTemplateView(template) }, 200)
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{id}",
      operationId: "deleteTemplate",
      tags: ["Templates"],
      summary: "Delete a template (messages already queued from it are sent as rendered)",
      middleware: write,
      request: { params: templateIdParam },
      responses: {
        200: json(z.object({ deleted: z.literal(true) }), "Deleted"),
        403: forbidden,
        ...commonErrors,
        404: notFoundTemplate,
      },
    }),
    async (c) => {
      orThrow(await service(c).remove(c.req.valid("param").id, c.var.ifMatched?.updatedAt))
      return c.json({ deleted: true as const }, 200)
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{id}/preview",
      operationId: "previewTemplate",
      tags: ["Templates"],
      summary: "Render a template with these values for a platform: what a send through a bot of it would carry",
      middleware: [requireAuth],
      request: { params: templateIdParam, body: body(previewBodySchema) },
      responses: {
        200: json(renderedTemplateSchema, "The rendered content"),
        ...commonErrors,
        404: notFoundTemplate,
        422: errorResponse("`validation_failed`: `variables.<name>` missing, undeclared or too long"),
      },
    }),
    async (c) => {
      const rendered = orThrow(await service(c).preview(c.req.valid("param").id, c.req.valid("json")))
      return c.json({ platform: rendered.platform, content: rendered.content, templateRef: rendered.templateRef }, 200)
    },
  )
