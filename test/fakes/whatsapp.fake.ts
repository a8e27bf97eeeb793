// Fake WhatsApp Cloud API server (POST /v{N}.{M}/{phone_number_id}/messages), following shared/platforms.md.

import { whatsappSignature } from "./builders.ts"
import {
  type ApiCall,
  badGatewayHtml,
  type FailRule,
  type FakeDefinition,
  type FakeState,
  holdMs,
  type Platform,
  type RunningFake,
  startFake,
} from "./control.ts"
import {
  type Answer,
  type ApiRequest,
  isRecord,
  json,
  type Params,
  parseParams,
  post,
  type Reply,
  randomToken,
} from "./http.ts"
import type { DeliverResult } from "./types.ts"

/** Messages and details Meta returns for the codes the queue cares about (Cloud API error-codes page). */
const known: Record<number, { message: string; details?: string }> = {
  1: { message: "An unknown error has occurred." },
  2: { message: "An unexpected error has occurred. Please retry your request later." },
  4: { message: "(#4) Application request limit reached" },
  10: { message: "(#10) Application does not have permission for this action" },
  100: { message: "(#100) Invalid parameter" },
  190: { message: "Error validating access token: Session has expired." },
  80007: {
    message: "(#80007) Rate limit issues",
    details: "The WhatsApp Business Account has reached its rate limit.",
  },
  130429: { message: "(#130429) Rate limit hit", details: "Cloud API message throughput has been reached." },
  131000: { message: "(#131000) Something went wrong", details: "Message failed to send due to an unknown error." },
  131009: { message: "(#131009) Parameter value is not valid" },
  131026: {
    message: "(#131026) Message undeliverable",
    details:
      "Unable to deliver message. The recipient may not be a WhatsApp user or may be on an old WhatsApp version.",
  },
  131047: {
    message: "(#131047) Re-engagement message",
    details:
      "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
  },
  131048: {
    message: "(#131048) Spam rate limit hit",
    details:
      "Message failed to send because there are restrictions on how many messages can be sent from this phone number.",
  },
  131056: {
    message: "(#131056) (Business Account, Consumer Account) pair rate limit hit",
    details:
      "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.",
  },
  132001: { message: "(#132001) Template name does not exist in the translation" },
}

interface GraphErrorExtra {
  details?: string
  subcode?: number
  headers?: Record<string, string>
}

/** `{ error: { message, type, code, error_subcode?, error_data?: { messaging_product, details }, fbtrace_id } }`. */
export function graphError(status: number, code: number, message?: string, extra: GraphErrorExtra = {}): Reply {
  const error: Record<string, unknown> = {
    message: message ?? known[code]?.message ?? `(#${code}) Error`,
    type: "OAuthException",
    code,
  }
  if (extra.subcode !== undefined) error.error_subcode = extra.subcode
  const details = extra.details ?? known[code]?.details
  if (details !== undefined) error.error_data = { messaging_product: "whatsapp", details }
  if (code === 1 || code === 2) error.is_transient = true
  error.fbtrace_id = randomToken(23)
  return json(status, { error }, extra.headers)
}

function invalid(message: string, details?: string): Reply {
  return graphError(400, 100, message, details === undefined ? {} : { details })
}

function tokenError(message: string, subcode?: number): Reply {
  const headers = { "WWW-Authenticate": `OAuth "Facebook Platform" "invalid_token" "${message}"` }
  return graphError(401, 190, message, subcode === undefined ? { headers } : { subcode, headers })
}

/** The Graph API version in the base the worker is given, as in the real `https://graph.facebook.com/v21.0`. */
export const whatsappVersion = "v21.0"

export const fake: FakeDefinition = {
  platform: "whatsapp",
  apiBaseEnv: "WHATSAPP_API_BASE",
  devPort: 8082,
  start: (port, latencyMs) => startWhatsAppFake(port, latencyMs),
  apiBase: (origin) => `${origin}/${whatsappVersion}`,
}

/** Starts the fake Graph API; the base for WHATSAPP_API_BASE is `${origin}/v21.0`. */
export function startWhatsAppFake(port = 0, latencyMs = 0): Promise<RunningFake> {
  const platform: Platform = {
    name: "whatsapp",
    failModes: ["429", "500", "502", "timeout", "401", "403", "400", "wa_code"],
    identify,
    control: async (name, params) => {
      if (name === "deliver") return deliver(params)
      if (name === "window") return windowControl(params)
      return undefined
    },
    reset: () => {},
  }
  return startFake(platform, port, latencyMs)
}

function identify(req: ApiRequest, state: FakeState): ApiCall {
  const match = /^(?:\/v\d+\.\d+)?\/([^/]+)(?:\/([^/]+))?\/?$/.exec(req.url.pathname)
  const account = match?.[1] ?? ""
  const edge = match?.[2]
  const method = match ? (edge ?? "phone") : req.url.pathname
  const params = parseParams(req)
  const run = async (): Promise<Answer> => {
    if (!match) return graphError(400, 2500, `Unknown path components: ${req.url.pathname}`)
    const header = req.headers.authorization ?? ""
    const token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() ?? req.url.searchParams.get("access_token") ?? ""
    if (token === "") return tokenError("Invalid OAuth access token - Cannot parse access token")
    if (token.includes("expired")) return tokenError("Error validating access token: Session has expired.", 463)
    if (state.isRevoked(account, token)) {
      return tokenError("Error validating access token: The session has been invalidated by the user.", 460)
    }
    if (!state.owns(account, token)) {
      return graphError(
        400,
        100,
        `Unsupported ${req.method.toLowerCase()} request. Object with ID '${account}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
        { subcode: 33 },
      )
    }
    if (!/^\d+$/.test(account)) {
      return graphError(400, 100, `Unsupported post request. Object with ID '${account}' does not exist.`, {
        subcode: 33,
      })
    }
    if (edge === undefined && req.method === "GET") return json(200, phoneInfo(account))
    if (edge !== "messages" || req.method !== "POST") {
      return graphError(400, 100, `Unsupported ${req.method.toLowerCase()} request.`, { subcode: 33 })
    }
    if (typeof params === "string") return invalid("(#100) Invalid parameter", params)
    return sendMessage(account, params, state)
  }
  const body = typeof params === "string" ? req.text : params
  return { account, method, body, run, fail: failure }
}

function failure(rule: FailRule): Answer {
  const d = rule.description
  switch (rule.mode) {
    case "429": {
      const headers = rule.retryAfter === undefined ? undefined : { "Retry-After": String(Math.ceil(rule.retryAfter)) }
      return graphError(429, rule.code ?? 130429, d, headers ? { headers } : {})
    }
    case "500":
      return graphError(500, rule.code ?? 1, d)
    case "502":
      return { status: 502, text: badGatewayHtml, headers: { "content-type": "text/html" } }
    case "timeout":
      return { hold: holdMs(rule) }
    case "401":
      return tokenError(d ?? "Error validating access token: Session has expired.", 463)
    case "403":
      return graphError(403, rule.code ?? 10, d)
    case "400":
      return graphError(400, rule.code ?? 100, d)
    default: {
      const code = rule.code ?? 131000
      return graphError(rule.httpStatus ?? (code === 190 ? 401 : 400), code, d)
    }
  }
}

function phoneInfo(id: string): Record<string, unknown> {
  return {
    verified_name: "Fake Business",
    display_phone_number: "+1 555-010-0000",
    id,
    quality_rating: "GREEN",
    code_verification_status: "VERIFIED",
    platform_type: "CLOUD_API",
    throughput: { level: "STANDARD" },
  }
}

const types = [
  "text",
  "image",
  "document",
  "audio",
  "video",
  "sticker",
  "template",
  "interactive",
  "reaction",
  "location",
  "contacts",
]
const mediaTypes = new Set(["image", "document", "audio", "video", "sticker"])

function sendMessage(account: string, params: Params, state: FakeState): Reply {
  if (params.messaging_product === undefined) return invalid("(#100) The parameter messaging_product is required.")
  if (params.messaging_product !== "whatsapp") {
    return invalid(
      `(#100) Param messaging_product must be one of {WHATSAPP} - got "${String(params.messaging_product)}".`,
    )
  }
  if (params.status === "read") {
    return typeof params.message_id === "string"
      ? json(200, { success: true })
      : invalid("(#100) The parameter message_id is required.")
  }
  if (
    params.recipient_type !== undefined &&
    params.recipient_type !== "individual" &&
    params.recipient_type !== "group"
  ) {
    return invalid(
      `(#100) Param recipient_type must be one of {GROUP, INDIVIDUAL} - got "${String(params.recipient_type)}".`,
    )
  }
  if (params.to === undefined || params.to === "") return invalid("(#100) The parameter to is required.")
  const to = String(params.to)
  const type = params.type === undefined ? "text" : String(params.type)
  if (!types.includes(type)) {
    return invalid(
      `(#100) Param type must be one of {${types.map((t) => t.toUpperCase()).join(", ")}} - got "${type}".`,
    )
  }
  const content = params[type]
  if (!isRecord(content)) return invalid(`(#100) The parameter ${type} is required.`)
  const problem = checkContent(type, content)
  if (problem) return problem
  if (params.context !== undefined && !(isRecord(params.context) && typeof params.context.message_id === "string")) {
    return invalid("(#100) Param context['message_id'] must be a string.")
  }

  if (type !== "template" && outsideWindow(account, to)) return graphError(400, 131047)
  const limits = state.limitsFor(account)
  if (limits.perSecond && state.recentSends(account, 1_000).length >= limits.perSecond) {
    state.rejectByLimit(account)
    return graphError(400, 130429)
  }
  if (
    limits.pairPerWindow &&
    state.recentSends(account, limits.pairWindowMs ?? 6_000, to).length >= limits.pairPerWindow
  ) {
    state.rejectByLimit(account)
    return graphError(400, 131056)
  }
  state.accept(account, to, JSON.stringify([type, content]))
  const message: Record<string, string> = { id: `wamid.HBgL${randomToken(40)}AA==` }
  if (type === "template") message.message_status = "accepted"
  return json(200, {
    messaging_product: "whatsapp",
    contacts: [{ input: to, wa_id: to.replace(/\D/g, "") }],
    messages: [message],
  })
}

function checkContent(type: string, c: Record<string, unknown>): Reply | undefined {
  if (type === "text") {
    if (typeof c.body !== "string" || c.body.length === 0)
      return invalid("(#100) The parameter text['body'] is required.")
    if (c.body.length > 4096) return invalid("(#100) Param text['body'] must be at most 4096 characters long.")
  } else if (mediaTypes.has(type)) {
    if (c.id === undefined && c.link === undefined) {
      return invalid(`(#100) Param ${type} must contain either 'id' or 'link'.`)
    }
    if (c.link !== undefined && !/^https?:\/\/\S+$/.test(String(c.link))) {
      return invalid(`(#100) Param ${type}['link'] is not a valid URI.`)
    }
    if (c.caption !== undefined && String(c.caption).length > 1024) {
      return invalid(`(#100) Param ${type}['caption'] must be at most 1024 characters long.`)
    }
  } else if (type === "template") {
    if (typeof c.name !== "string" || c.name === "")
      return invalid("(#100) The parameter template['name'] is required.")
    if (!isRecord(c.language) || typeof c.language.code !== "string" || c.language.code === "") {
      return invalid("(#100) The parameter template['language']['code'] is required.")
    }
  } else if (type === "interactive") {
    return checkInteractive(c)
  } else if (type === "reaction") {
    if (typeof c.message_id !== "string") return invalid("(#100) The parameter reaction['message_id'] is required.")
    if (typeof c.emoji !== "string") return invalid("(#100) The parameter reaction['emoji'] is required.")
  }
  return undefined
}

function checkInteractive(c: Record<string, unknown>): Reply | undefined {
  const kinds = ["button", "list", "cta_url", "flow", "product", "product_list", "location_request_message"]
  if (typeof c.type !== "string" || !kinds.includes(c.type)) {
    return invalid("(#100) The parameter interactive['type'] is required.")
  }
  if (!isRecord(c.action)) return invalid("(#100) The parameter interactive['action'] is required.")
  if ((c.type === "button" || c.type === "list") && !(isRecord(c.body) && typeof c.body.text === "string")) {
    return invalid("(#100) The parameter interactive['body'] is required.")
  }
  if (c.type === "button") {
    const buttons = c.action.buttons
    if (!Array.isArray(buttons) || buttons.length < 1 || buttons.length > 3) {
      return graphError(400, 131009, undefined, { details: "Buttons count is invalid. Min: 1, Max: 3" })
    }
    for (const b of buttons) {
      const title = isRecord(b) && isRecord(b.reply) ? b.reply.title : undefined
      if (typeof title !== "string" || title.length < 1 || title.length > 20) {
        return graphError(400, 131009, undefined, {
          details: "Button title length invalid. Min length: 1, Max length: 20",
        })
      }
    }
  }
  if (c.type === "list" && !(typeof c.action.button === "string" && Array.isArray(c.action.sections))) {
    return graphError(400, 131009, undefined, { details: "action['button'] and action['sections'] are required" })
  }
  return undefined
}

/** POST /__fake/deliver: sign the raw body with the app secret (X-Hub-Signature-256) and post it to `url`. */
async function deliver(params: Params): Promise<Answer> {
  if (typeof params.url !== "string") return json(400, { error: "deliver needs a url (the worker's webhook)" })
  if (params.body === undefined) return json(400, { error: "deliver needs a body" })
  const sent = typeof params.body === "string" ? params.body : JSON.stringify(params.body)
  noteInbound(params.body)
  const bytes = new TextEncoder().encode(sent)
  const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "facebookexternalua" }
  if (typeof params.appSecret === "string") {
    headers["x-hub-signature-256"] = await whatsappSignature(params.appSecret, bytes)
  }
  if (isRecord(params.headers)) {
    for (const [k, v] of Object.entries(params.headers)) headers[k.toLowerCase()] = String(v)
  }
  const result: DeliverResult = { ...(await post(params.url, bytes, headers)), sent }
  return json(200, result)
}

// ---- the customer service window (https://developers.facebook.com/docs/whatsapp/cloud-api/guides/send-messages) ----

/** Numbers whose sends the fake holds to the 24-hour window (opt-in: `window` control with `enforce: true`). */
const enforced = new Set<string>()
/** When each person last wrote to each number: from deliveries through this fake and the `window` control. */
const lastInbound = new Map<string, Map<string, number>>()
const WINDOW_MS = 24 * 3600_000

function outsideWindow(account: string, to: string): boolean {
  if (!enforced.has(account)) return false
  const at = lastInbound.get(account)?.get(to.replace(/\D/g, ""))
  return at === undefined || Date.now() - at > WINDOW_MS
}

function wrote(account: string, from: string, at: number): void {
  const people = lastInbound.get(account) ?? new Map<string, number>()
  people.set(from.replace(/\D/g, ""), at)
  lastInbound.set(account, people)
}

/** Messages in a delivered webhook open the window of their sender on their number. */
function noteInbound(body: unknown): void {
  const parsed = typeof body === "string" ? safeJson(body) : body
  if (!isRecord(parsed) || !Array.isArray(parsed.entry)) return
  for (const entry of parsed.entry) {
    if (!isRecord(entry) || !Array.isArray(entry.changes)) continue
    for (const change of entry.changes) {
      const value = isRecord(change) && isRecord(change.value) ? change.value : null
      const account = value && isRecord(value.metadata) ? String(value.metadata.phone_number_id ?? "") : ""
      if (!value || !Array.isArray(value.messages)) continue
      for (const m of value.messages) if (isRecord(m) && typeof m.from === "string") wrote(account, m.from, Date.now())
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** `{ account, enforce?: boolean, from?: string, at?: ms }`: turn the window on or off, or record that `from` wrote. */
function windowControl(params: Params): Answer {
  if (typeof params.account !== "string") return json(400, { error: "window needs an account" })
  if (typeof params.enforce === "boolean") {
    if (params.enforce) enforced.add(params.account)
    else enforced.delete(params.account)
  }
  if (typeof params.from === "string")
    wrote(params.account, params.from, typeof params.at === "number" ? params.at : Date.now())
  return json(200, { ok: true })
}
