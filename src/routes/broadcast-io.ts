/** The broadcasts API's bodies and answers: request schemas, the view, template checks, CSV lines, NDJSON chunks. */
import { z } from "@hono/zod-openapi"
import type { Context } from "hono"
import {
  type BroadcastContent,
  broadcastStatuses,
  type Recipient,
  recipientSchema,
  type TemplateSnapshot,
} from "../bot/broadcast-store"
import type { BroadcastView } from "../bot/broadcasts"
import type { AppEnv } from "../env"
import type { FieldError } from "../lib/domain-error"
import { HttpError, httpError } from "../lib/errors"
import { isId } from "../lib/ids"
import { createTemplateRepository } from "../registry/template-repository"
import { sendContentShape, templateSendFields, withSendRules } from "../registry/template-schemas"
import { checkVariables } from "../templates/render"

/** Recipients per request (JSON) and per chunk handed to the bot's object (NDJSON is cut into chunks this size). */
export const RECIPIENTS_PER_CHUNK = 5_000
/** An NDJSON upload of recipients: 100,000 lines of a chat id and a few variables fit well within this. */
export const NDJSON_BODY_LIMIT = 16 * 1024 * 1024
/** A JSON chunk of 5,000 recipients, each with a few variables. */
export const RECIPIENTS_JSON_LIMIT = 2 * 1024 * 1024

const recipientsSchema = z.array(recipientSchema).max(RECIPIENTS_PER_CHUNK)

export const createBody = withSendRules(
  z.object({
    name: z.string().trim().min(1).max(200),
    recipients: recipientsSchema.default([]),
    more: z
      .boolean()
      .default(false)
      .openapi({ description: "More recipients follow (POST .../recipients); it starts after the last chunk" }),
    scheduledAt: z.iso.datetime({ offset: true }).optional().openapi({ description: "Start then, not at once" }),
    ...sendContentShape.shape,
    ...templateSendFields,
  }),
).openapi("CreateBroadcast")

export const appendBody = z
  .object({
    recipients: recipientsSchema.min(1),
    more: z.boolean().default(false),
    offset: z.number().int().min(0).optional().openapi({
      description:
        "The index of this chunk's first recipient (the broadcast's total before it): a retried chunk is then a no-op",
    }),
  })
  .openapi("AddRecipients")

export const broadcastSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    status: z.enum(broadcastStatuses),
    total: z.number(),
    queued: z.number(),
    sent: z.number(),
    delivered: z.number(),
    read: z.number(),
    failed: z.number(),
    skipped: z.number().openapi({ description: "Opted out, or listed twice" }),
    cancelled: z.number().openapi({ description: "Never sent because the broadcast was cancelled" }),
    rate: z.number().openapi({ description: "Messages per second the platform accepted since the start" }),
    etaSeconds: z.number().nullable(),
    createdAt: z.string(),
    scheduledAt: z.string().nullable(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .openapi("Broadcast")

export const summarySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    status: z.enum(broadcastStatuses),
    total: z.number(),
    counts: z.object({
      queued: z.number(),
      sent: z.number(),
      delivered: z.number(),
      read: z.number(),
      failed: z.number(),
      skipped: z.number(),
      cancelled: z.number(),
    }),
    createdAt: z.string(),
    scheduledAt: z.string().nullable(),
    updatedAt: z.string(),
  })
  .openapi("BroadcastSummary")

export const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())
export const present = (v: BroadcastView) => ({
  ...v,
  createdAt: new Date(v.createdAt).toISOString(),
  scheduledAt: iso(v.scheduledAt),
  startedAt: iso(v.startedAt),
  finishedAt: iso(v.finishedAt),
})

/** The business's template (404 when it is not one of theirs), as a broadcast keeps it: a snapshot of this version. */
export async function loadTemplate(c: Context<AppEnv>, templateId: string): Promise<TemplateSnapshot> {
  const found = isId("tpl", templateId)
    ? await createTemplateRepository(c.env.DB).get(c.var.auth.business_id, templateId)
    : null
  if (!found?.ok) throw httpError({ kind: "not_found", message: "Template not found" })
  const t = found.value
  return { id: t.id, version: t.version, variables: t.variables, body: t.body, whatsapp: t.whatsapp, slack: t.slack }
}

/**
 * A template broadcast: the template as it is now (each message records its version), checked against every
 * recipient's values (the broadcast's, then the recipient's own) so a missing one is a 422 before anything is sent.
 * Recipients added later are checked when they are sent: one without a value fails with the variable's name.
 */
export async function templated(
  c: Context<AppEnv>,
  templateId: string,
  variables: Record<string, string>,
  recipients: Recipient[],
): Promise<BroadcastContent> {
  const template = await loadTemplate(c, templateId)
  const fields: FieldError[] = []
  for (const [i, r] of recipients.entries()) {
    const checked = checkVariables(template, { ...variables, ...r.variables })
    if (!checked.ok && checked.error.kind === "invalid")
      fields.push(...checked.error.fields.map((f) => ({ path: `recipients.${i}.${f.path}`, message: f.message })))
    if (fields.length >= 20) break
  }
  if (fields.length > 0) throw httpError({ kind: "invalid", message: `Invalid body: ${fields[0]?.path}`, fields })
  return { kind: "template", template, variables }
}

/** One CSV line: fields quoted when they hold a comma, quote or line break; formula starts neutralised. */
export function csvLine(fields: string[]): string {
  return `${fields
    .map((f) => {
      const safe = /^[=+\-@\t\r]/.test(f) ? `'${f}` : f
      return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe
    })
    .join(",")}\n`
}

/** NDJSON recipients, validated line by line (422 naming the line), cut into chunks for the bot's object. */
export function ndjsonChunks(text: string): z.infer<typeof recipientSchema>[][] {
  const chunks: z.infer<typeof recipientSchema>[][] = []
  let current: z.infer<typeof recipientSchema>[] = []
  for (const [i, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue
    let parsed: unknown
    try {
      parsed = JSON.parse(line)
    } catch {
      throw new HttpError(
        422,
        "validation_failed",
        `Line ${i + 1} is not JSON`,
        {},
        {
          fields: [{ path: `line.${i + 1}`, message: "not JSON" }],
        },
      )
    }
    const recipient = recipientSchema.safeParse(parsed)
    if (!recipient.success)
      throw new HttpError(
        422,
        "validation_failed",
        `Line ${i + 1} is not a recipient { chatId, variables? }`,
        {},
        {
          fields: [{ path: `line.${i + 1}`, message: recipient.error.issues[0]?.message ?? "invalid" }],
        },
      )
    current.push(recipient.data)
    if (current.length === RECIPIENTS_PER_CHUNK) {
      chunks.push(current)
      current = []
    }
  }
  if (current.length > 0) chunks.push(current)
  return chunks
}
