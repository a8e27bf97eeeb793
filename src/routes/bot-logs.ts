/** A bot's activity log, newest first, in cursor pages (the one pagination shape: `cursor` in, `nextCursor` out). */
import { createRoute, z } from "@hono/zod-openapi"
import { requireAuth } from "../auth/jwt"
import { logLevels } from "../bot/activity-log"
import { pageCursor } from "../lib/cursor"
import { orThrow } from "../lib/errors"
import { createBotService } from "../services/bot-service"
import { commonErrors, createOpenApiApp } from "./openapi"

const logsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional().openapi({ description: "The previous page's `nextCursor`" }),
  before: z.coerce
    .number()
    .int()
    .positive()
    .optional()
    .openapi({
      param: { deprecated: true },
      description:
        "Deprecated alias of `cursor`, kept for one version: the previous page's `nextBefore`. `cursor` wins when " +
        "both are given",
    }),
})

const logEntrySchema = z
  .object({
    id: z.number(),
    at: z.string(),
    level: z.enum(logLevels),
    event: z.string(),
    message: z.string(),
    detail: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi("LogEntry")

const logPageSchema = z.object({
  logs: z.array(logEntrySchema),
  nextCursor: z.string().nullable().openapi({ description: "The next page's `cursor`; null on the last page" }),
  nextBefore: z.number().nullable().openapi({
    deprecated: true,
    description: "Deprecated alias of `nextCursor`, for `before`; null on the last page",
  }),
})

/** The last entry's id (entries are numbered from 1, newest highest), as `before` took it. */
const cursor = pageCursor("log", (id) => /^[1-9][0-9]{0,15}$/.test(id))

export const botLogsApp = createOpenApiApp().openapi(
  createRoute({
    method: "get",
    path: "/{id}/logs",
    operationId: "listBotLogs",
    tags: ["Bots"],
    summary: "Activity log, newest first, with cursor pagination",
    middleware: [requireAuth],
    request: {
      params: z.object({
        id: z
          .string()
          .min(1)
          .max(64)
          .openapi({ param: { name: "id", in: "path" } }),
      }),
      query: logsQuery,
    },
    responses: {
      200: { description: "A page of log entries", content: { "application/json": { schema: logPageSchema } } },
      ...commonErrors,
    },
  }),
  async (c) => {
    const { limit, cursor: after, before } = c.req.valid("query")
    const from = after === undefined ? before : Number(cursor.decode(after))
    // One entry more than the page: whether another page follows is known, not guessed from a full page.
    const service = createBotService(c.env, c.var.auth, c.var.requestId)
    const found = orThrow(await service.logs(c.req.valid("param").id, { limit: limit + 1, before: from }))
    const logs = found.slice(0, limit)
    const last = found.length > limit ? logs.at(-1) : undefined
    return c.json(
      {
        logs: logs.map((l) => ({ ...l, at: new Date(l.at).toISOString() })),
        nextCursor: last ? cursor.encode(String(last.id)) : null,
        nextBefore: last ? last.id : null,
      },
      200,
    )
  },
)
