/** zod schemas for the Discord payloads Switchboard reads (interactions, Gateway messages, REST answers). */
import { z } from "zod"

const SNOWFLAKE = /^\d{1,20}$/

/**
 * Credentials for `POST /api/bots`: the application (its id and the public key interactions are signed with) and
 * the bot user's token (REST sends and the Gateway).
 * @see https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint
 */
export const discordCredentialsSchema = z.object({
  applicationId: z
    .string()
    .regex(SNOWFLAKE, "expected the application id, digits only")
    .meta({
      title: "Application ID",
      description: "Discord Developer Portal > your application > General Information > Application ID.",
      examples: ["1234567890123456789"],
    }),
  publicKey: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, "expected the public key: 64 hex characters")
    .meta({
      title: "Public key",
      description:
        "General Information > Public Key (hex). Then paste the Interactions Endpoint URL shown after saving into the same page.",
      examples: ["9ddaef044a354dd4cacbf2a55c4d5c103778c4df99b4a157c7ef1d698ae97cdf"],
    }),
  botToken: z
    .string()
    .regex(
      /^[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{10,}$/,
      "expected a bot token (three dot-separated parts)",
    )
    .meta({
      title: "Bot token",
      description:
        "Bot > Reset Token. Enable the Message Content intent on the same page so messages reach the bot with their text.",
      examples: ["MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GhIjKl.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"],
    }),
})
export type DiscordCredentials = z.infer<typeof discordCredentialsSchema>

export const discordUserSchema = z.object({
  id: z.string(),
  username: z.string().optional(),
  global_name: z.string().nullable().optional(),
  bot: z.boolean().optional(),
})
export type DiscordUser = z.infer<typeof discordUserSchema>

/** An option of a slash command; sub-commands nest options. */
export interface DiscordOption {
  name: string
  type: number
  value?: unknown
  options?: DiscordOption[] | undefined
}
const optionSchema: z.ZodType<DiscordOption> = z.lazy(() =>
  z.object({
    name: z.string(),
    type: z.number(),
    value: z.unknown().optional(),
    options: z.array(optionSchema).optional(),
  }),
)

/**
 * An interaction as Discord posts it to the Interactions Endpoint URL.
 * @see https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object
 */
export const discordInteractionSchema = z.object({
  id: z.string().regex(SNOWFLAKE),
  application_id: z.string(),
  /** 1 PING, 2 APPLICATION_COMMAND, 3 MESSAGE_COMPONENT, 4 AUTOCOMPLETE, 5 MODAL_SUBMIT. */
  type: z.number().int(),
  token: z.string().optional(),
  data: z
    .object({
      name: z.string().optional(),
      options: z.array(optionSchema).optional(),
      custom_id: z.string().optional(),
      component_type: z.number().optional(),
    })
    .optional(),
  guild_id: z.string().optional(),
  channel_id: z.string().optional(),
  channel: z.object({ id: z.string(), type: z.number().optional() }).optional(),
  member: z.object({ user: discordUserSchema.optional(), nick: z.string().nullable().optional() }).optional(),
  user: discordUserSchema.optional(),
  message: z.object({ id: z.string(), components: z.array(z.unknown()).optional() }).optional(),
})
export type DiscordInteraction = z.infer<typeof discordInteractionSchema>

/**
 * A message as the Gateway's MESSAGE_CREATE and the REST API give it.
 * @see https://discord.com/developers/docs/resources/message#message-object
 */
export const discordMessageSchema = z.object({
  id: z.string(),
  channel_id: z.string(),
  guild_id: z.string().optional(),
  author: discordUserSchema,
  content: z.string().default(""),
  timestamp: z.string().optional(),
  edited_timestamp: z.string().nullable().optional(),
  attachments: z
    .array(
      z.object({
        id: z.string(),
        url: z.string().optional(),
        filename: z.string().optional(),
        content_type: z.string().optional(),
      }),
    )
    .optional(),
  message_reference: z.object({ message_id: z.string().optional() }).optional(),
  webhook_id: z.string().optional(),
})
export type DiscordMessage = z.infer<typeof discordMessageSchema>

/**
 * A REST refusal: `{ message, code }`, and for a 429 `{ message, retry_after (seconds, float), global }`.
 * @see https://discord.com/developers/docs/topics/rate-limits#exceeding-a-rate-limit
 */
export const discordErrorSchema = z.object({
  message: z.string().optional(),
  code: z.number().optional(),
  retry_after: z.number().optional(),
  global: z.boolean().optional(),
})
export type DiscordError = z.infer<typeof discordErrorSchema>

/** `settings.commands`: a JSON array of slash commands (name and description), registered at setup. */
export const discordCommandsSchema = z
  .array(
    z.object({
      name: z.string().regex(/^[-_\p{L}\p{N}]{1,32}$/u, "command names: 1-32 lower-case letters, digits, - or _"),
      description: z.string().min(1).max(100),
    }),
  )
  .max(100)
export type DiscordCommands = z.infer<typeof discordCommandsSchema>

/** GET /gateway/bot. */
export const discordGatewayBotSchema = z.object({ url: z.string() })
