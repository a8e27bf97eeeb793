/** Bot domain schemas shared by the registry (D1 rows), the API (input/output) and the Durable Object snapshot. */
import { z } from "@hono/zod-openapi"
import { platformSchema } from "../providers"

export const botStatuses = ["active", "stopped", "error"] as const
export type BotStatus = (typeof botStatuses)[number]

/** Handler choice as the API accepts it; secret fields are split off and sealed before storage. */
export const handlerInputSchema = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("echo") }),
    z.object({
      type: z.literal("forward"),
      url: z.url({ protocol: /^https?$/ }).max(2048),
      /** HMAC key the business uses to verify our calls; generated when omitted and returned once. */
      signingSecret: z.string().min(16).max(256).optional(),
      timeoutMs: z.number().int().min(500).max(30_000).optional(),
    }),
    z.object({
      type: z.literal("ai"),
      baseUrl: z.url({ protocol: /^https?$/ }).max(2048),
      model: z.string().min(1).max(200),
      apiKey: z.string().min(1).max(1024).optional(),
      systemPrompt: z.string().max(8000).optional(),
      maxHistory: z.number().int().min(0).max(100).optional(),
      temperature: z.number().min(0).max(2).optional(),
    }),
  ])
  .openapi("HandlerInput")
export type HandlerInput = z.infer<typeof handlerInputSchema>

/** Handler as stored in `bots.config` (no secrets) and shown by the API. */
export const handlerConfigSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("echo") }),
  z.object({ type: z.literal("forward"), url: z.string(), timeoutMs: z.number().int().optional() }),
  z.object({
    type: z.literal("ai"),
    baseUrl: z.string(),
    model: z.string(),
    systemPrompt: z.string().optional(),
    maxHistory: z.number().int().optional(),
    temperature: z.number().optional(),
  }),
])
export type HandlerConfig = z.infer<typeof handlerConfigSchema>

/** Free-form, non-secret per-bot settings (bounded so one bot can't bloat the registry). */
export const botSettingsSchema = z
  .record(z.string().max(64), z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]))
  .refine((r) => Object.keys(r).length <= 50, "at most 50 settings")
  .openapi("BotSettings")

/**
 * Per-bot pacing overrides on top of the platform's defaults: a WhatsApp number upgraded to 1,000 msg/s, or a
 * Telegram bot Telegram granted paid broadcasts. Bounded: the platform still answers 429 beyond its real limit.
 */
export const rateLimitOverridesSchema = z
  .object({
    perBotPerSecond: z.number().min(0.1).max(1000).optional(),
    perChatIntervalMs: z.number().int().min(0).max(60_000).optional(),
    perGroupPerMinute: z.number().min(1).max(600).optional(),
  })
  .openapi("RateLimits")
export type RateLimitOverrides = z.infer<typeof rateLimitOverridesSchema>

/**
 * How the bot hears from its platform: webhooks (the platform calls us), or long polling from the bot's object
 * (for a bot that cannot receive webhooks: a laptop, a firewall). `intervalMs` is the pause between two polls.
 */
export const updatesModeSchema = z
  .discriminatedUnion("mode", [
    z.object({ mode: z.literal("webhook") }),
    z.object({ mode: z.literal("polling"), intervalMs: z.number().int().min(0).max(60_000).default(1000) }),
  ])
  .openapi("UpdatesMode")
export type UpdatesMode = z.infer<typeof updatesModeSchema>

export const botConfigSchema = z.object({
  updates: updatesModeSchema.default({ mode: "webhook" }),
  handler: handlerConfigSchema.default({ type: "echo" }),
  settings: botSettingsSchema.default({}),
  limits: rateLimitOverridesSchema.default({}),
})
export type BotConfig = z.infer<typeof botConfigSchema>

/** The sealed part: platform credentials plus handler secrets, encrypted as one JSON blob. */
export const botSecretsSchema = z.object({
  credentials: z.record(z.string(), z.string()),
  handler: z.object({ apiKey: z.string().optional(), signingSecret: z.string().optional() }).default({}),
})
export type BotSecrets = z.infer<typeof botSecretsSchema>

/** The Durable Object's copy of a bot: what it needs on the hot path without asking D1. */
export const botSnapshotSchema = z.object({
  id: z.string(),
  businessId: z.string(),
  platform: platformSchema,
  name: z.string(),
  status: z.enum(botStatuses),
  config: botConfigSchema,
  secretsEnc: z.string(),
  webhookSecretEnc: z.string(),
  /** The platform account's key (Telegram bot id, WhatsApp phone_number_id): one bot per account. */
  routingKey: z.string().nullable(),
  updatedAt: z.number(),
  /** Where the platform delivers, when not `PUBLIC_BASE_URL` + the bot's webhook path (the single-bot mode's URL). */
  webhookUrl: z.string().nullable().default(null),
})
export type BotSnapshot = z.infer<typeof botSnapshotSchema>

/** A bot as the registry returns it to the rest of the code: the snapshot plus what lists and dashboards show. */
export const storedBotSchema = botSnapshotSchema.extend({
  statusReason: z.string().nullable(),
  createdAt: z.number(),
  lastActive: z.number().nullable(),
  queueDepth: z.number(),
  /** Non-secret credential fields (e.g. WhatsApp phoneNumberId), copied out of the sealed blob. */
  publicCredentials: z.record(z.string(), z.string()),
})
export type StoredBot = z.infer<typeof storedBotSchema>

/** The snapshot a bot's Durable Object keeps: the registry's row without what only lists need. */
export function toSnapshot(bot: StoredBot): BotSnapshot {
  return botSnapshotSchema.parse(bot)
}

const botName = z.string().trim().min(1).max(100)

/** `POST /api/bots`. Credentials are checked against the platform's own schema by the service. */
export const createBotBodySchema = z
  .object({
    platform: platformSchema,
    name: botName,
    credentials: z.record(z.string(), z.unknown()),
    handler: handlerInputSchema.optional(),
    settings: botSettingsSchema.optional(),
    limits: rateLimitOverridesSchema.optional(),
    updates: updatesModeSchema.optional(),
  })
  .openapi("CreateBot")
export type CreateBotInput = z.infer<typeof createBotBodySchema>

/** `PATCH /api/bots/:id`: the create fields, each optional, except the platform. */
export const patchBotBodySchema = z
  .object({
    name: botName.optional(),
    credentials: z.record(z.string(), z.unknown()).optional(),
    handler: handlerInputSchema.optional(),
    settings: botSettingsSchema.optional(),
    limits: rateLimitOverridesSchema.optional(),
    updates: updatesModeSchema.optional(),
    /** The guide's API: the same as control start / stop. */
    status: z.enum(["active", "stopped"]).optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), "nothing to update")
  .openapi("PatchBot")
export type PatchBotInput = z.infer<typeof patchBotBodySchema>

export const controlActions = ["start", "stop", "restart"] as const
export type ControlAction = (typeof controlActions)[number]
