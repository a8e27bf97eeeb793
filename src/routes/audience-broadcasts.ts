/** A broadcast to an audience: the business's contacts with a tag, each reached on its best channel. */
import { createRoute, z } from "@hono/zod-openapi"
import { requireAuth, requireWriter } from "../auth/jwt"
import type { BroadcastContent } from "../bot/broadcast-store"
import { orThrow } from "../lib/errors"
import type { OutboundContent } from "../providers/types"
import { tagSchema } from "../registry/contact-schemas"
import { sendContentShape, templateSendFields, withSendRules } from "../registry/template-schemas"
import { AUDIENCE_LIMIT, createAudienceBroadcasts } from "../services/audience"
import { broadcastSchema, loadTemplate, present } from "./broadcast-io"
import { commonErrors, createOpenApiApp, errorResponse } from "./openapi"

const body = withSendRules(
  z.object({
    name: z.string().trim().min(1).max(200),
    audience: z.object({ tag: tagSchema }).openapi({ description: "The business's contacts with this tag" }),
    scheduledAt: z.iso.datetime({ offset: true }).optional(),
    ...sendContentShape.shape,
    ...templateSendFields,
  }),
).openapi("AudienceBroadcast")

const answer = z
  .object({
    contacts: z.number().openapi({ description: `Contacts with the tag (at most ${AUDIENCE_LIMIT})` }),
    reached: z.number().openapi({ description: "Contacts one of the broadcasts below will try" }),
    unreachable: z
      .array(z.object({ contactId: z.string(), reason: z.string() }))
      .openapi({ description: "Contacts no channel could take (the first 100), with the first skip reason" }),
    broadcasts: z.array(z.object({ botId: z.string(), broadcast: broadcastSchema })),
  })
  .openapi("AudienceBroadcastResult")

export const audienceBroadcastsApp = createOpenApiApp().openapi(
  createRoute({
    method: "post",
    path: "/broadcasts",
    operationId: "createAudienceBroadcast",
    tags: ["Broadcasts"],
    summary: "Broadcast to an audience (contacts with a tag), each on its best channel: one broadcast per bot",
    description:
      "Each contact is routed as a contact send would be (its preferred platforms, the business's rules, the channel it wrote from last; opted-out, closed-window and stopped channels skipped) and counted in the broadcast of the bot its first channel belongs to. A template's variables are filled from the contact: `name` and its attributes, over the body's `variables`.",
    middleware: [requireAuth, requireWriter],
    request: { body: { content: { "application/json": { schema: body } }, required: true } },
    responses: {
      202: { description: "The broadcasts started", content: { "application/json": { schema: answer } } },
      403: errorResponse("Viewers cannot send"),
      ...commonErrors,
      404: errorResponse("No such template in this business"),
    },
  }),
  async (c) => {
    const { name, audience, scheduledAt, templateId, variables, ...fields } = c.req.valid("json")
    let content: BroadcastContent
    let judgedBy: OutboundContent = fields
    let variableNames: string[] = []
    if (templateId !== undefined) {
      const template = await loadTemplate(c, templateId)
      content = { kind: "template", template, variables: variables ?? {} }
      variableNames = template.variables.map((v) => v.name)
      const form = template.whatsapp
      judgedBy = form ? { template: { name: form.name, language: form.language } } : { text: template.body }
    } else content = { kind: "content", content: fields }
    const result = orThrow(
      await createAudienceBroadcasts(c.env, c.var.auth).start({
        name,
        tag: audience.tag,
        judgedBy,
        content,
        variableNames,
        scheduledAt: scheduledAt ? Date.parse(scheduledAt) : null,
      }),
    )
    return c.json(
      {
        contacts: result.contacts,
        reached: result.reached,
        unreachable: result.unreachable.slice(0, 100),
        broadcasts: result.broadcasts.map((b) => ({ botId: b.botId, broadcast: present(b.broadcast) })),
      },
      202,
    )
  },
)
