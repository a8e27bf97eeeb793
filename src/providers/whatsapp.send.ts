/** WhatsApp outbound: OutboundMessage -> Graph `messages` body, the call itself, and error classification by code. */
import { fetchText } from "../lib/http"
import { err, ok, type Result } from "../lib/result"
import { compact, DEFAULT_TIMEOUT_MS, parseJsonOrUndefined, retryAfterMs, transportError } from "./shared"
import type { BotRuntime, OutboundMessage, ProviderError, ProviderIO, SentRef } from "./types"
import {
  type WhatsAppCredentials,
  type WhatsAppError,
  whatsappErrorSchema,
  whatsappSendResponseSchema,
} from "./whatsapp.schema"

/** Business-scoped user id (`US.1349...`, parent `US.ENT.1181...`): sent in `recipient`, never in `to`. */
const BSUID = /^[A-Za-z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$/

const badRequest = (message: string): ProviderError => ({ kind: "bad_request", message })

/**
 * Reply buttons (at most 3, titles up to 20 characters, unique) or one URL button (`cta_url`).
 * @see https://developers.facebook.com/docs/whatsapp/cloud-api/messages/interactive-reply-buttons-messages
 */
function interactive(
  text: string,
  rows: NonNullable<OutboundMessage["buttons"]>,
  header?: Record<string, unknown>,
): Result<Record<string, unknown>, ProviderError> {
  const buttons = rows.flat()
  const first = buttons[0]
  if (text.length > 1024) return err(badRequest("WhatsApp interactive body text is limited to 1024 characters"))
  if (buttons.some((b) => b.text.length > 20)) return err(badRequest("WhatsApp button titles: 20 characters at most"))
  if (first?.url !== undefined) {
    if (buttons.length !== 1) return err(badRequest("WhatsApp allows a URL button only on its own"))
    const action = { name: "cta_url", parameters: { display_text: first.text, url: first.url } }
    return ok({ type: "cta_url", ...header, body: { text }, action })
  }
  if (buttons.some((b) => b.url !== undefined)) return err(badRequest("WhatsApp allows a URL button only on its own"))
  if (buttons.length > 3) return err(badRequest("WhatsApp allows at most 3 reply buttons"))
  const replies = buttons.map((b) => ({ id: b.data ?? b.text, title: b.text }))
  if (
    new Set(replies.map((r) => r.id)).size !== replies.length ||
    new Set(buttons.map((b) => b.text)).size !== buttons.length
  ) {
    return err(badRequest("WhatsApp reply buttons need unique ids and titles"))
  }
  return ok({
    type: "button",
    ...header,
    body: { text },
    action: { buttons: replies.map((reply) => ({ type: "reply", reply })) },
  })
}

/**
 * Builds the body of `POST /{phone_number_id}/messages`.
 * @see https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages
 */
export function whatsappSendBody(msg: OutboundMessage): Result<Record<string, unknown>, ProviderError> {
  const base: Record<string, unknown> = {
    messaging_product: "whatsapp",
    recipient_type: "individual",
    // Graph accepts a BSUID in `to` with 200 and then drops the message; `recipient` is the documented field.
    ...(BSUID.test(msg.chatId) ? { recipient: msg.chatId } : { to: msg.chatId }),
    ...(msg.replyTo === undefined ? {} : { context: { message_id: msg.replyTo } }),
  }
  if (msg.template) {
    if (msg.buttons) return err(badRequest("a template's buttons come from the approved template"))
    const { name, language, parameters, headerParameters, buttonParameters } = msg.template
    // An empty parameter list would be refused by Meta; a template without variables takes no components.
    const texts = (list: string[]) => list.map((text) => ({ type: "text", text }))
    const list = [
      ...(headerParameters?.length ? [{ type: "header", parameters: texts(headerParameters) }] : []),
      ...(parameters?.length ? [{ type: "body", parameters: texts(parameters) }] : []),
      // A URL button's parameter is the dynamic suffix of its URL; `index` is the button's position (as a string).
      ...(buttonParameters ?? []).map((b) => ({
        type: "button",
        sub_type: "url",
        index: String(b.index),
        parameters: texts([b.parameter]),
      })),
    ]
    const components = list.length > 0 ? list : undefined
    return ok({ ...base, type: "template", template: { name, language: { code: language }, components } })
  }
  if (msg.media) {
    const { kind, url, caption, fileName } = msg.media
    const filename = kind === "document" ? fileName : undefined
    if (msg.buttons) {
      if (kind === "audio") return err(badRequest("WhatsApp cannot attach buttons to audio"))
      if (caption === undefined) return err(badRequest("WhatsApp needs a caption as the body of media with buttons"))
      const built = interactive(caption, msg.buttons, {
        header: { type: kind, [kind]: compact({ link: url, filename }) },
      })
      return built.ok ? ok({ ...base, type: "interactive", interactive: built.value }) : built
    }
    // Audio takes no caption on WhatsApp; dropping it beats refusing a message other platforms accept.
    return ok({
      ...base,
      type: kind,
      [kind]: compact({ link: url, caption: kind === "audio" ? undefined : caption, filename }),
    })
  }
  if (msg.text !== undefined) {
    if (msg.buttons) {
      const built = interactive(msg.text, msg.buttons)
      return built.ok ? ok({ ...base, type: "interactive", interactive: built.value }) : built
    }
    return ok({ ...base, type: "text", text: { body: msg.text, preview_url: false } })
  }
  return err(badRequest("nothing to send: one of text, media or template is required"))
}

const RATE_LIMITED = new Set([130429, 4, 80007])
const TRANSIENT = new Set([1, 2, 131000, 131016, 133004])
const DROP = new Set([100, 131026, 131048])

/** platforms.md: pair rate limit of about 1 message per 6 s to the same recipient. */
export const PAIR_WINDOW_MS = 6_000

/**
 * Classifies a Graph API failure by `error.code`, never by HTTP status (throttling has come back as 400 and 429).
 * @see https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes and shared/platforms.md
 */
export function classifyWhatsAppError(status: number, error: WhatsAppError | null, headers: Headers): ProviderError {
  const wait = retryAfterMs(headers)
  const throttled = (scope: "bot" | "chat") =>
    wait === undefined
      ? { kind: "rate_limited" as const, scope }
      : { kind: "rate_limited" as const, scope, retryAfterMs: wait }
  if (error === null) {
    // No Graph error code (a proxy's page, a truncated body): nothing says Meta refused the message, so retry.
    const base = { message: `Graph API answered HTTP ${status} without an error code`, status }
    return status === 429 ? { ...base, ...throttled("bot") } : { ...base, kind: "unavailable" }
  }
  const { code } = error
  const details = error.error_data?.details
  const message = [error.message ?? `Graph error ${code}`, details].filter(Boolean).join(": ")
  const base = { message, status, code: String(code) }
  if (RATE_LIMITED.has(code)) return { ...base, ...throttled("bot") }
  // Pair rate limit: only this recipient is throttled; the rest of the queue keeps moving. Meta allows about one
  // message per 6 s to the same user once the burst is spent, so wait at least that long unless told otherwise.
  if (code === 131056)
    return { ...base, kind: "rate_limited", scope: "chat", retryAfterMs: Math.max(wait ?? 0, PAIR_WINDOW_MS) }
  if (code === 131047) return { ...base, kind: "window_closed" }
  // 190 expired/invalid token; 10 and 200-299 a missing permission: every later send would fail the same way.
  if (code === 190 || code === 10 || (code >= 200 && code <= 299)) return { ...base, kind: "unauthorized" }
  if (DROP.has(code)) return { ...base, kind: "bad_request" }
  if (TRANSIENT.has(code) || status >= 500) return { ...base, kind: "unavailable" }
  return { ...base, kind: "bad_request" }
}

/**
 * Sends one message: `POST {base}/{phone_number_id}/messages` with the bot's bearer token.
 * @see https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages
 */
export async function sendWhatsApp(
  msg: OutboundMessage,
  bot: BotRuntime<WhatsAppCredentials>,
  io: ProviderIO,
): Promise<Result<SentRef, ProviderError>> {
  const body = whatsappSendBody(msg)
  if (!body.ok) return body
  const timeoutMs = io.timeoutMs ?? DEFAULT_TIMEOUT_MS
  let status: number
  let headers: Headers
  let text: string
  try {
    const res = await fetchText(
      io.fetch,
      `${bot.apiBase}/${bot.credentials.phoneNumberId}/messages`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${bot.credentials.accessToken}`, "content-type": "application/json" },
        body: JSON.stringify(body.value),
      },
      timeoutMs,
    )
    status = res.status
    headers = res.headers
    text = res.text
  } catch (e) {
    return err(transportError("the Graph API", e, timeoutMs))
  }
  const json = parseJsonOrUndefined(text)
  if (status >= 200 && status < 300) {
    const id = whatsappSendResponseSchema.safeParse(json).data?.messages[0]?.id
    if (id !== undefined) return ok({ platformMessageId: id })
    return err({ kind: "unavailable", message: `Graph API answered HTTP ${status} without a message id`, status })
  }
  const graph = whatsappErrorSchema.safeParse(json)
  return err(classifyWhatsAppError(status, graph.success ? graph.data.error : null, headers))
}

/**
 * Proves the access token reaches this phone number: `GET {base}/{phone_number_id}`. A token of another business
 * gets Graph error 100 (subcode 33, "does not exist ... missing permissions"), an expired one 190.
 * @see https://developers.facebook.com/docs/whatsapp/cloud-api/reference/phone-numbers
 */
export async function checkPhoneNumber(
  bot: BotRuntime<WhatsAppCredentials>,
  io: ProviderIO,
): Promise<Result<{ accountKey: string }, ProviderError>> {
  const timeoutMs = io.timeoutMs ?? DEFAULT_TIMEOUT_MS
  let res: { status: number; headers: Headers; text: string }
  try {
    res = await fetchText(
      io.fetch,
      `${bot.apiBase}/${bot.credentials.phoneNumberId}?fields=id,display_phone_number`,
      { method: "GET", headers: { authorization: `Bearer ${bot.credentials.accessToken}` } },
      timeoutMs,
    )
  } catch (e) {
    return err(transportError("the Graph API", e, timeoutMs))
  }
  // The account is the number itself: its id is what app-level webhooks name it by.
  if (res.status >= 200 && res.status < 300) return ok({ accountKey: bot.credentials.phoneNumberId })
  const graph = whatsappErrorSchema.safeParse(parseJsonOrUndefined(res.text))
  return err(classifyWhatsAppError(res.status, graph.success ? graph.data.error : null, res.headers))
}
