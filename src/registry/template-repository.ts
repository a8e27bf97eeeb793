/** All D1 SQL for message templates; rows are parsed with zod into domain types. */

import { z } from "zod"
import { type DomainError, notFound } from "../lib/domain-error"
import { err, ok, type Result } from "../lib/result"
import { KeysetQuery } from "./keyset"
import {
  slackFormSchema,
  type Template,
  type TemplateContent,
  templateVariableSchema,
  whatsappFormSchema,
} from "./template-schemas"

const templateRowSchema = z.object({
  id: z.string(),
  business_id: z.string(),
  name: z.string(),
  version: z.number(),
  variables: z.string(),
  body: z.string(),
  whatsapp: z.string().nullable(),
  slack: z.string().nullable(),
  created_at: z.number(),
  updated_at: z.number(),
})

const COLUMNS = "id, business_id, name, version, variables, body, whatsapp, slack, created_at, updated_at"

const jsonOrNull = <T>(text: string | null, schema: z.ZodType<T>): T | null =>
  text === null ? null : schema.parse(JSON.parse(text))

function toTemplate(raw: unknown): Template {
  const row = templateRowSchema.parse(raw)
  return {
    id: row.id,
    businessId: row.business_id,
    name: row.name,
    version: row.version,
    variables: z.array(templateVariableSchema).parse(JSON.parse(row.variables)),
    body: row.body,
    whatsapp: jsonOrNull(row.whatsapp, whatsappFormSchema),
    slack: jsonOrNull(row.slack, slackFormSchema),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/** The content columns' values, in the order the statements bind them. */
const contentParams = (t: TemplateContent) => [
  JSON.stringify(t.variables),
  t.body,
  t.whatsapp === null ? null : JSON.stringify(t.whatsapp),
  t.slack === null ? null : JSON.stringify(t.slack),
]

export type NewTemplate = TemplateContent & { id: string; businessId: string; name: string; now: number }

export interface TemplateListFilter {
  /** Name substring, any case. */
  q?: string | undefined
  limit: number
  /** Id of the last template of the previous page (pages go newest first). */
  after?: string | undefined
}

/** The answer when the business already has a template of that name. */
export const nameTaken = (name: string): DomainError => ({
  kind: "conflict",
  code: "template_conflict",
  message: `A template named "${name}" already exists in this business`,
})

function conflictOr(cause: unknown, name: string): Result<never, DomainError> {
  if (cause instanceof Error && /UNIQUE constraint failed/i.test(cause.message)) return err(nameTaken(name))
  throw cause
}

export function createTemplateRepository(db: D1Database) {
  /** The template, or `not_found` when it is missing or another business's. */
  async function get(businessId: string, id: string): Promise<Result<Template, DomainError>> {
    const row = await db
      .prepare(`SELECT ${COLUMNS} FROM templates WHERE business_id = ?1 AND id = ?2`)
      .bind(businessId, id)
      .first()
    return row ? ok(toTemplate(row)) : err(notFound("Template"))
  }

  return {
    get,

    async create(t: NewTemplate): Promise<Result<Template, DomainError>> {
      try {
        await db
          .prepare(`INSERT INTO templates (${COLUMNS}) VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6, ?7, ?8, ?8)`)
          .bind(t.id, t.businessId, t.name, ...contentParams(t), t.now)
          .run()
      } catch (cause) {
        return conflictOr(cause, t.name)
      }
      return get(t.businessId, t.id)
    },

    /** Keyset pagination on (business_id, id DESC). */
    async list(businessId: string, filter: TemplateListFilter): Promise<{ templates: Template[]; hasMore: boolean }> {
      const { rows, hasMore } = await new KeysetQuery(businessId)
        .nameLike(filter.q)
        .page(db, { table: "templates", columns: COLUMNS }, filter.after, filter.limit)
      return { templates: rows.map(toTemplate), hasMore }
    },

    /**
     * Writes `next` over `current` only if the row is still `current` (its `updated_at`): a PATCH merges and checks
     * against what it read, so a concurrent change must not slip in between. `null`: the row moved on (or is gone);
     * read it again and retry.
     */
    async update(
      businessId: string,
      current: Template,
      next: TemplateContent & { name: string; version: number },
      now: number,
    ): Promise<Result<Template | null, DomainError>> {
      let changes: number
      try {
        const res = await db
          .prepare(
            `UPDATE templates SET name = ?4, version = ?5, variables = ?6, body = ?7, whatsapp = ?8, slack = ?9,
             updated_at = ?10 WHERE business_id = ?1 AND id = ?2 AND updated_at = ?3`,
          )
          .bind(businessId, current.id, current.updatedAt, next.name, next.version, ...contentParams(next), now)
          .run()
        changes = res.meta.changes ?? 0
      } catch (cause) {
        return conflictOr(cause, next.name)
      }
      if (changes === 0) return ok(null)
      return get(businessId, current.id)
    },

    /** With `ifUpdatedAt`, only while the row is still that version (compare-and-set). */
    async delete(businessId: string, id: string, ifUpdatedAt?: number): Promise<boolean> {
      const res = await db
        .prepare("DELETE FROM templates WHERE business_id = ?1 AND id = ?2 AND (?3 IS NULL OR updated_at = ?3)")
        .bind(businessId, id, ifUpdatedAt ?? null)
        .run()
      return (res.meta.changes ?? 0) > 0
    },
  }
}

export type TemplateRepository = ReturnType<typeof createTemplateRepository>
