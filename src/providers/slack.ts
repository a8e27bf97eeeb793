/** Slack provider: v0-signed Events API and interactivity requests -> unified events, chat.postMessage sends. */
import { z } from "zod"
import { hmacSha256Hex, safeEqual } from "../lib/crypto"
import { utf8 } from "../lib/encoding"
import { err, ok, type Result } from "../lib/result"
import { compact, parseJsonOrUndefined } from "./shared"
import {
  type SlackAction,
  type SlackBlockActions,
  type SlackCredentials,
  type SlackMessageEvent,
  slackActionSchema,
  slackBlockActionsSchema,
  slackCredentialsSchema,
  slackEnvelopeSchema,
  slackMessageEventSchema,
} from "./slack.schema"
import { checkSlackAuth, escapeMrkdwn, sendSlack, slackChatId, slackSendBody } from "./slack.send"
import type {
  BotRuntime,
  ConversationKind,
  InboundContent,
  InboundMessage,
  MessagingProvider,
  ParseError,
} from "./types"

export type { SlackCredentials } from "./slack.schema"
export { classifySlackError, slackChatId, slackSendBody, slackTarget } from "./slack.send"

type Bot = BotRuntime<SlackCredentials>

/** https://docs.slack.dev/authentication/verifying-requests-from-slack */
export const SLACK_SIGNATURE_HEADER = "X-Slack-Signature"
export const SLACK_TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
/** Slack's advice: refuse a request whose timestamp is more than five minutes away, so a captured one can't be replayed. */
export const SLACK_MAX_SKEW_SECONDS = 5 * 60

/**
 * The message subtypes a person writes. Everything else is either the bot world talking (bot_message: answering it
 * would loop), an edit or deletion of an earlier message (message_changed / message_deleted, handled once already),
 * or channel housekeeping (joins, topic changes) that a messaging bot should not answer.
 * @see https://docs.slack.dev/reference/events/message#subtypes
 */
const PERSON_SUBTYPES = new Set(["file_share", "thread_broadcast", "me_message"])

/** `im` is a direct message; channels, private channels (`group`) and group DMs (`mpim`) have many readers. */
function conversationOf(channelType: string | undefined, channel: string): ConversationKind {
  const type = channelType ?? (channel.startsWith("D") ? "im" : undefined)
  return type === "im" ? "direct" : "group"
}

/** Seconds with a sequence after the dot, as milliseconds. */
const tsMillis = (ts: string) => Math.floor(Number(ts) * 1000)

/** The thread a message belongs to: its `thread_ts`, unless the message is the thread's parent itself. */
const threadOf = (ts: string, threadTs: string | undefined) =>
  threadTs !== undefined && threadTs !== ts ? threadTs : undefined

function mediaKind(mime: string | undefined): "image" | "audio" | "video" | "document" {
  if (mime?.startsWith("image/")) return "image"
  if (mime?.startsWith("audio/")) return "audio"
  if (mime?.startsWith("video/")) return "video"
  return "document"
}

function content(e: SlackMessageEvent): InboundContent {
  const file = e.files?.[0]
  if (file) {
    const caption = e.text || undefined
    return {
      kind: mediaKind(file.mimetype),
      // url_private needs the bot token to fetch: the id and URL are what a handler can use.
      media: compact({ id: file.id, url: file.url_private, mimeType: file.mimetype, fileName: file.name, caption }),
    }
  }
  return { kind: e.text ? "text" : "unsupported" }
}

/**
 * A message or app_mention event, or null when it must not reach a handler. Keyed by channel + ts, Slack's own
 * identity of a message: a mention in a channel where the app also gets message events arrives twice (an
 * `app_mention` and a `message`, with different event ids), and both land on the same key, so whichever comes
 * first is handled and the other is a duplicate. Slack's retries of either carry the same key too.
 */
function fromMessageEvent(raw: unknown, eventId: string | undefined, teamId: string | undefined, bot: Bot) {
  const parsed = slackMessageEventSchema.safeParse(raw)
  if (!parsed.success) return null
  const e = parsed.data
  if (e.bot_id !== undefined || e.hidden === true || e.user === undefined) return null
  if (e.subtype !== undefined && !PERSON_SUBTYPES.has(e.subtype)) return null
  const threadTs = threadOf(e.ts, e.thread_ts)
  const event: InboundMessage = {
    eventId: `${e.channel}:${e.ts}`,
    botId: bot.botId,
    platform: "slack",
    ...content(e),
    messageId: e.ts,
    chatId: slackChatId(e.channel, threadTs),
    conversation: conversationOf(e.channel_type, e.channel),
    userId: e.user,
    text: e.text ?? "",
    timestamp: tsMillis(e.ts),
    metadata: compact({
      channel: e.channel,
      channelType: e.channel_type,
      threadTs,
      teamId: teamId ?? e.team,
      eventId,
      eventType: e.type,
      subtype: e.subtype,
    }),
  }
  return event
}

/** The id a click carries (the button's value, a select's option) and the label the person saw. */
function choice(a: SlackAction): { id: string; title?: string } | null {
  if (a.type === "button") {
    // A link button has no value: Slack still reports the click, but the browser opening the URL was the answer.
    if (a.value === undefined) return null
    return { id: a.value, ...(a.text ? { title: a.text.text } : {}) }
  }
  if (a.selected_option) {
    const title = a.selected_option.text?.text
    return { id: a.selected_option.value, ...(title === undefined ? {} : { title }) }
  }
  return null
}

/**
 * A click on a message's buttons. Keyed by who clicked which element when (`action_ts` has microseconds): unique
 * per click, and the same for any redelivery of that payload.
 */
function fromBlockActions(p: SlackBlockActions, bot: Bot): InboundMessage[] {
  const channel = p.channel?.id ?? p.container?.channel_id
  // A click in a modal or the App Home has no conversation to answer in.
  if (channel === undefined) return []
  const messageTs = p.message?.ts ?? p.container?.message_ts
  const threadTs =
    messageTs === undefined ? undefined : threadOf(messageTs, p.message?.thread_ts ?? p.container?.thread_ts)
  const out: InboundMessage[] = []
  for (const raw of p.actions) {
    const action = slackActionSchema.safeParse(raw)
    const picked = action.success ? choice(action.data) : null
    if (!action.success || picked === null) continue
    const a = action.data
    out.push({
      eventId: `action:${p.user.id}:${a.action_ts}:${a.action_id}`,
      botId: bot.botId,
      platform: "slack",
      kind: "interactive",
      messageId: messageTs ?? a.action_ts,
      chatId: slackChatId(channel, threadTs),
      conversation: conversationOf(undefined, channel),
      userId: p.user.id,
      userName: p.user.name ?? p.user.username,
      text: picked.title ?? picked.id,
      timestamp: tsMillis(a.action_ts),
      interactive: picked,
      metadata: compact({ channel, threadTs, teamId: p.team?.id, actionId: a.action_id, blockId: a.block_id }),
    })
  }
  return out
}

/**
 * The body as Slack sent it: Events API requests are JSON, interactivity requests a form whose `payload` field holds
 * the JSON. Nothing else is a Slack request.
 */
function readBody(rawBody: string): Result<{ form: boolean; json: unknown }, ParseError> {
  const trimmed = rawBody.trimStart()
  if (trimmed.startsWith("{")) {
    const json = parseJsonOrUndefined(trimmed)
    return json === undefined ? err({ message: "body is not valid JSON" }) : ok({ form: false, json })
  }
  const payload = new URLSearchParams(rawBody).get("payload")
  if (payload === null) return err({ message: "neither a JSON event nor an interactivity payload" })
  const json = parseJsonOrUndefined(payload)
  return json === undefined ? err({ message: "payload is not valid JSON" }) : ok({ form: true, json })
}

/** Every interactivity payload names its type; only `block_actions` is read further. */
const payloadTypeSchema = z.object({ type: z.string() })

function parseSlack(rawBody: string, bot: Bot): Result<InboundMessage[], ParseError> {
  const body = readBody(rawBody)
  if (!body.ok) return body
  if (body.value.form) {
    const typed = payloadTypeSchema.safeParse(body.value.json)
    if (!typed.success) return err({ message: "interactivity payload without a type" })
    const type = typed.data.type
    // view_submission, shortcut, message_action, ...: acknowledged, nothing for a messaging handler.
    if (type !== "block_actions") return ok([])
    const actions = slackBlockActionsSchema.safeParse(body.value.json)
    if (!actions.success) return err({ message: `not a block_actions payload: ${actions.error.issues[0]?.message}` })
    return ok(fromBlockActions(actions.data, bot))
  }
  const envelope = slackEnvelopeSchema.safeParse(body.value.json)
  if (!envelope.success) return err({ message: "not a Slack Events API request: no type" })
  const { type, event, event_id, team_id } = envelope.data
  // url_verification is answered by `reply`; app_rate_limited and other notices carry no message.
  if (type !== "event_callback") return ok([])
  if (event === undefined) return err({ message: "event_callback without an event" })
  if (event.type !== "message" && event.type !== "app_mention") return ok([])
  const message = fromMessageEvent(event, event_id, team_id, bot)
  return ok(message === null ? [] : [message])
}

/**
 * Slack (Events API + interactivity, Web API for sends).
 * @see https://docs.slack.dev/apis/events-api/ and https://docs.slack.dev/reference/methods/chat.postMessage
 */
export const slack: MessagingProvider<SlackCredentials> = {
  platform: "slack",
  displayName: "Slack",
  credentialsSchema: slackCredentialsSchema,
  publicCredentialFields: [] satisfies (keyof SlackCredentials)[],
  limits: {
    // chat.postMessage: about one message per second per channel, short bursts tolerated.
    perChatIntervalMs: 1000,
    // Across channels Slack keeps a workspace-wide limit of "several hundred messages per minute": 5/s is 300/min.
    perBotPerSecond: 5,
  },
  webhookPath: (botId) => `/webhooks/slack/${botId}`,
  manualWebhook: {
    urlName: "Request URL",
    steps:
      "In the Slack app settings > Event Subscriptions, turn on Enable Events and paste this as the Request URL " +
      "(Slack checks it at once), subscribe to the bot events message.channels, message.im and app_mention, and " +
      "save. For buttons, paste it under Interactivity & Shortcuts too.",
  },
  apiBaseEnv: "SLACK_API_BASE",
  defaultApiBase: "https://slack.com/api",
  webhookHeaders: [SLACK_SIGNATURE_HEADER.toLowerCase(), SLACK_TIMESTAMP_HEADER.toLowerCase()],

  checkCredentials: checkSlackAuth,
  // Text goes out as mrkdwn: a value's `&`, `<` and `>` would read as entities, links or mentions.
  escapeText: escapeMrkdwn,

  checkMessage(msg) {
    const built = slackSendBody(msg)
    return built.ok ? null : built.error
  },

  /**
   * `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:{timestamp}:{raw body}">` with the signing secret, in constant
   * time, and a timestamp within five minutes of now either way.
   */
  async verify(req, rawBody, bot) {
    const signature = req.headers.get(SLACK_SIGNATURE_HEADER)
    const timestamp = req.headers.get(SLACK_TIMESTAMP_HEADER)
    if (signature === null) return err({ kind: "unauthorized", message: `missing ${SLACK_SIGNATURE_HEADER}` })
    if (timestamp === null || !/^\d{1,12}$/.test(timestamp.trim()))
      return err({ kind: "unauthorized", message: `missing or malformed ${SLACK_TIMESTAMP_HEADER}` })
    const ts = timestamp.trim()
    if (Math.abs(Date.now() / 1000 - Number(ts)) > SLACK_MAX_SKEW_SECONDS)
      return err({ kind: "unauthorized", message: "request timestamp is more than 5 minutes from now (replay?)" })
    const prefix = utf8(`v0:${ts}:`)
    const base = new Uint8Array(prefix.length + rawBody.length)
    base.set(prefix)
    base.set(rawBody, prefix.length)
    const expected = `v0=${await hmacSha256Hex(bot.credentials.signingSecret, base)}`
    if (!safeEqual(signature.trim(), expected))
      return err({ kind: "unauthorized", message: "X-Slack-Signature does not match the body" })
    return ok(undefined)
  },

  parse: parseSlack,

  /** The Events API handshake: answer the `challenge` as plain text. Every other request: the default 200. */
  reply(rawBody) {
    if (!rawBody.trimStart().startsWith("{")) return null
    const body = slackEnvelopeSchema.safeParse(parseJsonOrUndefined(rawBody))
    if (!body.success || body.data.type !== "url_verification" || body.data.challenge === undefined) return null
    return { status: 200, contentType: "text/plain; charset=utf-8", body: body.data.challenge }
  },

  send: sendSlack,
}
