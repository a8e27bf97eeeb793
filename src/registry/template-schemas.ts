/**
 * Message template schemas shared by the registry (D1 rows), the API and rendering: a template's variables, its text
 * body and optional WhatsApp and Slack forms, the rules tying placeholders to declared variables, and the
 * `{ templateId, variables }` fields every send body accepts.
 */
import { z } from "@hono/zod-openapi"
import type { FieldError } from "../lib/domain-error"
import { platformSchema } from "../providers"
import { outboundContentShape } from "../providers/types"

/** A variable's name as placeholders write it: `{{order_id}}`. */
export const VARIABLE_NAME = /^[a-zA-Z_][a-zA-Z0-9_]{0,39}$/
/** `{{ name }}` anywhere in a text; the name inside is checked against `VARIABLE_NAME` and the declared variables. */
export const PLACEHOLDER = /\{\{([^{}]*)\}\}/g

/** Bounds: what one template may declare and hold. */
export const TEMPLATE_LIMITS = {
  variables: 30,
  body: 4096,
  value: 1024,
  slackBlocks: 50,
  /** The Slack form's JSON, in characters. */
  slackJson: 32_768,
  /** How deep the Slack form's JSON may nest (Block Kit needs about 6). */
  slackDepth: 12,
} as const

const variableName = z.string().regex(VARIABLE_NAME, "letters, digits and _, not starting with a digit, 1-40 long")

export const templateVariableSchema = z
  .object({
    name: variableName,
    description: z.string().trim().max(500).optional(),
    example: z.string().max(TEMPLATE_LIMITS.value).optional(),
  })
  .openapi("TemplateVariable")
export type TemplateVariable = z.infer<typeof templateVariableSchema>

const variablesSchema = z
  .array(templateVariableSchema)
  .max(TEMPLATE_LIMITS.variables)
  .superRefine((list, ctx) => {
    const seen = new Set<string>()
    list.forEach((v, i) => {
      if (seen.has(v.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `${v.name} is declared twice` })
      seen.add(v.name)
    })
  })

const bodySchema = z
  .string()
  .min(1)
  .max(TEMPLATE_LIMITS.body)
  .refine((t) => t.trim() !== "", "must not be only whitespace")
  .openapi({ description: "Text with `{{variable}}` placeholders; every placeholder must be a declared variable" })

/** The approved WhatsApp template this one is sent as on WhatsApp, and which variable fills each of its parameters. */
export const whatsappFormSchema = z
  .object({
    name: z.string().min(1).max(512).openapi({ description: "The approved template's name in WhatsApp Manager" }),
    language: z.string().min(2).max(15).default("en_US"),
    body: z
      .array(variableName)
      .max(20)
      .default([])
      .openapi({ description: "The variable filling each body parameter: {{1}}, {{2}}... in order" }),
    header: z.array(variableName).max(1).optional().openapi({ description: "The variable of a text header's {{1}}" }),
    buttons: z
      .array(z.object({ index: z.number().int().min(0).max(9), variable: variableName }))
      .max(10)
      .refine((b) => new Set(b.map((x) => x.index)).size === b.length, "each button index once")
      .optional()
      .openapi({ description: "URL buttons with a dynamic suffix: the button's position and its variable" }),
  })
  .openapi("TemplateWhatsApp")
export type WhatsAppForm = z.infer<typeof whatsappFormSchema>

const blockSchema = z.looseObject({ type: z.string().min(1).max(64) })

/** Block Kit blocks; their text fields may hold placeholders (kept for the Slack sender, which sends text today). */
export const slackFormSchema = z
  .object({ blocks: z.array(blockSchema).min(1).max(TEMPLATE_LIMITS.slackBlocks) })
  .superRefine((form, ctx) => {
    if (depth(form.blocks) > TEMPLATE_LIMITS.slackDepth)
      ctx.addIssue({ code: "custom", path: ["blocks"], message: "nested too deeply" })
    else if (JSON.stringify(form.blocks).length > TEMPLATE_LIMITS.slackJson)
      ctx.addIssue({
        code: "custom",
        path: ["blocks"],
        message: `at most ${TEMPLATE_LIMITS.slackJson} characters of JSON`,
      })
  })
  .openapi("TemplateSlack")
export type SlackForm = z.infer<typeof slackFormSchema>

/** How deep a JSON value nests, walked without recursion (a hostile body must not exhaust the stack). */
function depth(value: unknown): number {
  let max = 0
  const stack: [unknown, number][] = [[value, 1]]
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [v, d] = next
    if (typeof v !== "object" || v === null) continue
    max = Math.max(max, d)
    if (max > TEMPLATE_LIMITS.slackDepth) return max
    for (const child of Object.values(v)) stack.push([child, d + 1])
  }
  return max
}

/** What a template says: the parts a change of which makes a new version. */
export interface TemplateContent {
  variables: TemplateVariable[]
  body: string
  whatsapp: WhatsAppForm | null
  slack: SlackForm | null
}

export interface Template extends TemplateContent {
  id: string
  businessId: string
  name: string
  version: number
  createdAt: number
  updatedAt: number
}

/** The names of the `{{...}}` placeholders in a text, as written (trimmed), in order. */
export function placeholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => (m[1] ?? "").trim())
}

/** Every string in a JSON value with its dotted path below `prefix`. */
function strings(value: unknown, prefix: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = []
  const stack: [unknown, string][] = [[value, prefix]]
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [v, path] = next
    if (typeof v === "string") out.push({ path, text: v })
    else if (typeof v === "object" && v !== null)
      for (const [k, child] of Object.entries(v)) stack.push([child, `${path}.${k}`])
  }
  return out.reverse()
}

/**
 * The rules a template's parts must keep together: each placeholder (body, Slack blocks) names a declared variable,
 * and so does each variable the WhatsApp form names. One error per offending field and name.
 */
export function templateProblems(t: TemplateContent): FieldError[] {
  const declared = new Set(t.variables.map((v) => v.name))
  const problems: FieldError[] = []
  const texts = [{ path: "body", text: t.body }, ...(t.slack ? strings(t.slack.blocks, "slack.blocks") : [])]
  for (const { path, text } of texts)
    for (const name of new Set(placeholders(text))) {
      if (!VARIABLE_NAME.test(name))
        problems.push({ path, message: `{{${name}}} is not a placeholder: a variable's name goes inside {{ }}` })
      else if (!declared.has(name)) problems.push({ path, message: `{{${name}}} is not a declared variable` })
    }
  const form = t.whatsapp
  if (form) {
    const named = [
      ...form.body.map((name, i) => ({ path: `whatsapp.body.${i}`, name })),
      ...(form.header ?? []).map((name, i) => ({ path: `whatsapp.header.${i}`, name })),
      ...(form.buttons ?? []).map((b, i) => ({ path: `whatsapp.buttons.${i}.variable`, name: b.variable })),
    ]
    for (const { path, name } of named)
      if (!declared.has(name)) problems.push({ path, message: `${name} is not a declared variable` })
  }
  return problems
}

const templateName = z.string().trim().min(1).max(100)

export const createTemplateBodySchema = z
  .object({
    name: templateName.openapi({ description: "Unique in the business" }),
    variables: variablesSchema.default([]),
    body: bodySchema,
    whatsapp: whatsappFormSchema.nullable().default(null),
    slack: slackFormSchema.nullable().default(null),
  })
  .superRefine((t, ctx) => {
    for (const p of templateProblems(t)) ctx.addIssue({ code: "custom", path: p.path.split("."), message: p.message })
  })
  .openapi("CreateTemplate")
export type CreateTemplateBody = z.infer<typeof createTemplateBodySchema>

/** PATCH: each given field replaces the stored one (`null` removes a form); the result must still hold together. */
export const patchTemplateBodySchema = z
  .object({
    name: templateName.optional(),
    variables: variablesSchema.optional(),
    body: bodySchema.optional(),
    whatsapp: whatsappFormSchema.nullable().optional(),
    slack: slackFormSchema.nullable().optional(),
  })
  .openapi("PatchTemplate")
export type PatchTemplateBody = z.infer<typeof patchTemplateBodySchema>

// ---- using a template ----

export const templateRefSchema = z
  .object({ id: z.string(), version: z.number().int() })
  .openapi("TemplateRef", { description: "The template and the version of it a message was rendered from" })
export type TemplateRef = z.infer<typeof templateRefSchema>

/** A send's values: one string per declared variable. */
export const variableValuesSchema = z
  .record(z.string().min(1).max(64), z.string().max(TEMPLATE_LIMITS.value))
  .refine((r) => Object.keys(r).length <= 100, "at most 100 variables")
  .openapi("TemplateVariableValues")
export type VariableValues = z.infer<typeof variableValuesSchema>

/** What a send body may carry instead of text, media or template: a stored template and its values. */
export const templateSendFields = {
  templateId: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .openapi({ description: "A stored template, rendered for the platform: instead of text, media or template" }),
  variables: variableValuesSchema
    .optional()
    .openapi({ description: "With templateId: a value for every variable the template declares, and no other" }),
}

/** A message's content as a send body gives it (`templateRef` and `slackBlocks` are ours to set, never the client's). */
export const sendContentShape = outboundContentShape.omit({ templateRef: true, slackBlocks: true })

type SendKeys = { text?: unknown; media?: unknown; template?: unknown; templateId?: unknown; variables?: unknown }

/** A send body's own rules: one kind of content, and `variables` only with a template to fill. */
export function withSendRules<T extends z.ZodType<SendKeys>>(schema: T): T {
  return schema
    .refine((b) => [b.text, b.media, b.template, b.templateId].filter((x) => x !== undefined).length === 1, {
      message: "exactly one of text, media, template or templateId is required",
    })
    .refine((b) => b.variables === undefined || b.templateId !== undefined, {
      message: "variables fill a template: give templateId too",
      path: ["variables"],
    })
}

export const previewBodySchema = z
  .object({ platform: platformSchema, variables: variableValuesSchema.default({}) })
  .openapi("TemplatePreviewRequest")

// ---- API views (responses) ----

export const templateViewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    version: z.number().int().openapi({ description: "1 when created; each change of content adds one" }),
    variables: z.array(templateVariableSchema),
    body: z.string(),
    whatsapp: whatsappFormSchema.nullable(),
    slack: slackFormSchema.nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Template")
export type TemplateView = z.infer<typeof templateViewSchema>

export const renderedTemplateSchema = z
  .object({
    platform: platformSchema,
    content: sendContentShape.openapi({ description: "What a send through a bot of this platform would carry" }),
    templateRef: templateRefSchema,
  })
  .openapi("RenderedTemplate")

export function toTemplateView(t: Template): TemplateView {
  return {
    id: t.id,
    name: t.name,
    version: t.version,
    variables: t.variables,
    body: t.body,
    whatsapp: t.whatsapp,
    slack: t.slack,
    createdAt: new Date(t.createdAt).toISOString(),
    updatedAt: new Date(t.updatedAt).toISOString(),
  }
}
