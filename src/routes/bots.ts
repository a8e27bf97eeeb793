/** Management API for bots (DESIGN.md §3): CRUD and control. Every query is scoped to the token's business. */
import { createRoute, z } from "@hono/zod-openapi"
import type { Context, ValidationTargets } from "hono"
import type { ZodError } from "zod"
import { requireAuth, requireWriter } from "../auth/jwt"
import type { AppEnv } from "../env"
import { pageCursor } from "../lib/cursor"
import { HttpError, orThrow, validationError } from "../lib/errors"
import { isId } from "../lib/ids"
import { checkOutboundUrl, redactUrl } from "../lib/url-guard"
import { type Platform, platformSchema } from "../providers"
import { createRollupRepository, failureRate } from "../registry/rollup-repository"
import {
  botCredentialsSchema,
  botSettingsSchema,
  botStatuses,
  controlActions,
  createBotBodySchema,
  type HandlerConfig,
  handlerConfigSchema,
  patchBotBodySchema,
  rateLimitOverridesSchema,
  type StoredBot,
  updatesModeSchema,
} from "../registry/schemas"
import { type BotService, bodyRuleProblems, createBotService } from "../services/bot-service"
import { commonErrors, createOpenApiApp, errorResponse } from "./openapi"

const botIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" } }),
})

const botSchema = z
  .object({
    id: z.string(),
    platform: platformSchema,
    name: z.string(),
    status: z.enum(botStatuses),
    statusReason: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    lastActive: z.string().nullable(),
    handler: handlerConfigSchema,
    settings: botSettingsSchema,
    limits: rateLimitOverridesSchema,
    updates: updatesModeSchema,
    credentials: botCredentialsSchema,
    webhookUrl: z.string(),
    webhookUrlPublic: z.boolean().openapi({
      description:
        "Whether `webhookUrl` is a public https: address. Platforms deliver only to those (WhatsApp, Slack, Discord " +
        "and Telegram all refuse others): false means this deployment's PUBLIC_BASE_URL can't receive webhooks",
    }),
    secretsSet: z
      .record(z.string(), z.literal(true))
      .optional()
      .openapi({
        description:
          "Single-bot answers, not lists: the secret credential fields that hold a value, e.g. `{ appSecret: true }` " +
          "(a field not named is not set). Never the values",
      }),
    queueDepth: z.number(),
    last24h: z
      .object({ inbound: z.number(), outbound: z.number(), failed: z.number(), failureRate: z.number().nullable() })
      .optional()
      .openapi({ description: "Listed bots only: traffic of the last 24 hours from the rollups (lags up to 15 s)" }),
  })
  .openapi("Bot")

const setupSchema = z.object({ ok: z.boolean(), error: z.object({ kind: z.string(), message: z.string() }).optional() })

const listQuery = z.object({
  platform: platformSchema.optional(),
  status: z.enum(botStatuses).optional(),
  q: z.string().trim().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().max(200).optional(),
})

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
})

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/** Viewers see handler URLs without user names, passwords or query values (they can hold keys). */
function visibleHandler(handler: HandlerConfig, role: string): HandlerConfig {
  if (role !== "viewer") return { ...handler }
  if (handler.type === "forward") return { ...handler, url: redactUrl(handler.url) }
  if (handler.type === "ai") return { ...handler, baseUrl: redactUrl(handler.baseUrl) }
  return { ...handler }
}

/** The API view of a bot: nothing sealed ever leaves through here. */
function present(c: Context<AppEnv>, service: BotService, bot: StoredBot): z.infer<typeof botSchema> {
  const webhookUrl = service.webhookUrl(bot, c.req.url)
  return {
    id: bot.id,
    platform: bot.platform,
    name: bot.name,
    status: bot.status,
    statusReason: bot.statusReason,
    createdAt: new Date(bot.createdAt).toISOString(),
    updatedAt: new Date(bot.updatedAt).toISOString(),
    lastActive: iso(bot.lastActive),
    handler: visibleHandler(bot.config.handler, c.var.auth.role),
    settings: bot.config.settings,
    limits: bot.config.limits,
    updates: bot.config.updates,
    credentials: { ...bot.publicCredentials, configured: true },
    webhookUrl,
    webhookUrlPublic: checkOutboundUrl(webhookUrl, { allowLoopbackHttp: false }).ok,
    queueDepth: bot.queueDepth,
  }
}

/** One bot's view, with which of its secrets are set (unsealed for it: lists leave it out). */
async function presentOne(c: Context<AppEnv>, service: BotService, bot: StoredBot): Promise<z.infer<typeof botSchema>> {
  return { ...present(c, service, bot), secretsSet: await service.secretsSet(bot) }
}

/**
 * A create or update body that fails its schema is also checked against the rules its parts alone decide (the
 * platform's credentials, the handler's URLs, the updates mode): the 422 lists every field's problem at once.
 */
function everyFieldProblem(platformOf: (c: Context<AppEnv>) => Promise<Platform | undefined>) {
  // Thrown, not returned: app.onError renders it (a returned answer would have to be one the route documents).
  return (
    result: { target: keyof ValidationTargets } & ({ success: true } | { success: false; error: ZodError }),
    c: Context<AppEnv>,
  ): Promise<never> | undefined => {
    if (result.success) return undefined
    const { body } = validationError(result.error, result.target === "json" ? "body" : result.target)
    const raw = "data" in result ? result.data : undefined
    return (async () => {
      const fields = [...(body.error.details?.fields ?? [])]
      if (result.target === "json") {
        const known = new Set(fields.map((f) => f.path))
        for (const f of bodyRuleProblems(c.env, raw, await platformOf(c))) if (!known.has(f.path)) fields.push(f)
      }
      throw new HttpError(422, "validation_failed", body.error.message, {}, { fields })
    })()
  }
}

const cursor = pageCursor("bot", (id) => isId("bot", id))

const service = (c: Context<AppEnv>) => createBotService(c.env, c.var.auth, c.var.requestId)

const write = [requireAuth, requireWriter]

export const botsApp = createOpenApiApp()
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      operationId: "createBot",
      tags: ["Bots"],
      summary: "Create a bot",
      middleware: write,
      request: { body: { content: { "application/json": { schema: createBotBodySchema } }, required: true } },
      responses: {
        201: json(
          z.object({ bot: botSchema, setup: setupSchema, signingSecret: z.string().optional() }),
          "Created; `signingSecret` is shown once when the forward handler's secret was generated",
        ),
        403: errorResponse("Viewers cannot write"),
        ...commonErrors,
        409: errorResponse(
          "`bot_conflict`: another bot already uses this platform account (bot token or phone number)",
        ),
        422: errorResponse(
          "`validation_failed` (fields in details) or `credentials_rejected` (the platform refused them)",
        ),
        503: errorResponse("`platform_unavailable`: the platform could not be reached to check the credentials"),
      },
    }),
    async (c) => {
      const s = service(c)
      const { bot, setup, issuedSigningSecret } = orThrow(await s.create(c.req.valid("json")))
      const body = {
        bot: await presentOne(c, s, bot),
        setup: setup ?? { ok: true },
        ...(issuedSigningSecret ? { signingSecret: issuedSigningSecret } : {}),
      }
      return c.json(body, 201)
    },
    everyFieldProblem(async () => undefined),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      operationId: "listBots",
      tags: ["Bots"],
      summary: "List bots, newest first, with filters and cursor pagination",
      middleware: [requireAuth],
      request: { query: listQuery },
      responses: {
        200: json(z.object({ bots: z.array(botSchema), nextCursor: z.string().nullable() }), "A page of bots"),
        ...commonErrors,
      },
    }),
    async (c) => {
      const s = service(c)
      const q = c.req.valid("query")
      const { bots, hasMore } = await s.list({
        platform: q.platform,
        status: q.status,
        q: q.q || undefined,
        limit: q.limit,
        after: q.cursor ? cursor.decode(q.cursor) : undefined,
      })
      const last = bots.at(-1)
      const traffic = await createRollupRepository(c.env.DB).totals24h(
        c.var.auth.business_id,
        bots.map((b) => b.id),
        Date.now(),
      )
      const listed = bots.map((b) => {
        const t = traffic.get(b.id) ?? { inbound: 0, outbound: 0, failed: 0 }
        return { ...present(c, s, b), last24h: { ...t, failureRate: failureRate(t) } }
      })
      return c.json({ bots: listed, nextCursor: hasMore && last ? cursor.encode(last.id) : null }, 200)
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{id}",
      operationId: "getBot",
      tags: ["Bots"],
      summary: "Get a bot",
      middleware: [requireAuth],
      request: { params: botIdParam },
      responses: { 200: json(z.object({ bot: botSchema }), "The bot"), ...commonErrors },
    }),
    async (c) => {
      const s = service(c)
      const bot = orThrow(await s.load(c.req.valid("param").id))
      return c.json({ bot: await presentOne(c, s, bot) }, 200)
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/{id}",
      operationId: "updateBot",
      tags: ["Bots"],
      summary: "Update name, credentials, handler, settings or pacing limits",
      middleware: write,
      request: {
        params: botIdParam,
        body: { content: { "application/json": { schema: patchBotBodySchema } }, required: true },
      },
      responses: {
        200: json(
          z.object({ bot: botSchema, setup: setupSchema.optional(), signingSecret: z.string().optional() }),
          "Updated",
        ),
        403: errorResponse("Viewers cannot write"),
        ...commonErrors,
        409: errorResponse(
          "`bot_conflict`: another bot already uses this platform account (bot token or phone number)",
        ),
        422: errorResponse(
          "`validation_failed` (fields in details) or `credentials_rejected` (the platform refused them)",
        ),
        503: errorResponse("`platform_unavailable`: the platform could not be reached to check the credentials"),
      },
    }),
    async (c) => {
      const s = service(c)
      const { bot, setup, issuedSigningSecret } = orThrow(await s.patch(c.req.valid("param").id, c.req.valid("json")))
      return c.json(
        {
          bot: await presentOne(c, s, bot),
          ...(setup ? { setup } : {}),
          ...(issuedSigningSecret ? { signingSecret: issuedSigningSecret } : {}),
        },
        200,
      )
    },
    // The credentials are checked against the bot's own platform.
    everyFieldProblem(async (c) => {
      const loaded = await service(c).load(c.req.param("id") ?? "")
      return loaded.ok ? loaded.value.platform : undefined
    }),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{id}",
      operationId: "deleteBot",
      tags: ["Bots"],
      summary: "Delete a bot: its sends stop, its webhook is removed, what was still queued is dropped and counted",
      middleware: write,
      request: { params: botIdParam },
      responses: {
        200: json(
          z.object({ deleted: z.literal(true), discarded: z.number().int() }),
          "Deleted; `discarded` queued messages were never sent",
        ),
        403: errorResponse("Viewers cannot write"),
        ...commonErrors,
      },
    }),
    async (c) => {
      const { discarded } = orThrow(await service(c).remove(c.req.valid("param").id))
      return c.json({ deleted: true as const, discarded }, 200)
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{id}/control",
      operationId: "controlBot",
      tags: ["Bots"],
      summary: "Start, stop or restart a bot",
      middleware: write,
      request: {
        params: botIdParam,
        body: {
          content: { "application/json": { schema: z.object({ action: z.enum(controlActions) }) } },
          required: true,
        },
      },
      responses: {
        200: json(z.object({ bot: botSchema, result: setupSchema }), "New status and the platform's answer"),
        403: errorResponse("Viewers cannot write"),
        ...commonErrors,
      },
    }),
    async (c) => {
      const s = service(c)
      const { bot, setup } = orThrow(await s.control(c.req.valid("param").id, c.req.valid("json").action))
      return c.json({ bot: await presentOne(c, s, bot), result: setup ?? { ok: true } }, 200)
    },
  )
