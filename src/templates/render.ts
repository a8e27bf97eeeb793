/**
 * Rendering a stored template for one platform, pure: the values are checked against the declared variables, then
 * WhatsApp gets the approved template its form names and every other platform the text body, each value escaped the
 * way that platform's formatting needs (`MessagingProvider.escapeText`).
 */
import type { DomainError, FieldError } from "../lib/domain-error"
import { err, ok, type Result } from "../lib/result"
import { getProvider, type Platform } from "../providers"
import type { OutboundContent } from "../providers/types"
import { PLACEHOLDER, TEMPLATE_LIMITS, type Template, type TemplateRef } from "../registry/template-schemas"

/** What rendering reads of a template (a `Template` from the repository fits). */
export type RenderableTemplate = Pick<Template, "id" | "version" | "variables" | "body" | "whatsapp" | "slack">

export interface RenderedTemplate {
  /** Ready to send: text or a WhatsApp `template`, labelled with `templateRef`. */
  content: OutboundContent
  templateRef: TemplateRef
}

/** The outbound schema's bound on text; each platform's own, smaller limit is checked when the message is queued. */
const TEXT_MAX = 8192

const failed = (fields: FieldError[]): Result<never, DomainError> => {
  const first = fields[0]
  return err({ kind: "invalid", message: first ? `Invalid body: ${first.path}: ${first.message}` : "Invalid", fields })
}

/**
 * The values must be exactly the declared variables: each one given (all are required, whatever the platform, so a
 * send is valid or not whichever channel it takes), none other, each a string of at most 1024 characters.
 */
export function checkVariables(
  template: Pick<Template, "variables">,
  values: Readonly<Record<string, unknown>>,
): Result<Record<string, string>, DomainError> {
  const declared = new Set(template.variables.map((v) => v.name))
  const fields: FieldError[] = []
  const out: Record<string, string> = {}
  for (const name of declared) {
    const value = Object.hasOwn(values, name) ? values[name] : undefined
    if (value === undefined) fields.push({ path: `variables.${name}`, message: "required: the template declares it" })
    else if (typeof value !== "string") fields.push({ path: `variables.${name}`, message: "must be a string" })
    else if (value.length > TEMPLATE_LIMITS.value)
      fields.push({ path: `variables.${name}`, message: `at most ${TEMPLATE_LIMITS.value} characters` })
    else out[name] = value
  }
  for (const name of Object.keys(values))
    if (!declared.has(name)) fields.push({ path: `variables.${name}`, message: "not a variable of this template" })
  return fields.length > 0 ? failed(fields) : ok(out)
}

/** The text with each `{{name}}` replaced by its value, escaped (an unknown name is left as written). */
export function renderText(
  text: string,
  values: Readonly<Record<string, string>>,
  escapeValue?: (s: string) => string,
) {
  return text.replace(PLACEHOLDER, (whole, inner: string) => {
    const name = inner.trim()
    const value = Object.hasOwn(values, name) ? values[name] : undefined
    if (value === undefined) return whole
    return escapeValue ? escapeValue(value) : value
  })
}

/** A Slack form's blocks with every string's placeholders filled (values escaped as Slack's mrkdwn needs), as JSON. */
function renderBlocks(
  blocks: Record<string, unknown>[],
  values: Readonly<Record<string, string>>,
  escapeValue: ((s: string) => string) | undefined,
): string {
  const fill = (v: unknown): unknown => {
    if (typeof v === "string") return renderText(v, values, escapeValue)
    if (Array.isArray(v)) return v.map(fill)
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]))
    return v
  }
  return JSON.stringify(blocks.map(fill))
}

/** Meta refuses a template parameter that is empty, has a line break or tab, or more than 4 spaces in a row. */
function whatsappParameterProblem(value: string): string | null {
  if (value.trim() === "") return "WhatsApp template parameters must not be empty"
  if (/[\n\r\t]/.test(value)) return "WhatsApp template parameters cannot hold line breaks or tabs"
  if (/ {5}/.test(value)) return "WhatsApp template parameters cannot hold more than 4 spaces in a row"
  return null
}

function whatsappTemplate(
  form: NonNullable<Template["whatsapp"]>,
  values: Readonly<Record<string, string>>,
): Result<NonNullable<OutboundContent["template"]>, DomainError> {
  const fields: FieldError[] = []
  const value = (name: string) => {
    const v = values[name] ?? ""
    const problem = whatsappParameterProblem(v)
    if (problem && !fields.some((f) => f.path === `variables.${name}`))
      fields.push({ path: `variables.${name}`, message: problem })
    return v
  }
  const template: NonNullable<OutboundContent["template"]> = { name: form.name, language: form.language }
  if (form.body.length > 0) template.parameters = form.body.map(value)
  if (form.header?.length) template.headerParameters = form.header.map(value)
  if (form.buttons?.length)
    template.buttonParameters = form.buttons.map((b) => ({ index: b.index, parameter: value(b.variable) }))
  return fields.length > 0 ? failed(fields) : ok(template)
}

/**
 * Renders `template` with `variables` for a bot of `platform`. WhatsApp with a `whatsapp` form: that approved
 * template, its parameters in the declared order (exempt from the 24-hour window). Any other case: the body as text,
 * each value escaped by the platform's `escapeText` (Slack's `&<>`, Discord's markdown; Telegram and WhatsApp send
 * text as written). Slack with a `slack` form: its blocks, each string filled in (escaped), with the text as the
 * notification.
 * Missing, undeclared or oversized values are a 422 naming each (`variables.<name>`).
 */
export function renderTemplate(
  template: RenderableTemplate,
  variables: Readonly<Record<string, unknown>>,
  platform: Platform,
): Result<RenderedTemplate, DomainError> {
  const checked = checkVariables(template, variables)
  if (!checked.ok) return checked
  const values = checked.value
  const templateRef = { id: template.id, version: template.version }
  if (platform === "whatsapp" && template.whatsapp) {
    const built = whatsappTemplate(template.whatsapp, values)
    if (!built.ok) return built
    return ok({ content: { template: built.value, templateRef }, templateRef })
  }
  const escapeValue = getProvider(platform).escapeText
  const text = renderText(template.body, values, escapeValue)
  if (text.trim() === "") return failed([{ path: "variables", message: "the rendered text is empty" }])
  if (text.length > TEXT_MAX)
    return failed([
      { path: "variables", message: `the rendered text is ${text.length} characters; at most ${TEXT_MAX}` },
    ])
  if (platform === "slack" && template.slack) {
    const slackBlocks = renderBlocks(template.slack.blocks, values, escapeValue)
    return ok({ content: { text, slackBlocks, templateRef }, templateRef })
  }
  return ok({ content: { text, templateRef }, templateRef })
}
