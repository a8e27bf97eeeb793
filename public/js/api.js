// @ts-check
// The dashboard's only way to the server: the public REST API (the same one in /openapi.json) with the tab's token.

const TOKEN_KEY = "switchboard.token"

/** @typedef {"owner" | "admin" | "viewer"} Role */
/** @typedef {{ sub: string, business_id: string, role: Role, exp: number }} Claims */
/** @typedef {"active" | "stopped" | "error"} BotStatus */
/** @typedef {{ inbound: number, outbound: number, failed: number, failureRate: number | null }} Traffic */
/**
 * @typedef {{ type: "echo" }
 *   | { type: "forward", url: string, timeoutMs?: number }
 *   | { type: "ai", baseUrl: string, model: string, systemPrompt?: string, maxHistory?: number, temperature?: number }
 * } Handler
 */
/**
 * @typedef {{
 *   id: string, platform: string, name: string, status: BotStatus, statusReason: string | null,
 *   createdAt: string, updatedAt: string, lastActive: string | null, handler: Handler,
 *   settings: Record<string, unknown>, limits: Record<string, number>,
 *   credentials: Record<string, string | boolean | undefined>, webhookUrl: string, queueDepth: number,
 *   last24h?: Traffic
 * }} Bot
 */
/** @typedef {{ ok: boolean, error?: { kind: string, message: string } }} SetupResult */
/** @typedef {{ bot: Bot, setup?: SetupResult, signingSecret?: string }} BotWrite */
/** @typedef {{ bots: Bot[], nextCursor: string | null }} BotPage */
/** @typedef {"start" | "stop" | "restart"} ControlAction */
/** @typedef {{ bot: Bot, result: SetupResult }} ControlAnswer */
/**
 * @typedef {{ id: number, at: string, level: "info" | "warn" | "error", event: string, message: string,
 *   detail: Record<string, unknown> | null }} LogEntry
 */
/** @typedef {{ logs: LogEntry[], nextBefore: number | null }} LogPage */
/** @typedef {{ hour: string, inbound: number, outbound: number, failed: number, avgLatencyMs: number | null }} Hour */
/** @typedef {{ hours: Hour[], last24h: Traffic, queue: { queued: number, failed: number }, inboxPending: number }} BotStats */
/**
 * @typedef {{ bots: number, active: number, stopped: number, error: number, queueDepth: number,
 *   inbound24h: number, outbound24h: number, failed24h: number, failureRate: number | null }} Totals
 */
/** @typedef {Totals & { platform: string }} PlatformTotals */
/** @typedef {{ platforms: PlatformTotals[], totals: Totals }} Overview */
/**
 * One credential a platform needs. `label` and `help` are the provider schema's title and description (label falls
 * back to `name`); `secret` fields are write-only; `placeholder` is an example of the value's shape.
 * @typedef {{ name: string, required: boolean, secret: boolean, label: string, help?: string, pattern?: string,
 *   placeholder?: string }} CredentialField
 */
/**
 * @typedef {{ platform: string, displayName: string, credentialFields: CredentialField[],
 *   limits: Record<string, number> }} PlatformSpec
 */
/** @typedef {{ chatId: string, text?: string } & Record<string, unknown>} Reply */
/** @typedef {{ path: string, message: string }} FieldError */

export class ApiError extends Error {
  /**
   * @param {number} status  0 when the server could not be reached
   * @param {string} code
   * @param {string} message
   * @param {FieldError[]} fields  per-field validation messages (422)
   */
  constructor(status, code, message, fields) {
    super(message)
    this.name = "ApiError"
    this.status = status
    this.code = code
    this.fields = fields
  }
}

export const session = {
  /** @returns {string | null} */
  token: () => sessionStorage.getItem(TOKEN_KEY),
  /** @param {string} token */
  set: (token) => sessionStorage.setItem(TOKEN_KEY, token.trim()),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
  /**
   * Claims read from the token for display only: the server checks the signature and enforces the role.
   * @returns {Claims | null}
   */
  claims() {
    const part = this.token()?.split(".")[1]
    if (!part) return null
    try {
      const bytes = Uint8Array.from(atob(part.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0))
      /** @type {unknown} */
      const claims = JSON.parse(new TextDecoder().decode(bytes))
      return isClaims(claims) ? claims : null
    } catch {
      return null
    }
  },
  canWrite() {
    const role = this.claims()?.role
    return role === "owner" || role === "admin"
  },
}

/**
 * @param {unknown} v
 * @returns {v is Claims}
 */
function isClaims(v) {
  if (typeof v !== "object" || v === null) return false
  const c = /** @type {Record<string, unknown>} */ (v)
  return typeof c.business_id === "string" && (c.role === "owner" || c.role === "admin" || c.role === "viewer")
}

/** Called on any 401: the app returns to sign-in with this message. */
let onUnauthorized = (/** @type {string} */ _message) => {}
/** @param {(message: string) => void} handler */
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler
}

/**
 * Older API versions sent credential errors with only a message ("Invalid credentials.botToken: ..."): recover the
 * field path from it so the message still lands next to its field.
 * @param {string} message
 * @returns {FieldError[]}
 */
export function fieldsFromMessage(message) {
  const match = /^Invalid (?:[\w ]+?: )?([A-Za-z_][\w.]*): (.+)$/s.exec(message)
  return match?.[1] && match[2] ? [{ path: match[1], message: match[2] }] : []
}

/**
 * One API call. The response is the documented shape of that endpoint (see the typedefs above); errors become ApiError.
 * @template T
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<T>}
 */
async function request(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" }
  const token = session.token()
  if (token) headers.Authorization = `Bearer ${token}`
  if (body !== undefined) headers["Content-Type"] = "application/json"
  let res
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  } catch {
    throw new ApiError(0, "network", "Could not reach Switchboard. Check your connection and try again.", [])
  }
  const text = res.status === 204 ? "" : await res.text()
  /** @type {unknown} */
  let data = null
  try {
    data = text ? JSON.parse(text) : null
  } catch {
    data = null
  }
  if (res.ok) return /** @type {T} */ (data)

  const error = readError(data)
  const message = error.message ?? `The server answered ${res.status} ${res.statusText}`.trim()
  if (res.status === 401) {
    session.clear()
    onUnauthorized(
      error.code === "token_expired"
        ? "Your session expired. Sign in again to continue."
        : "Your token was not accepted (it may be revoked or signed for another server). Sign in again.",
    )
  }
  const fields = error.fields.length > 0 ? error.fields : res.status === 422 ? fieldsFromMessage(message) : []
  const friendly =
    res.status === 403
      ? "Your role can't do this: viewers have read-only access."
      : res.status === 429
        ? "Too many requests. Wait a moment and try again."
        : message
  throw new ApiError(res.status, error.code ?? "error", friendly, fields)
}

/**
 * Reads `{ error: { code, message, details?: { fields } } }` without trusting its shape.
 * @param {unknown} data
 * @returns {{ code?: string, message?: string, fields: FieldError[] }}
 */
function readError(data) {
  const err = /** @type {{ error?: { code?: unknown, message?: unknown, details?: { fields?: unknown } } } | null} */ (
    data
  )?.error
  const rawFields = err?.details?.fields
  /** @type {FieldError[]} */
  const fields = Array.isArray(rawFields)
    ? rawFields.filter(
        (/** @type {unknown} */ f) =>
          typeof f === "object" &&
          f !== null &&
          typeof (/** @type {FieldError} */ (f).path) === "string" &&
          typeof (/** @type {FieldError} */ (f).message) === "string",
      )
    : []
  return {
    code: typeof err?.code === "string" ? err.code : undefined,
    message: typeof err?.message === "string" ? err.message : undefined,
    fields,
  }
}

const enc = encodeURIComponent

/** Every endpoint the dashboard uses, typed by its documented answer. */
export const api = {
  /** @returns {Promise<{ devSignIn: boolean }>} */
  authConfig: () => request("GET", "/auth/config"),
  /** @param {"owner" | "viewer"} role @returns {Promise<{ token: string, businessId: string, role: Role }>} */
  devToken: (role) => request("POST", `/auth/dev-token?role=${role}`),
  /** @returns {Promise<{ platforms: PlatformSpec[] }>} */
  platforms: () => request("GET", "/api/platforms"),
  /** @param {URLSearchParams} query @returns {Promise<BotPage>} */
  listBots: (query) => request("GET", `/api/bots?${query}`),
  /** @param {string} id @returns {Promise<{ bot: Bot }>} */
  getBot: (id) => request("GET", `/api/bots/${enc(id)}`),
  /** @param {Record<string, unknown>} body @returns {Promise<BotWrite>} */
  createBot: (body) => request("POST", "/api/bots", body),
  /** @param {string} id @param {Record<string, unknown>} body @returns {Promise<BotWrite>} */
  updateBot: (id, body) => request("PATCH", `/api/bots/${enc(id)}`, body),
  /** @param {string} id @returns {Promise<null>} */
  deleteBot: (id) => request("DELETE", `/api/bots/${enc(id)}`),
  /** @param {string} id @param {ControlAction} action @returns {Promise<ControlAnswer>} */
  control: (id, action) => request("POST", `/api/bots/${enc(id)}/control`, { action }),
  /** @param {string} id @param {number} limit @param {number | null} [before] @returns {Promise<LogPage>} */
  logs: (id, limit, before) =>
    request("GET", `/api/bots/${enc(id)}/logs?limit=${limit}${before ? `&before=${before}` : ""}`),
  /** @param {string} id @returns {Promise<BotStats>} */
  stats: (id) => request("GET", `/api/bots/${enc(id)}/stats`),
  /** @returns {Promise<Overview>} */
  overview: () => request("GET", "/api/overview"),
  /**
   * Runs a message through the bot's handler; nothing is sent to the platform.
   * @param {string} botId @param {string} message @param {string} chatId
   * @returns {Promise<{ replies: Reply[] }>}
   */
  testMessage: (botId, message, chatId) => request("POST", "/test/message", { botId, message, chatId }),
}
