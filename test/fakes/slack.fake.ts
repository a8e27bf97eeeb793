// Fake Slack Web API (POST /api/{method}: auth.test, chat.postMessage) plus its deliver control, which signs requests
// the way Slack signs Events API and interactivity requests.
//
// The account of every call is the bot token, so /__fake/fail, /__fake/limits, /__fake/revoke and /__fake/stats take
// the token as `account`. Slack answers most refusals with HTTP 200 and `{ ok: false, error }`: those calls are
// recorded with outcome "ok" (the HTTP status); `stats.accepted` counts the messages really posted.
// Injected failures: "429" HTTP 429 `ratelimited` + Retry-After (retryAfter, default 1 s); "401" `invalid_auth`;
// "403" `token_revoked` (what a revoked or uninstalled app's token gets); "400" the `description` as the error
// string (default `channel_not_found`); "500" HTTP 500 `internal_error`; "502" an HTML gateway page; "timeout".
import { hmacSha256Hex } from "./builders.ts"
import {
  type ApiCall,
  badGatewayHtml,
  type FailRule,
  type FakeDefinition,
  type FakeState,
  holdMs,
  type Platform,
  type RunningFake,
  retrySeconds,
  startFake,
} from "./control.ts"
import { type Answer, type ApiRequest, isRecord, json, type Params, parseParams, post, type Reply } from "./http.ts"
import type { DeliverResult } from "./types.ts"

/** `xoxb-{team digits}-{bot user digits}-{secret}`: the fake reads the workspace and the bot user from the token. */
const tokenPattern = /^xoxb-(\d+)-(\d+)-([A-Za-z0-9]+)$/
const channelPattern = /^[CDG][A-Z0-9]{2,}$/
const tsPattern = /^\d+\.\d+$/

export const fake: FakeDefinition = {
  platform: "slack",
  apiBaseEnv: "SLACK_API_BASE",
  devPort: 8084,
  start: (port, latencyMs) => startSlackFake(port, latencyMs),
  apiBase: (origin) => `${origin}/api`,
}

/** Starts the fake Web API; the base for SLACK_API_BASE is `${origin}/api`. */
export function startSlackFake(port = 0, latencyMs = 0): Promise<RunningFake> {
  let sequence = 0
  const platform: Platform = {
    name: "slack",
    failModes: ["429", "500", "502", "timeout", "401", "403", "400"],
    identify: (req, state) => identify(req, state, () => ++sequence),
    control: async (name, params) => (name === "deliver" ? deliver(params) : undefined),
    reset: () => {},
  }
  return startFake(platform, port, latencyMs)
}

/** `{ ok: false, error }`; HTTP 200 unless told otherwise, as Slack answers. */
function slackError(error: string, status = 200, headers?: Record<string, string>): Reply {
  return json(status, { ok: false, error }, headers)
}

function ratelimited(seconds: number): Reply {
  return slackError("ratelimited", 429, { "Retry-After": String(seconds) })
}

function identify(req: ApiRequest, state: FakeState, next: () => number): ApiCall {
  const match = /^\/api\/([A-Za-z.]+)\/?$/.exec(req.url.pathname)
  const method = match?.[1] ?? req.url.pathname
  const params = parseParams(req)
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1]
  const token = bearer ?? (typeof params === "object" && typeof params.token === "string" ? params.token : "")
  const run = async (): Promise<Answer> => {
    if (!match) return json(404, { ok: false, error: "unknown_method" })
    if (token === "") return slackError("not_authed")
    const parsed = tokenPattern.exec(token)
    if (!parsed) return slackError("invalid_auth")
    if (state.isRevoked(token, token)) return slackError("token_revoked")
    if (typeof params === "string") return slackError("invalid_json")
    const team = `T${parsed[1]}`
    const user = `U${parsed[2]}`
    switch (method) {
      case "auth.test":
        return json(200, {
          ok: true,
          url: `https://fake-${team.toLowerCase()}.slack.com/`,
          team: "Fake Workspace",
          user: "switchboard_bot",
          team_id: team,
          user_id: user,
          bot_id: `B${parsed[2]}`,
          is_enterprise_install: false,
        })
      case "chat.postMessage":
        return postMessage(token, { team, user }, params, state, next)
      default:
        return slackError("unknown_method")
    }
  }
  const body = typeof params === "string" ? req.text : params
  return { account: token, method, body, run, fail: failure }
}

function failure(rule: FailRule): Answer {
  switch (rule.mode) {
    case "429":
      return ratelimited(retrySeconds(rule.retryAfter))
    case "401":
      return slackError(rule.description ?? "invalid_auth")
    case "403":
      return slackError(rule.description ?? "token_revoked")
    case "500":
      return slackError(rule.description ?? "internal_error", 500)
    case "502":
      return { status: 502, text: badGatewayHtml, headers: { "content-type": "text/html" } }
    case "timeout":
      return { hold: holdMs(rule) }
    default:
      return slackError(rule.description ?? "channel_not_found")
  }
}

/** Blocks as chat.postMessage checks them: at most 50, an actions block holds 1-25 elements, button text 75. */
function blocksProblem(blocks: unknown): string | undefined {
  const list = typeof blocks === "string" ? parseBlocks(blocks) : blocks
  if (!Array.isArray(list) || list.length > 50) return "invalid_blocks"
  for (const block of list) {
    if (!isRecord(block) || typeof block.type !== "string") return "invalid_blocks"
    if (block.type !== "actions") continue
    const elements = block.elements
    if (!Array.isArray(elements) || elements.length < 1 || elements.length > 25) return "invalid_blocks"
    for (const e of elements) {
      const text = isRecord(e) && isRecord(e.text) ? e.text.text : undefined
      if (typeof text !== "string" || text.length < 1 || text.length > 75) return "invalid_blocks"
    }
  }
  return undefined
}

function parseBlocks(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/**
 * chat.postMessage: validation, the per-channel limit (`perChatIntervalMs`, Slack's 1 message per second per
 * channel) and the workspace-wide one (`perSecond`), both answered with HTTP 429 `ratelimited` + Retry-After.
 */
function postMessage(
  token: string,
  who: { team: string; user: string },
  params: Params,
  state: FakeState,
  next: () => number,
): Reply {
  const channel = typeof params.channel === "string" ? params.channel : ""
  if (!channelPattern.test(channel)) return slackError("channel_not_found")
  const text = typeof params.text === "string" ? params.text : ""
  if (text.trim() === "" && params.blocks === undefined) return slackError("no_text")
  if (text.length > 40_000) return slackError("msg_too_long")
  if (params.blocks !== undefined) {
    const problem = blocksProblem(params.blocks)
    if (problem) return slackError(problem)
  }
  const threadTs = params.thread_ts
  if (threadTs !== undefined && !(typeof threadTs === "string" && tsPattern.test(threadTs)))
    return slackError("invalid_thread_ts")
  const limits = state.limitsFor(token)
  const retry = retrySeconds(limits.retryAfterSeconds)
  if (limits.perChatIntervalMs && state.recentSends(token, limits.perChatIntervalMs, channel).length > 0) {
    state.rejectByLimit(token)
    return ratelimited(retry)
  }
  if (limits.perSecond && state.recentSends(token, 1_000).length >= limits.perSecond) {
    state.rejectByLimit(token)
    return ratelimited(retry)
  }
  state.accept(token, channel, JSON.stringify([threadTs, text, params.blocks]))
  const ts = `${Math.floor(Date.now() / 1000)}.${String(next()).padStart(6, "0")}`
  const message: Record<string, unknown> = {
    type: "message",
    text,
    user: who.user,
    bot_id: `B${who.user.slice(1)}`,
    team: who.team,
    ts,
  }
  if (typeof threadTs === "string") message.thread_ts = threadTs
  if (params.blocks !== undefined) message.blocks = params.blocks
  return json(200, { ok: true, channel, ts, message })
}

/**
 * POST /__fake/deliver: posts `body` to `url` as Slack would, with `X-Slack-Request-Timestamp` and
 * `X-Slack-Signature` over the exact bytes, signed with `appSecret` (the app's signing secret). A timestamp given in
 * `headers` is the one signed (a replay test signs an old request correctly); a signature given there wins.
 */
async function deliver(params: Params): Promise<Answer> {
  if (typeof params.url !== "string") return json(400, { error: "deliver needs a url (the bot's Request URL)" })
  if (params.body === undefined) return json(400, { error: "deliver needs a body" })
  if (typeof params.appSecret !== "string") return json(400, { error: "deliver needs appSecret (the signing secret)" })
  const sent = typeof params.body === "string" ? params.body : JSON.stringify(params.body)
  const extra: Record<string, string> = {}
  if (isRecord(params.headers)) for (const [k, v] of Object.entries(params.headers)) extra[k.toLowerCase()] = String(v)
  const timestamp = extra["x-slack-request-timestamp"] ?? String(Math.floor(Date.now() / 1000))
  const headers: Record<string, string> = {
    // Interactivity posts a form whose `payload` field is the JSON; the Events API posts JSON.
    "content-type": sent.startsWith("payload=") ? "application/x-www-form-urlencoded" : "application/json",
    "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    "x-slack-request-timestamp": timestamp,
    "x-slack-signature": `v0=${await hmacSha256Hex(params.appSecret, `v0:${timestamp}:${sent}`)}`,
    ...extra,
  }
  const result: DeliverResult = { ...(await post(params.url, new TextEncoder().encode(sent), headers)), sent }
  return json(200, result)
}
