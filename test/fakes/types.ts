// Wire types of the fakes' control API (/__fake/*), shared by the Node servers and the fetch-only client.

/** How an injected failure answers. Telegram takes all but "wa_code"; WhatsApp all but "migrate". */
export type FailMode = "429" | "500" | "502" | "timeout" | "401" | "403" | "400" | "migrate" | "wa_code"

export const failModes: readonly FailMode[] = [
  "429",
  "500",
  "502",
  "timeout",
  "401",
  "403",
  "400",
  "migrate",
  "wa_code",
]

/** Body of `POST /__fake/fail`: the next `times` calls of `account` (and `method`, if given) fail as `mode`. */
export interface FailRuleInput {
  /** Telegram bot token, or WhatsApp phone_number_id. */
  account: string
  /** Telegram method (case-insensitive), or "messages" on WhatsApp. Omitted: any method. */
  method?: string
  mode: FailMode
  /** Default 1. */
  times?: number
  /** Seconds, for Telegram 429 (`parameters.retry_after` and `Retry-After`); default 1. */
  retryAfter?: number
  /** WhatsApp Graph error code for "wa_code" (and "429"/"400" overrides), e.g. 130429, 131056, 131047, 190. */
  code?: number
  /** HTTP status for "wa_code"; default 400 (401 for code 190). */
  httpStatus?: number
  /** Overrides the error description / message. */
  description?: string
  /** Telegram "migrate": the new supergroup id; default -100 followed by the old id's digits. */
  migrateTo?: number
  /** "timeout": how long the socket is held before it is destroyed; default and max 30000 ms. */
  holdMs?: number
}

/** Body of `POST /__fake/limits`; without `account` it is the default for every account without its own. */
export interface LimitsInput {
  account?: string
  /** Telegram: minimum gap between two accepted sends to the same chat. */
  perChatIntervalMs?: number
  /** Telegram: sends per bot in a sliding 1 s window; WhatsApp: messages per number per second (130429). */
  perSecond?: number
  /** Telegram: sends per group chat (negative chat id) in a sliding 60 s window. */
  groupPerMinute?: number
  /** Telegram `retry_after` for limit violations; integer >= 1, default 1. */
  retryAfterSeconds?: number
  /** WhatsApp: messages to the same recipient within `pairWindowMs` (131056). */
  pairPerWindow?: number
  /** WhatsApp pair window; default 6000 ms. */
  pairWindowMs?: number
}

export type Limits = Omit<LimitsInput, "account">

/** "ok" for any 2xx, the HTTP status otherwise, "timeout" when the fake never answered. */
export type Outcome = "ok" | number | "timeout" | "pending"

export interface RecordedRequest {
  account: string
  /** Telegram method as called, or "messages" (or the last path segment) on WhatsApp. */
  method: string
  path: string
  /** Parsed JSON body (form and query fields as an object of strings); the raw text if it was not parseable. */
  body: unknown
  /** Lower-cased names; `authorization` is redacted. */
  headers: Record<string, string>
  /** Arrival time, ms since the epoch. */
  at: number
  outcome: Outcome
}

export interface Stats {
  /** Sends that succeeded. */
  accepted: number
  /** Sends refused by the enforced limits (Telegram 429; WhatsApp 130429 / 131056). */
  rejected429: number
  /** Accepted sends per chat id (Telegram chat_id, WhatsApp `to`). */
  byChat: Record<string, number>
  /** Accepted sends identical (same chat, method and content) to an earlier accepted send. */
  duplicates: number
  /** Calls answered by an injected failure (`/__fake/fail`). */
  injected: number
}

/** Body of `POST /__fake/deliver`. */
export interface DeliverInput {
  account: string
  /** Telegram: defaults to the webhook set with setWebhook. WhatsApp: required. */
  url?: string
  /** An object is sent as JSON; a string is sent as is (exact bytes, e.g. to test signatures). */
  body: unknown
  /** Extra headers; they win over the ones the fake sets (e.g. a wrong signature). */
  headers?: Record<string, string>
  /** WhatsApp: the app secret used for `X-Hub-Signature-256`. */
  appSecret?: string
}

export interface DeliverResult {
  /** The receiver's HTTP status; 0 if it could not be reached (see `error`). Telegram with no webhook: 0 and `queued`. */
  status: number
  body: string
  /** The exact JSON text that was posted (Telegram fills update_id, message_id and date when missing). */
  sent: string
  queued?: boolean
  error?: string
}
