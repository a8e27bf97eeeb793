/**
 * Message templates of one business: CRUD with versioning (a change of content is a new version), previews, and the
 * rendering of a bot send's `{ templateId, variables }` for the bot's platform. Returns results in domain words.
 */
import type { AuthClaims } from "../auth/jwt"
import type { Env } from "../env"
import { type DomainError, notFound } from "../lib/domain-error"
import { isId, newId } from "../lib/ids"
import { err, ok, type Result } from "../lib/result"
import type { Platform } from "../providers"
import type { OutboundMessage } from "../providers/types"
import { createBotRepository } from "../registry/bot-repository"
import { createTemplateRepository, type TemplateListFilter } from "../registry/template-repository"
import {
  type CreateTemplateBody,
  type PatchTemplateBody,
  type Template,
  type TemplateContent,
  templateProblems,
} from "../registry/template-schemas"
import { type RenderedTemplate, renderTemplate } from "../templates/render"

/** A PATCH re-reads and merges again when another write landed between its read and its write; this many times. */
const PATCH_ATTEMPTS = 5

const contentOf = (t: TemplateContent): TemplateContent => ({
  variables: t.variables,
  body: t.body,
  whatsapp: t.whatsapp,
  slack: t.slack,
})

const stale: DomainError = {
  kind: "stale",
  message: "The template changed since that ETag (If-Match): read it again and retry with its new ETag",
}

/** A newer `updatedAt` than the stored one even when two writes share a millisecond. */
const nextUpdate = (t: Template) => Math.max(Date.now(), t.updatedAt + 1)

export function createTemplateService(env: Pick<Env, "DB">, auth: Pick<AuthClaims, "business_id">) {
  const repo = createTemplateRepository(env.DB)
  const businessId = auth.business_id

  /** Ids of another shape name nothing of ours: no query for them. */
  const load = async (id: string): Promise<Result<Template, DomainError>> =>
    isId("tpl", id) ? repo.get(businessId, id) : err(notFound("Template"))

  return {
    /** The template; another business's is `not_found`, like a missing one. */
    get: load,

    list: (filter: TemplateListFilter) => repo.list(businessId, filter),

    create: (body: CreateTemplateBody) =>
      repo.create({ id: newId("tpl"), businessId, name: body.name, ...contentOf(body), now: Date.now() }),

    /**
     * Each given field replaces; the merged template must hold together (422); a change of content bumps the version.
     * With `ifUpdatedAt` (the version an If-Match named) it writes only over that version, in one compare-and-set:
     * `stale` when the template moved on, never merged again.
     */
    async patch(id: string, body: PatchTemplateBody, ifUpdatedAt?: number): Promise<Result<Template, DomainError>> {
      for (let attempt = 0; attempt < PATCH_ATTEMPTS; attempt++) {
        const loaded = await load(id)
        if (!loaded.ok) return loaded
        const current = loaded.value
        if (ifUpdatedAt !== undefined && current.updatedAt !== ifUpdatedAt) return err(stale)
        const next: TemplateContent = {
          variables: body.variables ?? current.variables,
          body: body.body ?? current.body,
          whatsapp: body.whatsapp === undefined ? current.whatsapp : body.whatsapp,
          slack: body.slack === undefined ? current.slack : body.slack,
        }
        const fields = templateProblems(next)
        const first = fields[0]
        if (first) return err({ kind: "invalid", message: `Invalid body: ${first.path}: ${first.message}`, fields })
        const changed = JSON.stringify(next) !== JSON.stringify(contentOf(current))
        const version = current.version + (changed ? 1 : 0)
        const written = await repo.update(
          businessId,
          current,
          { ...next, name: body.name ?? current.name, version },
          nextUpdate(current),
        )
        if (!written.ok) return written
        if (written.value !== null) return ok(written.value)
        if (ifUpdatedAt !== undefined) return err(stale)
      }
      return err({
        kind: "conflict",
        code: "template_conflict",
        message: "The template kept changing while this change was applied; try again",
      })
    },

    /** With `ifUpdatedAt`, only that version is deleted (`stale` when the template moved on). */
    async remove(id: string, ifUpdatedAt?: number): Promise<Result<true, DomainError>> {
      const deleted = isId("tpl", id) && (await repo.delete(businessId, id, ifUpdatedAt))
      if (deleted) return ok(true)
      if (ifUpdatedAt !== undefined && (await load(id)).ok) return err(stale)
      return err(notFound("Template"))
    },

    /** What a send through a bot of `platform` would carry (the dashboard's live preview). */
    async preview(
      id: string,
      input: { platform: Platform; variables: Record<string, string> },
    ): Promise<Result<RenderedTemplate & { platform: Platform }, DomainError>> {
      const template = await load(id)
      if (!template.ok) return template
      const rendered = renderTemplate(template.value, input.variables, input.platform)
      return rendered.ok ? ok({ ...rendered.value, platform: input.platform }) : rendered
    },

    /**
     * A bot send's message from `{ templateId, variables }`: the bot (for its platform) and the template are read
     * from D1, only for such sends, and the rendering replaces the content; `buttons` and `replyTo` stay.
     */
    async messageFor(
      botId: string,
      templateId: string,
      variables: Record<string, string>,
      message: OutboundMessage,
    ): Promise<Result<OutboundMessage, DomainError>> {
      const [bot, template] = await Promise.all([createBotRepository(env.DB).get(businessId, botId), load(templateId)])
      if (!bot.ok) return bot
      if (!template.ok) return template
      const rendered = renderTemplate(template.value, variables, bot.value.platform)
      if (!rendered.ok) return rendered
      const { text: _text, media: _media, template: _template, ...rest } = message
      return ok({ ...rest, ...rendered.value.content })
    },
  }
}

export type TemplateService = ReturnType<typeof createTemplateService>
