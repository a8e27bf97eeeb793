/**
 * Discord outbound: OutboundMessage -> message body (content, components, message_reference), channel messages and
 * interaction follow-ups over REST, error classification, and the REST calls of create and setup.
 *
 * `replyTo` markers (set by `addressReply` for a handler's reply to an interaction, usable by the send API too):
 * - `interaction:<token>`: edit the deferred answer (`PATCH /webhooks/{application_id}/{token}/messages/@original`),
 * - `followup:<token>`: a new follow-up message (`POST /webhooks/{application_id}/{token}`),
 * both within the 15 minutes an interaction token lives; any other value is a message id to reply to.
 */
import { z } from "zod"
import { fetchText } from "../lib/http"
import { err, ok, type Result } from "../lib/result"
import {
  type DiscordCredentials,
  discordCommandsSchema,
  discordErrorSchema,
  discordGatewayBotSchema,
  discordUserSchema,
} from "./discord.schema"
import { DEFAULT_TIMEOUT_MS, parseJsonOrUndefined, retryAfterMs, transportError } from "./shared"
import type { BotRuntime, MessageProblem, OutboundMessage, ProviderError, ProviderIO, SentRef } from "./types"

type Bot = BotRuntime<DiscordCredentials>

/** https://discord.com/developers/docs/resources/message#create-message: content up to 2000 characters. */
export const TEXT_MAX = 2000
/** Action rows per message, buttons per row, label and custom_id lengths (message components reference). */
const ROWS_MAX = 5
const ROW_BUTTONS_MAX = 5
const LABEL_MAX = 80

/**
 * Discord markdown: a backslash before punctuation shows it as written. Escaped anywhere: emphasis, code, spoilers,
 * masked links and mentions (the backslash first); at a line's start: quotes, headings and lists. Links stay as they
 * are (Discord finds them before markdown, and a backslash would become part of the URL).
 */
export function escapeDiscordMarkdown(s: string): string {
  return s
    .split(/(\s+)/)
    .map((part) => (/^https?:\/\//i.test(part) ? part : part.replace(/[\\*_~`|<[\]]/g, (ch) => `\\${ch}`)))
    .join("")
    .replace(/^([ \t]*)([>#-])/gm, "$1\\$2")
    .replace(/^([ \t]*\d+)\./gm, "$1\\.")
}

export const INTERACTION_MARKER = "interaction:"
export const FOLLOWUP_MARKER = "followup:"

const badRequest = (message: string): ProviderError => ({ kind: "bad_request", message })
const problem = (path: string, message: string): Result<never, MessageProblem> => err({ path, message })

/**
 * Buttons as action rows: a URL button is style 5 (link), any other style 1 (primary) carrying `data` (or its label)
 * as `custom_id`, which comes back in the click's interaction.
 * @see https://discord.com/developers/docs/components/reference#button
 */
function components(rows: NonNullable<OutboundMessage["buttons"]>): Result<unknown[], MessageProblem> {
  if (rows.length > ROWS_MAX) return problem("buttons", `Discord allows ${ROWS_MAX} rows of buttons`)
  const out: unknown[] = []
  for (const row of rows) {
    if (row.length > ROW_BUTTONS_MAX) return problem("buttons", `Discord allows ${ROW_BUTTONS_MAX} buttons per row`)
    const buttons: Record<string, unknown>[] = []
    for (const b of row) {
      if (b.text.length > LABEL_MAX) return problem("buttons", `Discord button labels: ${LABEL_MAX} characters at most`)
      buttons.push(
        b.url !== undefined
          ? { type: 2, style: 5, label: b.text, url: b.url }
          : { type: 2, style: 1, label: b.text, custom_id: b.data ?? b.text },
      )
    }
    out.push({ type: 1, components: buttons })
  }
  return ok(out)
}

/** The message body Discord takes, or the rule the message breaks. */
export function discordSendBody(msg: OutboundMessage): Result<Record<string, unknown>, MessageProblem> {
  if (msg.template) return problem("template", "Discord has no message templates: send text")
  const body: Record<string, unknown> = { allowed_mentions: { parse: [] } }
  if (msg.text !== undefined) {
    if (msg.text.length > TEXT_MAX) return problem("text", `Discord messages: ${TEXT_MAX} characters at most`)
    body.content = msg.text
  } else if (msg.media) {
    const { kind, url, caption } = msg.media
    // An image shows in an embed; other files travel as their link (Discord unfurls it).
    if (kind === "image") {
      body.embeds = [{ image: { url }, ...(caption ? { description: caption } : {}) }]
    } else {
      const content = caption ? `${caption}\n${url}` : url
      if (content.length > TEXT_MAX) return problem("media.caption", `Discord messages: ${TEXT_MAX} characters at most`)
      body.content = content
    }
  }
  if (msg.buttons) {
    const built = components(msg.buttons)
    if (!built.ok) return built
    body.components = built.value
  }
  const reply = msg.replyTo
  if (reply !== undefined && !reply.startsWith(INTERACTION_MARKER) && !reply.startsWith(FOLLOWUP_MARKER))
    body.message_reference = { message_id: reply, fail_if_not_exists: false }
  return ok(body)
}

function authHeaders(bot: Bot): Record<string, string> {
  return { Authorization: `Bot ${bot.credentials.botToken}`, "Content-Type": "application/json" }
}

/**
 * A refusal by status and `code`. A 429's `retry_after` is seconds as a float; `global` (or X-RateLimit-Global)
 * means the whole bot waits, otherwise only the route (this channel). A follow-up's 401/404 means the interaction's
 * token expired (15 minutes) or is unknown: that message is lost, the bot is fine.
 * @see https://discord.com/developers/docs/topics/rate-limits and .../topics/opcodes-and-status-codes#json
 */
export function classifyDiscordError(status: number, text: string, headers: Headers, webhook = false): ProviderError {
  const parsed = discordErrorSchema.safeParse(parseJsonOrUndefined(text))
  const body = parsed.success ? parsed.data : {}
  const code = body.code === undefined ? undefined : String(body.code)
  const message = `Discord ${status}${code ? ` (${code})` : ""}: ${body.message ?? (text.slice(0, 200) || "no body")}`
  const base = { status, message, ...(code === undefined ? {} : { code }) }
  if (status === 429) {
    const global = body.global === true || headers.get("X-RateLimit-Global") === "true"
    const wait = body.retry_after !== undefined ? Math.ceil(body.retry_after * 1000) : retryAfterMs(headers)
    return {
      ...base,
      kind: "rate_limited",
      scope: global ? "bot" : "chat",
      ...(wait === undefined ? {} : { retryAfterMs: wait }),
    }
  }
  if (status >= 500) return { ...base, kind: "unavailable" }
  if (webhook && (status === 401 || status === 404)) return { ...base, kind: "not_found" }
  if (status === 401) return { ...base, kind: "unauthorized" }
  if (status === 403) return { ...base, kind: "forbidden" }
  if (status === 404) return { ...base, kind: "not_found" }
  return { ...base, kind: "bad_request" }
}

/** Where a message goes: a channel, or an interaction's answer (edit) or follow-up. */
function target(msg: OutboundMessage, bot: Bot): { url: string; method: string; webhook: boolean } {
  const app = encodeURIComponent(bot.credentials.applicationId)
  const reply = msg.replyTo ?? ""
  if (reply.startsWith(INTERACTION_MARKER)) {
    const token = encodeURIComponent(reply.slice(INTERACTION_MARKER.length))
    return { url: `${bot.apiBase}/webhooks/${app}/${token}/messages/@original`, method: "PATCH", webhook: true }
  }
  if (reply.startsWith(FOLLOWUP_MARKER)) {
    const token = encodeURIComponent(reply.slice(FOLLOWUP_MARKER.length))
    return { url: `${bot.apiBase}/webhooks/${app}/${token}`, method: "POST", webhook: true }
  }
  return { url: `${bot.apiBase}/channels/${encodeURIComponent(msg.chatId)}/messages`, method: "POST", webhook: false }
}

/** Calls Discord's REST API; the bot token only ever travels in the Authorization header. */
async function call(
  bot: Bot,
  io: ProviderIO,
  method: string,
  url: string,
  body?: unknown,
  webhook = false,
): Promise<Result<unknown, ProviderError>> {
  const timeoutMs = io.timeoutMs ?? DEFAULT_TIMEOUT_MS
  let res: Awaited<ReturnType<typeof fetchText>>
  try {
    const init: RequestInit = { method, headers: authHeaders(bot) }
    if (body !== undefined) init.body = JSON.stringify(body)
    res = await fetchText(io.fetch, url, init, timeoutMs)
  } catch (e) {
    return err(transportError("Discord", e, timeoutMs, bot.credentials.botToken))
  }
  if (res.status < 200 || res.status >= 300)
    return err(classifyDiscordError(res.status, res.text, res.headers, webhook))
  if (res.status === 204) return ok(null)
  const json = parseJsonOrUndefined(res.text)
  if (json === undefined)
    return err({ kind: "unavailable", status: res.status, message: "Discord answered with something that is not JSON" })
  return ok(json)
}

/** The part of a created message we keep. */
const sentMessageSchema = z.object({ id: z.string() })

export async function sendDiscord(
  msg: OutboundMessage,
  bot: Bot,
  io: ProviderIO,
): Promise<Result<SentRef, ProviderError>> {
  const built = discordSendBody(msg)
  if (!built.ok) return err(badRequest(built.error.message))
  const { url, method, webhook } = target(msg, bot)
  const answer = await call(bot, io, method, url, built.value, webhook)
  if (!answer.ok) return answer
  const sent = sentMessageSchema.safeParse(answer.value)
  if (!sent.success)
    return err({ kind: "unavailable", message: "Discord accepted the message without returning its id" })
  return ok({ platformMessageId: sent.data.id })
}

/** GET /users/@me with the bot token: the bot user's id names the account (for an app's bot, the application id). */
export async function checkDiscordAuth(
  bot: Bot,
  io: ProviderIO,
): Promise<Result<{ accountKey: string }, ProviderError>> {
  const answer = await call(bot, io, "GET", `${bot.apiBase}/users/@me`)
  if (!answer.ok) return answer
  const user = discordUserSchema.safeParse(answer.value)
  if (!user.success) return err({ kind: "unavailable", message: "Discord's /users/@me answer has no user id" })
  return ok({ accountKey: user.data.id })
}

/** GET /gateway/bot: the URL to connect the Gateway to. */
export async function gatewayUrl(bot: Bot, io: ProviderIO): Promise<Result<string, ProviderError>> {
  const answer = await call(bot, io, "GET", `${bot.apiBase}/gateway/bot`)
  if (!answer.ok) return answer
  const parsed = discordGatewayBotSchema.safeParse(answer.value)
  if (!parsed.success) return err({ kind: "unavailable", message: "Discord's /gateway/bot answer has no url" })
  return ok(parsed.data.url)
}

/**
 * Registers the bot's slash commands from `settings.commands` (a JSON array of `{ name, description }`) with
 * `PUT /applications/{id}/commands`, which replaces the whole global set. Without the setting nothing is touched.
 * @see https://discord.com/developers/docs/interactions/application-commands#bulk-overwrite-global-application-commands
 */
export async function registerCommands(bot: Bot, io: ProviderIO): Promise<Result<void, ProviderError>> {
  const raw = bot.settings?.commands
  if (raw === undefined || raw === null) return ok(undefined)
  const parsed = discordCommandsSchema.safeParse(typeof raw === "string" ? parseJsonOrUndefined(raw) : raw)
  if (!parsed.success)
    return err(
      badRequest(`settings.commands must be a JSON array of {name, description}: ${parsed.error.issues[0]?.message}`),
    )
  const commands = parsed.data.map((c) => ({ name: c.name.toLowerCase(), description: c.description, type: 1 }))
  const url = `${bot.apiBase}/applications/${encodeURIComponent(bot.credentials.applicationId)}/commands`
  const answer = await call(bot, io, "PUT", url, commands)
  return answer.ok ? ok(undefined) : answer
}
