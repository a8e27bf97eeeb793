/**
 * A business's list, newest first, by keyset on the (business_id, [filter], id DESC) indexes: the page after `after`
 * is `id < after`, so a deep page costs what the first does. Filters are SQL conditions with their bound values.
 */

/** A LIKE pattern that finds `q` anywhere, its own `%`, `_` and `\` taken literally (with `ESCAPE '\'`). */
export const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`

export class KeysetQuery {
  private readonly where = ["business_id = ?"]
  private readonly params: (string | number)[]

  constructor(businessId: string) {
    this.params = [businessId]
  }

  /** Adds `sql` when `value` is set, bound to `bound` (or to `value` itself). */
  when(value: string | undefined, sql: string, ...bound: string[]): this {
    if (!value) return this
    this.where.push(sql)
    this.params.push(...(bound.length > 0 ? bound : [value]))
    return this
  }

  /** Names containing `q`, case-insensitively. */
  nameLike(q: string | undefined): this {
    return q ? this.when(q, "name LIKE ? ESCAPE '\\' COLLATE NOCASE", likePattern(q)) : this
  }

  /** The rows of the page after `after` (none: the first), and whether more follow. */
  async page(
    db: D1Database,
    from: { table: string; columns: string },
    after: string | undefined,
    limit: number,
  ): Promise<{ rows: Record<string, unknown>[]; hasMore: boolean }> {
    this.when(after, "id < ?")
    const { results } = await db
      .prepare(`SELECT ${from.columns} FROM ${from.table} WHERE ${this.where.join(" AND ")} ORDER BY id DESC LIMIT ?`)
      .bind(...this.params, limit + 1)
      .all<Record<string, unknown>>()
    return { rows: results.slice(0, limit), hasMore: results.length > limit }
  }
}
