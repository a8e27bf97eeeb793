/** GET /api/analytics: a business's traffic per platform and per bot over hours or days, from the D1 rollups. */
import { createRoute, z } from "@hono/zod-openapi"
import { requireAuth } from "../auth/jwt"
import { HttpError } from "../lib/errors"
import { DAY_MS, HOUR_MS, unixDay, unixHour } from "../lib/time"
import { platformSchema } from "../providers"
import { createAnalyticsRepository, type Granularity, type Series, summarize } from "../registry/analytics-repository"
import { HOURLY_KEEP_DAYS } from "../registry/compaction"
import { commonErrors, createOpenApiApp } from "./openapi"

/** Hourly points: at most 31 days of them (744) in one answer. */
const MAX_HOURS = 31 * 24
/** Daily points: the 400 days kept, and the day in progress. */
const MAX_DAYS = 401
const TOP_BOTS = 20

const percentilesSchema = z
  .object({ p50: z.number(), p95: z.number() })
  .nullable()
  .openapi({ description: "Within 5% of an observed value (from a stored distribution); null when nothing was timed" })

const summarySchema = z
  .object({
    inbound: z.number().int(),
    outbound: z.number().int(),
    failed: z.number().int(),
    rateLimited: z.number().int().openapi({ description: "Sends the platform answered with a 429 (then retried)" }),
    failovers: z.number().int().openapi({ description: "Contact sends that moved on to this channel from another" }),
    successRate: z.number().nullable().openapi({ description: "outbound / (outbound + failed); null: nothing sent" }),
    sendLatencyMs: percentilesSchema.openapi({ description: "The platform API call, per successful send" }),
    replyLatencyMs: percentilesSchema.openapi({ description: "An update's arrival to its reply's send" }),
  })
  .openapi("AnalyticsSummary")

const pointSchema = summarySchema.extend({ at: z.string() }).openapi("AnalyticsPoint")

const analyticsSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    granularity: z.enum(["hour", "day"]),
    points: z.array(z.string()).openapi({ description: "Bucket starts, ascending; every bucket present" }),
    totals: summarySchema,
    platforms: z.array(z.object({ platform: z.string(), totals: summarySchema, series: z.array(pointSchema) })),
    bots: z.array(
      z.object({
        botId: z.string(),
        name: z.string(),
        platform: z.string(),
        totals: summarySchema,
        series: z.array(pointSchema),
      }),
    ),
    botsTotal: z
      .number()
      .int()
      .openapi({ description: "Bots with traffic in the range (`bots` lists the busiest 20)" }),
  })
  .openapi("Analytics")

const querySchema = z.object({
  from: z.iso.datetime({ offset: true }).optional().openapi({ description: "Default: the 24 hours up to `to`" }),
  to: z.iso.datetime({ offset: true }).optional().openapi({ description: "Default: now" }),
  granularity: z
    .enum(["hour", "day"])
    .optional()
    .openapi({
      description: `Default: hour for ranges up to 7 days, else day. Hourly points are kept ${HOURLY_KEEP_DAYS} days`,
    }),
  platform: platformSchema.optional(),
  botId: z.string().min(1).max(64).optional(),
})

const invalidRange = (message: string) => new HttpError(422, "invalid_range", message)

/** The request's range as buckets, checked against what is kept and what one answer holds. */
function range(q: z.infer<typeof querySchema>, now: number) {
  const to = q.to ? Date.parse(q.to) : now
  // By default the 24 hours up to `to`: the hour in progress and the 23 before it.
  const from = q.from ? Date.parse(q.from) : (unixHour(to - 1) - 23) * HOUR_MS
  if (from >= to) throw invalidRange("`from` must be before `to`")
  const granularity: Granularity = q.granularity ?? (to - from <= 7 * DAY_MS ? "hour" : "day")
  const unit = granularity === "hour" ? HOUR_MS : DAY_MS
  const bucket = granularity === "hour" ? unixHour : unixDay
  const first = bucket(from)
  const end = bucket(to - 1) + 1
  if (granularity === "hour") {
    if (first < (unixDay(now) - HOURLY_KEEP_DAYS) * 24)
      throw invalidRange(`Hourly points are kept ${HOURLY_KEEP_DAYS} days: ask for granularity=day`)
    if (end - first > MAX_HOURS) throw invalidRange(`At most ${MAX_HOURS} hourly points: ask for granularity=day`)
  } else if (end - first > MAX_DAYS) throw invalidRange(`At most ${MAX_DAYS} daily points`)
  return { granularity, first, end, unit, from, to }
}

export const analyticsApp = createOpenApiApp().openapi(
  createRoute({
    method: "get",
    path: "/analytics",
    operationId: "getAnalytics",
    tags: ["Insights"],
    summary: "Traffic, success rate, 429s, failovers and latency percentiles per platform and bot, hourly or daily",
    description:
      "Reads the registry's rollups, which lag live traffic by up to 30 s. Hourly points are kept 14 days, then " +
      "compacted into daily points kept 400 days (totals and latency distributions are kept whole).",
    middleware: [requireAuth],
    request: { query: querySchema },
    responses: {
      200: { description: "Series aligned to `points`", content: { "application/json": { schema: analyticsSchema } } },
      ...commonErrors,
    },
  }),
  async (c) => {
    const q = c.req.valid("query")
    const { granularity, first, end, unit, from, to } = range(q, Date.now())
    const rows = await createAnalyticsRepository(c.env.DB).query({
      businessId: c.var.auth.business_id,
      granularity,
      from: first,
      to: end,
      platform: q.platform,
      botId: q.botId,
      topBots: TOP_BOTS,
    })
    const points = Array.from({ length: end - first }, (_, i) => new Date((first + i) * unit).toISOString())
    const series = (s: Series) => s.points.map((p, i) => ({ at: points[i] ?? "", ...summarize(p) }))
    const bots = rows.bots
      .map((b) => ({ botId: b.botId, name: b.name, platform: b.platform, totals: summarize(b.series.totals), b }))
      .sort((x, y) => volume(y.totals) - volume(x.totals) || x.botId.localeCompare(y.botId))
    return c.json(
      {
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        granularity,
        points,
        totals: summarize(rows.totals),
        platforms: [...rows.platforms.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([platform, s]) => ({ platform, totals: summarize(s.totals), series: series(s) })),
        bots: bots.map(({ b, ...rest }) => ({ ...rest, series: series(b.series) })),
        botsTotal: rows.botsTotal,
      },
      200,
    )
  },
)

const volume = (s: { inbound: number; outbound: number; failed: number }) => s.inbound + s.outbound + s.failed
