/** Slack outbound: OutboundMessage -> chat.postMessage body, Web API calls, and error classification by `error`. */
import { z } from "zod"
import { fetchText } from "../lib/http"
import { err, ok, type Result } from "../lib/result"
import { DEFAULT_TIMEOUT_MS, parseJsonOrUndefined, retryAfterMs, transportError } from "./shared"
import { SLACK_TS, type SlackCredentials, type SlackResponse, slackResponseSchema } from "./slack.schema"
import type { BotRuntime, MessageProblem, OutboundMessage, ProviderError, ProviderIO, SentRef } from "./types"

type Bot = BotRuntime<SlackCredentials>

/** https://docs.slack.dev/reference/methods/chat.postMessage: longer text is truncated, then refused (msg_too_long). */
export const TEXT_MAX = 40_000
/** A section block's text: https://docs.slack.dev/reference/block-kit/blocks/section-block */
const SECTION_TEXT_MAX = 3_000
/** https://docs.slack.dev/reference/block-kit/blocks/actions-block: at most 25 elements. */
const ACTIONS_MAX = 25
/** https://docs.slack.dev/reference/block-kit/block-elements/button-element: text 75, value 2000, url 3000. */
const BUTTON_TEXT_MAX = 75
const BUTTON_URL_MAX = 3_000
/** A message holds at most 50 blocks. */
const BLOCKS_MAX = 50

/**
 * The chat id of a conversation: the channel, or `channel:thread_ts` for a thread in it. A Slack thread is its own
 * conversation (replies stay in it), and the default handlers answer `event.chatId`, so the thread travels in it.
 */
export function slackChatId(channel: string, threadTs?: string): string {
  return threadTs === undefined ? channel : `${channel}:${threadTs}`
}

/** The channel and thread a chat id names; null when it is neither `C123` nor `C123:1700000000.000100`. */
export function slackTarget(chatId: string): { channel: string; threadTs?: string } | null {
  const [channel, threadTs, ...rest] = chatId.split(":")
  if (!channel || rest.length > 0 || !/^[A-Z0-9]{2,}$/.test(channel)) return null
  if (threadTs === undefined) return { channel }
  return SLACK_TS.test(threadTs) ? { channel, threadTs } : null
}

const badRequest = (message: string): ProviderError => ({ kind: "bad_request", message })

/** A message problem as the send API reports it: the field and why. */
function problem(path: string, message: string): Result<never, MessageProblem> {
  return err({ path, message })
}

/** mrkdwn escapes: `&`, `<` and `>` are control characters in Slack text. */
export const escapeMrkdwn = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

/**
 * One `actions` block per row of buttons: a link button opens its URL (Slack still sends a block_actions payload,
 * which the bot acknowledges), any other carries `data` (or its label) as `value`.
 * @see https://docs.slack.dev/reference/block-kit/block-elements/button-element
 */
function actionBlocks(rows: NonNullable<OutboundMessage["buttons"]>): Result<unknown[], MessageProblem> {
  const blocks: unknown[] = []
  for (const [r, row] of rows.entries()) {
    if (row.length > ACTIONS_MAX) return problem("buttons", `Slack allows ${ACTIONS_MAX} buttons per row`)
    const elements: Record<string, unknown>[] = []
    for (const [i, b] of row.entries()) {
      if (b.text.length > BUTTON_TEXT_MAX)
        return problem("buttons", `Slack button labels: ${BUTTON_TEXT_MAX} characters at most`)
      const button: Record<string, unknown> = {
        type: "button",
        // Unique within the message, so a click names the button even when two carry the same value.
        action_id: `sb_${r}_${i}`,
        text: { type: "plain_text", text: b.text, emoji: true },
      }
      if (b.url !== undefined) {
        if (b.url.length > BUTTON_URL_MAX) return problem("buttons", "Slack button URLs: 3000 characters at most")
        button.url = b.url
      } else button.value = b.data ?? b.text
      elements.push(button)
    }
    blocks.push({ type: "actions", block_id: `sb_row_${r}`, elements })
  }
  return ok(blocks)
}

/**
 * Builds the body of `chat.postMessage`. `text` is always set: it is the notification and screen-reader text of a
 * message with blocks. Media goes as a link (Slack posts files only through its upload flow), an image as an image
 * block that Slack fetches from the URL.
 * @see https://docs.slack.dev/reference/methods/chat.postMessage
 */
export function slackSendBody(msg: OutboundMessage): Result<Record<string, unknown>, MessageProblem> {
  if (msg.template) return problem("template", "templates are WhatsApp-only")
  const target = slackTarget(msg.chatId)
  if (!target) return problem("chatId", "expected a Slack channel id (C…, D…, G…), optionally :thread_ts")
  if (msg.replyTo !== undefined && !SLACK_TS.test(msg.replyTo))
    return problem("replyTo", "replyTo must be a Slack message ts such as 1700000000.000100")
  const body: Record<string, unknown> = { channel: target.channel }
  // Replying to a message puts the answer in that message's thread; a chat id that names a thread stays in it.
  const threadTs = msg.replyTo ?? target.threadTs
  if (threadTs !== undefined) body.thread_ts = threadTs
  const blocks: unknown[] = []
  let text: string
  if (msg.media) {
    const { kind, url, caption, fileName } = msg.media
    if (kind === "image") {
      blocks.push({ type: "image", image_url: url, alt_text: (caption ?? fileName ?? "image").slice(0, 2000) })
      if (caption !== undefined) blocks.push({ type: "section", text: { type: "mrkdwn", text: escapeMrkdwn(caption) } })
      text = caption ?? fileName ?? "Image"
    } else {
      // A link Slack unfurls: `<url|label>`, the label escaped (a `|` would end the URL part).
      text = `<${url}|${escapeMrkdwn(caption ?? fileName ?? url).replace(/\|/g, "¦")}>`
      if (msg.buttons) blocks.push({ type: "section", text: { type: "mrkdwn", text } })
    }
  } else if (msg.text !== undefined) {
    text = msg.text
    if (text.length > TEXT_MAX) return problem("text", `Slack allows ${TEXT_MAX} characters per message`)
    // A template's own blocks (its Slack form): shown instead of the text, which stays the notification.
    if (msg.slackBlocks) blocks.push(...z.array(z.record(z.string(), z.unknown())).parse(JSON.parse(msg.slackBlocks)))
    else if (msg.buttons) {
      // With blocks, `text` is only the notification: the visible text is a section block, which holds 3000.
      if (text.length > SECTION_TEXT_MAX)
        return problem("text", `Slack allows ${SECTION_TEXT_MAX} characters of text above buttons`)
      blocks.push({ type: "section", text: { type: "mrkdwn", text } })
    }
  } else return problem("body", "nothing to send: one of text or media is required")
  if (msg.buttons) {
    const actions = actionBlocks(msg.buttons)
    if (!actions.ok) return actions
    blocks.push(...actions.value)
  }
  if (blocks.length > BLOCKS_MAX) return problem("buttons", `Slack allows ${BLOCKS_MAX} blocks per message`)
  body.text = text
  if (blocks.length > 0) body.blocks = blocks
  return ok(body)
}

/** A token Slack no longer (or never did) accept: every later call fails the same way, so the bot stops. */
const UNAUTHORIZED = new Set([
  "invalid_auth",
  "not_authed",
  "account_inactive",
  "token_revoked",
  "token_expired",
  "missing_scope",
  "not_allowed_token_type",
  "no_permission",
  "team_access_not_granted",
  "ekm_access_denied",
  "org_login_required",
])
const NOT_FOUND = new Set(["channel_not_found", "user_not_found", "thread_not_found", "message_not_found"])
/** The bot may not post there (not a member, archived, posting restricted): drop this message. */
const FORBIDDEN = new Set([
  "not_in_channel",
  "is_archived",
  "cannot_reply_to_message",
  "restricted_action",
  "restricted_action_read_only_channel",
  "restricted_action_thread_only_channel",
  "restricted_action_non_threadable_channel",
  "team_not_found",
  "messages_tab_disabled",
])
const TRANSIENT = new Set(["internal_error", "fatal_error", "service_unavailable", "request_timeout"])

/**
 * Classifies a failed Web API call by its `error` string (Slack answers most refusals with HTTP 200 and
 * `ok: false`), then by HTTP status. A 429 is chat.postMessage's per-channel limit (about one message per second
 * per channel), so only that chat waits `Retry-After`; the workspace-wide limit is kept by pacing.
 * @see https://docs.slack.dev/reference/methods/chat.postMessage#errors and https://docs.slack.dev/apis/web-api/rate-limits
 */
export function classifySlackError(status: number, body: SlackResponse | null, headers: Headers): ProviderError {
  const code = body?.error
  const base = { message: code ?? `HTTP ${status}`, status, ...(code === undefined ? {} : { code }) }
  const wait = retryAfterMs(headers)
  const after = wait === undefined ? {} : { retryAfterMs: wait }
  if (status === 429 || code === "ratelimited" || code === "rate_limited")
    return { ...base, kind: "rate_limited", scope: "chat", ...after }
  if (code !== undefined && UNAUTHORIZED.has(code)) return { ...base, kind: "unauthorized" }
  if (code !== undefined && NOT_FOUND.has(code)) return { ...base, kind: "not_found" }
  if (code !== undefined && FORBIDDEN.has(code)) return { ...base, kind: "forbidden" }
  if (status >= 500 || (code !== undefined && TRANSIENT.has(code))) return { ...base, kind: "unavailable", ...after }
  return { ...base, kind: "bad_request" }
}

/** One Web API call: `POST {base}/{method}` with the bot token as Bearer and a JSON body. */
export async function callSlack(
  bot: Bot,
  io: ProviderIO,
  method: string,
  payload: Record<string, unknown>,
): Promise<Result<SlackResponse, ProviderError>> {
  const timeoutMs = io.timeoutMs ?? DEFAULT_TIMEOUT_MS
  let res: { status: number; headers: Headers; text: string }
  try {
    res = await fetchText(
      io.fetch,
      `${bot.apiBase}/${method}`,
      {
        method: "POST",
        headers: {
          authorization: `Bearer ${bot.credentials.botToken}`,
          "content-type": "application/json; charset=utf-8",
        },
        body: JSON.stringify(payload),
      },
      timeoutMs,
    )
  } catch (e) {
    return err(transportError("Slack", e, timeoutMs, bot.credentials.botToken))
  }
  const parsed = slackResponseSchema.safeParse(parseJsonOrUndefined(res.text))
  if (!parsed.success) {
    // A proxy's HTML page or a cut body: nothing says Slack refused the call, so it is retried (or waited out).
    if (res.status === 429) return err(classifySlackError(res.status, null, res.headers))
    return err({
      kind: "unavailable",
      message: `Slack answered HTTP ${res.status} without a Web API body`,
      status: res.status,
    })
  }
  if (parsed.data.ok && res.status >= 200 && res.status < 300) return ok(parsed.data)
  return err(classifySlackError(res.status, parsed.data, res.headers))
}

/** chat.postMessage; the message's `ts` is its id (with the channel, which the chat id already holds). */
export async function sendSlack(
  msg: OutboundMessage,
  bot: Bot,
  io: ProviderIO,
): Promise<Result<SentRef, ProviderError>> {
  const body = slackSendBody(msg)
  if (!body.ok) return err(badRequest(body.error.message))
  const sent = await callSlack(bot, io, "chat.postMessage", body.value)
  if (!sent.ok) return sent
  if (sent.value.ts === undefined)
    return err({ kind: "unavailable", message: "Slack answered ok without a message ts" })
  return ok({ platformMessageId: sent.value.ts })
}

/**
 * auth.test names the workspace and the bot user the token acts as: that pair is the account, so a regenerated
 * token of the same app in the same workspace is the same account, and another workspace's install is not.
 * @see https://docs.slack.dev/reference/methods/auth.test
 */
export async function checkSlackAuth(bot: Bot, io: ProviderIO): Promise<Result<{ accountKey: string }, ProviderError>> {
  const me = await callSlack(bot, io, "auth.test", {})
  if (!me.ok) return me
  const team = me.value.team_id ?? me.value.enterprise_id
  if (!team || !me.value.user_id) return err({ kind: "unavailable", message: "Slack answered auth.test without ids" })
  return ok({ accountKey: `${team}:${me.value.user_id}` })
}
