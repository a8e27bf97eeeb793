/** Read-only numbers for dashboards: a bot's last 24 hours (from its DO) and the business overview (D1 rollups). */
import { createRoute, z } from "@hono/zod-openapi"
import { requireAuth } from "../auth/jwt"
import { orThrow } from "../lib/errors"
import { createRollupRepository, failureRate } from "../registry/rollup-repository"
import { createBotService } from "../services/bot-service"
import { commonErrors, createOpenApiApp } from "./openapi"

const hourSchema = z.object({
  hour: z.string(),
  inbound: z.number(),
  outbound: z.number(),
  failed: z.number(),
  avgLatencyMs: z.number().nullable(),
})
const totalsSchema = z.object({
  inbound: z.number(),
  outbound: z.number(),
  failed: z.number(),
  failureRate: z.number().nullable(),
})

const statsSchema = z
  .object({
    hours: z.array(hourSchema),
    last24h: totalsSchema,
    queue: z.object({ queued: z.number(), failed: z.number() }),
    inboxPending: z.number(),
    polling: z
      .object({ lastPollAt: z.string().nullable() })
      .nullable()
      .openapi({ description: "Long polling bots: when the platform last answered a poll; null for webhook bots" }),
    gateway: z
      .object({
        state: z.enum(["connected", "connecting", "resuming", "closed"]).openapi({
          description:
            "connected: the platform took the session; connecting / resuming: a socket opens (or waits to retry), " +
            "with a new session or resuming the stored one; closed: the bot holds no connection (stopped, error)",
        }),
        lastHeartbeatAckAt: z.string().nullable().openapi({
          description: "When the platform last acknowledged a heartbeat; null: not since the object started",
        }),
        sessionResumable: z
          .boolean()
          .openapi({ description: "Whether a dropped connection would resume the stored session (no messages lost)" }),
      })
      .nullable()
      .openapi({
        description:
          "Bots whose platform pushes events over a socket the bot holds (Discord's Gateway); null otherwise",
      }),
  })
  .openapi("BotStats")

const platformSchema = z.object({
  platform: z.string(),
  bots: z.number(),
  active: z.number(),
  stopped: z.number(),
  error: z.number(),
  queueDepth: z.number(),
  inbound24h: z.number(),
  outbound24h: z.number(),
  failed24h: z.number(),
  failureRate: z.number().nullable(),
})

export const insightsApp = createOpenApiApp()
  .openapi(
    createRoute({
      method: "get",
      path: "/bots/{id}/stats",
      operationId: "getBotStats",
      tags: ["Insights"],
      summary: "Hourly inbound/outbound/failed counts for the last 24 hours, queue depth",
      middleware: [requireAuth],
      request: { params: z.object({ id: z.string().min(1).max(64) }) },
      responses: {
        200: {
          description: "Live numbers from the bot's Durable Object",
          content: { "application/json": { schema: statsSchema } },
        },
        ...commonErrors,
      },
    }),
    async (c) => {
      const stats = orThrow(await createBotService(c.env, c.var.auth).stats(c.req.valid("param").id))
      const sum = (k: "inbound" | "outbound" | "failed") => stats.hours.reduce((n, h) => n + h[k], 0)
      const totals = { inbound: sum("inbound"), outbound: sum("outbound"), failed: sum("failed") }
      const polling = stats.polling && {
        lastPollAt: stats.polling.lastPollAt === null ? null : new Date(stats.polling.lastPollAt).toISOString(),
      }
      const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())
      const gateway = stats.gateway && { ...stats.gateway, lastHeartbeatAckAt: iso(stats.gateway.lastHeartbeatAckAt) }
      return c.json({ ...stats, polling, gateway, last24h: { ...totals, failureRate: failureRate(totals) } }, 200)
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/overview",
      operationId: "getOverview",
      tags: ["Insights"],
      summary: "Business overview: bots per platform and status, last-24-hour traffic, failure rate, queue depth",
      middleware: [requireAuth],
      responses: {
        200: {
          description: "Totals (rollups lag live traffic by up to 15 s)",
          content: {
            "application/json": {
              schema: z.object({ platforms: z.array(platformSchema), totals: platformSchema.omit({ platform: true }) }),
            },
          },
        },
        ...commonErrors,
      },
    }),
    async (c) => {
      const rows = await createRollupRepository(c.env.DB).overview(c.var.auth.business_id, Date.now())
      const platforms = rows.map((r) => ({
        ...r,
        failureRate: failureRate({ inbound: r.inbound24h, outbound: r.outbound24h, failed: r.failed24h }),
      }))
      const total = (
        k: "bots" | "active" | "stopped" | "error" | "queueDepth" | "inbound24h" | "outbound24h" | "failed24h",
      ) => rows.reduce((n, r) => n + r[k], 0)
      const totals = {
        bots: total("bots"),
        active: total("active"),
        stopped: total("stopped"),
        error: total("error"),
        queueDepth: total("queueDepth"),
        inbound24h: total("inbound24h"),
        outbound24h: total("outbound24h"),
        failed24h: total("failed24h"),
      }
      return c.json(
        {
          platforms,
          totals: {
            ...totals,
            failureRate: failureRate({
              inbound: totals.inbound24h,
              outbound: totals.outbound24h,
              failed: totals.failed24h,
            }),
          },
        },
        200,
      )
    },
  )
