/** Bot domain schemas shared by the registry (D1 rows), the API (input/output) and the Durable Object snapshot. */
import { z } from "@hono/zod-openapi"
import { isStandardSecret } from "../lib/webhook-signature"
import { getProvider, platformSchema, platforms } from "../providers"

export const botStatuses = ["active", "stopped", "error"] as const
export type BotStatus = (typeof botStatuses)[number]

// The API description names each handler kind (`.openapi(name)`: metadata only, validation is the same).
const echoHandlerSchema = z
  .object({ type: z.literal("echo") })
  .openapi("EchoHandler", { description: "Replies with the message's own text" })

const forwardDoc = {
  url: "The business's public https: endpoint: each inbound message is POSTed there (`webhooks.forwardedMessage`)",
  timeoutMs: "How long to wait for its answer (default 10000)",
}
const aiDoc = {
  baseUrl: "An OpenAI-compatible API: Switchboard calls `POST {baseUrl}/chat/completions`",
  model: "The `model` of each completion request",
  systemPrompt: "Sent first, as the system message",
  maxHistory: "Earlier turns of the chat sent along (default 20)",
}

/** Handler choice as the API accepts it; secret fields are split off and sealed before storage. */
export const handlerInputSchema = z
  .discriminatedUnion("type", [
    echoHandlerSchema,
    z
      .object({
        type: z.literal("forward"),
        url: z
          .url({ protocol: /^https?$/ })
          .max(2048)
          .openapi({ description: forwardDoc.url }),
        signingSecret: z
          .string()
          .min(16)
          .max(256)
          .refine((s) => !s.startsWith("whsec_") || isStandardSecret(s), {
            message: "a whsec_ secret is whsec_ and padded base64 (Standard Webhooks)",
          })
          .optional()
          .openapi({
            description:
              "The calls' signing secret; write-only. Omitted: the stored one, else a new one (`whsec_` and the " +
              "base64 of 32 random bytes, a Standard Webhooks secret), answered once. `webhook-signature`'s HMAC key: " +
              "the base64's bytes for a `whsec_` secret, the secret's UTF-8 bytes for any other",
          }),
        timeoutMs: z.number().int().min(500).max(30_000).optional().openapi({ description: forwardDoc.timeoutMs }),
      })
      .openapi("ForwardHandlerInput", { description: "Forwards each message to the business's endpoint" }),
    z
      .object({
        type: z.literal("ai"),
        baseUrl: z
          .url({ protocol: /^https?$/ })
          .max(2048)
          .openapi({ description: aiDoc.baseUrl }),
        model: z.string().min(1).max(200).openapi({ description: aiDoc.model }),
        apiKey: z.string().min(1).max(1024).optional().openapi({
          description: "Bearer token of the API; write-only. Omitted on update: the stored one, for the same host only",
        }),
        systemPrompt: z.string().max(8000).optional().openapi({ description: aiDoc.systemPrompt }),
        maxHistory: z.number().int().min(0).max(100).optional().openapi({ description: aiDoc.maxHistory }),
        temperature: z.number().min(0).max(2).optional(),
      })
      .openapi("AiHandlerInput", { description: "Answers with a chat-completions model" }),
  ])
  .openapi("HandlerInput")
export type HandlerInput = z.infer<typeof handlerInputSchema>

/** Handler as stored in `bots.config` (no secrets) and shown by the API. */
export const handlerConfigSchema = z
  .discriminatedUnion("type", [
    echoHandlerSchema,
    z
      .object({
        type: z.literal("forward"),
        url: z.string().openapi({ description: forwardDoc.url }),
        timeoutMs: z.number().int().optional().openapi({ description: forwardDoc.timeoutMs }),
      })
      .openapi("ForwardHandler", { description: "Forwards each message to the business's endpoint" }),
    z
      .object({
        type: z.literal("ai"),
        baseUrl: z.string().openapi({ description: aiDoc.baseUrl }),
        model: z.string().openapi({ description: aiDoc.model }),
        systemPrompt: z.string().optional().openapi({ description: aiDoc.systemPrompt }),
        maxHistory: z.number().int().optional().openapi({ description: aiDoc.maxHistory }),
        temperature: z.number().optional(),
      })
      .openapi("AiHandler", { description: "Answers with a chat-completions model" }),
  ])
  .openapi("Handler", { description: "How the bot answers; secrets (signing secret, API key) are never shown" })
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

// The bodies below take credentials as a record of unknown fields and the service checks them with the platform's
// own schema (its errors name `credentials.<field>`). The API description says which record each platform takes: one
// schema per platform (`TelegramCredentials`, ...) and one create body per platform, told apart by `platform`.
const documented = platforms.map((platform) => {
  const provider = getProvider(platform)
  const name = provider.displayName.replace(/[^A-Za-z0-9]/g, "")
  return { platform, name, provider, credentials: provider.credentialsSchema.openapi(`${name}Credentials`) }
})
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })

/** A bot's credentials as the API shows them: the platform's non-secret fields, and that they are set. */
export const botCredentialsSchema = z
  .union(
    documented.map(({ name, provider }) =>
      z
        .looseObject({
          configured: z.literal(true).openapi({ description: "Stored (the secret fields are write-only)" }),
          ...Object.fromEntries(provider.publicCredentialFields.map((field) => [field, z.string()])),
        })
        .openapi(`${name}PublicCredentials`),
    ),
  )
  .openapi(
    "BotCredentials",
    { description: "The non-secret fields of the bot's platform's credentials; secrets are write-only" },
    { unionPreferredType: "anyOf" },
  )

const createBotFields = z.object({
  platform: platformSchema,
  name: botName,
  credentials: z.record(z.string(), z.unknown()),
  handler: handlerInputSchema.optional(),
  settings: botSettingsSchema.optional(),
  limits: rateLimitOverridesSchema.optional(),
  updates: updatesModeSchema.optional(),
})

/** `POST /api/bots` for one platform, by the name `CreateBot` refers to it by (see src/routes/openapi-document.ts). */
export const createBotSchemas = Object.fromEntries(
  documented.map(({ platform, name, credentials }) => [
    `Create${name}Bot`,
    createBotFields.extend({ platform: z.literal(platform), credentials }),
  ]),
)

/** `POST /api/bots`. Credentials are checked against the platform's own schema by the service. */
export const createBotBodySchema = createBotFields.openapi("CreateBot", {
  type: "object",
  oneOf: documented.map(({ name }) => ref(`Create${name}Bot`)),
  discriminator: {
    propertyName: "platform",
    mapping: Object.fromEntries(documented.map(({ platform, name }) => [platform, ref(`Create${name}Bot`).$ref])),
  },
})
export type CreateBotInput = z.infer<typeof createBotBodySchema>

/** `PATCH /api/bots/:id`: the create fields, each optional, except the platform. */
export const patchBotBodySchema = z
  .object({
    name: botName.optional(),
    credentials: z
      .record(z.string(), z.unknown())
      .openapi({
        type: "object",
        oneOf: documented.map(({ name }) => ref(`${name}Credentials`)),
        description: "The bot's platform's credentials, all of them: they replace the stored ones whole",
      })
      .optional(),
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
