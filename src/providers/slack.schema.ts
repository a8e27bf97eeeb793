/** zod schemas for the Slack payloads Switchboard reads: only the fields used, unknown keys ignored. */
import { z } from "zod"

/**
 * Credentials for `POST /api/bots`: the app's bot token (it names the workspace and the bot user) and the signing
 * secret Slack signs every Events API and interactivity request with.
 * @see https://docs.slack.dev/authentication/verifying-requests-from-slack
 */
export const slackCredentialsSchema = z.object({
  botToken: z
    .string()
    .regex(/^xoxb-[A-Za-z0-9-]{10,}$/, "expected a bot token such as xoxb-1234-5678-AbC…")
    .meta({
      title: "Bot token",
      description:
        "Slack app settings (api.slack.com/apps) > OAuth & Permissions > Bot User OAuth Token, after installing the app to the workspace. Needs the chat:write scope.",
      examples: ["xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"],
    }),
  signingSecret: z
    .string()
    .regex(/^[A-Za-z0-9]{16,128}$/, "expected the signing secret, letters and digits")
    .meta({
      title: "Signing secret",
      description:
        "Slack app settings > Basic Information > App Credentials > Signing Secret. Then paste the Request URL shown after saving into Event Subscriptions (and Interactivity, for buttons).",
      examples: ["8f742231b10e8888abcd99yyyzzz85a5"],
    }),
})
export type SlackCredentials = z.infer<typeof slackCredentialsSchema>

/** Slack's message time and id at once: `"1700000000.000100"` (seconds, then a per-channel sequence). */
export const SLACK_TS = /^\d{1,12}\.\d{1,9}$/

/**
 * A message event (`message`, with every subtype) or an `app_mention`.
 * @see https://docs.slack.dev/reference/events/message and https://docs.slack.dev/reference/events/app_mention
 */
export const slackMessageEventSchema = z.object({
  type: z.enum(["message", "app_mention"]),
  subtype: z.string().optional(),
  hidden: z.boolean().optional(),
  channel: z.string().min(1),
  /** `im`, `mpim`, `group` (private channel) or `channel`; app_mention events carry none. */
  channel_type: z.string().optional(),
  user: z.string().optional(),
  bot_id: z.string().optional(),
  text: z.string().optional(),
  ts: z.string().regex(SLACK_TS),
  thread_ts: z.string().regex(SLACK_TS).optional(),
  event_ts: z.string().optional(),
  team: z.string().optional(),
  files: z
    .array(
      z.object({
        id: z.string(),
        name: z.string().optional(),
        title: z.string().optional(),
        mimetype: z.string().optional(),
        url_private: z.string().optional(),
      }),
    )
    .optional(),
})
export type SlackMessageEvent = z.infer<typeof slackMessageEventSchema>

/**
 * What the Events API POSTs: a handshake, an event wrapped in its callback, or a notice (`app_rate_limited`).
 * @see https://docs.slack.dev/apis/events-api/
 */
export const slackEnvelopeSchema = z.object({
  type: z.string().min(1),
  challenge: z.string().optional(),
  team_id: z.string().optional(),
  api_app_id: z.string().optional(),
  event_id: z.string().optional(),
  event_time: z.number().optional(),
  /** Read per `event.type` (slackMessageEventSchema), so an event kind we do not model is not an error. */
  event: z.looseObject({ type: z.string() }).optional(),
})
export type SlackEnvelope = z.infer<typeof slackEnvelopeSchema>

const plainText = z.object({ text: z.string() })

/** One element of a block_actions payload: a button, or a select with its chosen option. */
export const slackActionSchema = z.object({
  type: z.string(),
  action_id: z.string(),
  block_id: z.string().optional(),
  value: z.string().optional(),
  text: plainText.optional(),
  selected_option: z.object({ text: plainText.optional(), value: z.string() }).nullish(),
  action_ts: z.string(),
})
export type SlackAction = z.infer<typeof slackActionSchema>

/**
 * The interactivity payload (form field `payload`) of a click on a Block Kit element.
 * @see https://docs.slack.dev/reference/interaction-payloads/block_actions-payload
 */
export const slackBlockActionsSchema = z.object({
  type: z.literal("block_actions"),
  user: z.object({ id: z.string(), username: z.string().optional(), name: z.string().optional() }),
  team: z.object({ id: z.string() }).nullish(),
  container: z
    .object({
      type: z.string(),
      message_ts: z.string().optional(),
      channel_id: z.string().optional(),
      thread_ts: z.string().optional(),
    })
    .optional(),
  channel: z.object({ id: z.string(), name: z.string().optional() }).nullish(),
  message: z.object({ ts: z.string(), thread_ts: z.string().optional() }).nullish(),
  actions: z.array(z.unknown()),
})
export type SlackBlockActions = z.infer<typeof slackBlockActionsSchema>

/** Every Web API answer: `{ ok: true, ... }` or `{ ok: false, error }`, most of them with HTTP 200. */
export const slackResponseSchema = z.object({
  ok: z.boolean(),
  error: z.string().optional(),
  ts: z.string().optional(),
  channel: z.string().optional(),
  team_id: z.string().optional(),
  user_id: z.string().optional(),
  enterprise_id: z.string().optional(),
})
export type SlackResponse = z.infer<typeof slackResponseSchema>
