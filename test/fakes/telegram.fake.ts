// Fake Telegram Bot API server (POST /bot{token}/{method}), following shared/platforms.md, plus its deliver control.
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
import {
  type Answer,
  type ApiRequest,
  isRecord,
  json,
  type Params,
  parseParams,
  post,
  type Reply,
  unref,
} from "./http.ts"
import {
  botUser,
  nextMessageId,
  nowSeconds,
  objectParam,
  parseChatId,
  send,
  sendMethods,
  type TelegramBot,
  tgError,
  tgOk,
  tooManyRequests,
  type Webhook,
} from "./telegram-send.ts"
import type { DeliverResult } from "./types.ts"

const tokenPattern = /^\d+:[A-Za-z0-9_-]{20,}$/
const secretPattern = /^[A-Za-z0-9_-]{1,256}$/
const loopbackHosts = new Set(["127.0.0.1", "localhost", "[::1]"])

export const fake: FakeDefinition = {
  platform: "telegram",
  apiBaseEnv: "TELEGRAM_API_BASE",
  devPort: 8081,
  start: (port, latencyMs) => startTelegramFake(port, latencyMs),
  apiBase: (origin) => origin,
}

/** Starts the fake Bot API; its base (for TELEGRAM_API_BASE) is the returned origin. */
export function startTelegramFake(port = 0, latencyMs = 0): Promise<RunningFake> {
  const bots = new Map<string, TelegramBot>()
  const botOf = (token: string): TelegramBot => {
    let bot = bots.get(token)
    if (!bot) {
      bot = { token, botId: Number(token.split(":")[0]) || 0, updates: [], nextUpdateId: 1, messageIds: new Map() }
      bots.set(token, bot)
    }
    return bot
  }
  const platform: Platform = {
    name: "telegram",
    failModes: ["429", "500", "502", "timeout", "401", "403", "400", "migrate"],
    identify: (req, state) => identify(req, state, botOf),
    control: async (name, params) => (name === "deliver" ? deliver(params, botOf) : undefined),
    reset: (account) => {
      for (const [token, bot] of bots) {
        if (account !== undefined && token !== account) continue
        if (bot.poller) clearTimeout(bot.poller.timer)
        bots.delete(token)
      }
    },
  }
  return startFake(platform, port, latencyMs)
}

function identify(req: ApiRequest, state: FakeState, botOf: (token: string) => TelegramBot): ApiCall {
  const match = /^\/bot([^/]*)\/([^/]+)\/?$/.exec(req.url.pathname)
  const token = match?.[1] ?? ""
  const method = match?.[2] ?? req.url.pathname
  const params = parseParams(req)
  const fail = (rule: FailRule): Answer => failure(rule, params)
  const run = async (): Promise<Answer> => {
    if (!match) return tgError(404, "Not Found")
    if (!tokenPattern.test(token) || state.isRevoked(token, token)) return tgError(401, "Unauthorized")
    if (typeof params === "string") return tgError(400, `Bad Request: can't parse request: ${params}`)
    return call(botOf(token), method.toLowerCase(), params, state)
  }
  return { account: token, method, body: typeof params === "string" ? req.text : params, run, fail }
}

function failure(rule: FailRule, params: Params | string): Answer {
  const d = rule.description
  switch (rule.mode) {
    case "429":
      return tooManyRequests(retrySeconds(rule.retryAfter), d)
    case "500":
      return tgError(500, d ?? "Internal Server Error")
    case "502":
      return { status: 502, text: badGatewayHtml, headers: { "content-type": "text/html" } }
    case "timeout":
      return { hold: holdMs(rule) }
    case "401":
      return tgError(401, d ?? "Unauthorized")
    case "403":
      return tgError(403, d ?? "Forbidden: bot was blocked by the user")
    case "migrate": {
      const chat = typeof params === "string" ? undefined : parseChatId(params.chat_id)
      const to = rule.migrateTo ?? Number(`-100${Math.abs(chat?.id ?? 1234567890)}`)
      return tgError(400, d ?? "Bad Request: group chat was upgraded to a supergroup chat", { migrate_to_chat_id: to })
    }
    default:
      return tgError(400, d ?? "Bad Request: chat not found")
  }
}

async function call(bot: TelegramBot, method: string, params: Params, state: FakeState): Promise<Answer> {
  if (sendMethods.has(method)) return send(bot, method, params, state)
  switch (method) {
    case "getme":
      return tgOk({
        ...botUser(bot),
        can_join_groups: true,
        can_read_all_group_messages: false,
        supports_inline_queries: false,
      })
    case "answercallbackquery":
      if (!params.callback_query_id) return tgError(400, "Bad Request: QUERY_ID_INVALID")
      if (params.text !== undefined && String(params.text).length > 200)
        return tgError(400, "Bad Request: MESSAGE_TOO_LONG")
      return tgOk(true)
    case "sendchataction":
      if (params.chat_id === undefined || params.chat_id === "") return tgError(400, "Bad Request: chat_id is empty")
      if (!params.action) return tgError(400, "Bad Request: action is empty")
      return tgOk(true)
    case "setmycommands":
    case "deletemycommands":
      return tgOk(true)
    case "setwebhook":
      return setWebhook(bot, params)
    case "deletewebhook": {
      const had = bot.webhook !== undefined
      bot.webhook = undefined
      if (params.drop_pending_updates === true || params.drop_pending_updates === "true") bot.updates = []
      return tgOk(true, had ? "Webhook was deleted" : "Webhook is already deleted")
    }
    case "getwebhookinfo": {
      const w = bot.webhook
      const info: Record<string, unknown> = { url: w?.url ?? "", has_custom_certificate: false }
      info.pending_update_count = w ? 0 : bot.updates.length
      if (w) {
        info.max_connections = w.max_connections
        info.ip_address = "127.0.0.1"
        if (w.allowed_updates) info.allowed_updates = w.allowed_updates
        if (w.last_error_date !== undefined) {
          info.last_error_date = w.last_error_date
          info.last_error_message = w.last_error_message
        }
      }
      return tgOk(info)
    }
    case "getupdates":
      return getUpdates(bot, params)
    default:
      return tgError(404, "Not Found")
  }
}

function setWebhook(bot: TelegramBot, params: Params): Reply {
  if (params.url === undefined) return tgError(400, 'Bad Request: parameter "url" is required')
  const url = String(params.url)
  if (url === "") {
    const had = bot.webhook !== undefined
    bot.webhook = undefined
    return tgOk(true, had ? "Webhook was deleted" : "Webhook is already deleted")
  }
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return tgError(400, "Bad Request: bad webhook: Failed to resolve host: Name or service not known")
  }
  if (parsed.protocol === "http:" && !loopbackHosts.has(parsed.hostname)) {
    return tgError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return tgError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
  }
  if (parsed.protocol === "https:" && !["", "80", "88", "443", "8443"].includes(parsed.port)) {
    return tgError(400, "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
  }
  const secret = params.secret_token
  if (secret !== undefined && (typeof secret !== "string" || !secretPattern.test(secret))) {
    return tgError(400, "Bad Request: secret token contains unallowed characters")
  }
  const maxConnections = Number(params.max_connections ?? 40)
  const allowed = objectParam(params.allowed_updates)
  const webhook: Webhook = {
    url,
    max_connections: Number.isFinite(maxConnections) ? Math.min(100, Math.max(1, Math.trunc(maxConnections))) : 40,
  }
  if (typeof secret === "string") webhook.secret_token = secret
  if (Array.isArray(allowed)) webhook.allowed_updates = allowed.map(String)
  const same = bot.webhook?.url === url
  bot.webhook = webhook
  if (params.drop_pending_updates === true || params.drop_pending_updates === "true") bot.updates = []
  return tgOk(true, same ? "Webhook is already set" : "Webhook was set")
}

function pending(bot: TelegramBot, offset: number, limit: number): Record<string, unknown>[] {
  bot.updates = bot.updates.filter((u) => Number(u.update_id) >= offset)
  return bot.updates.slice(0, limit)
}

/** Long polling: answers at once when updates wait, else when one arrives or `timeout` (max 50 s) passes. */
function getUpdates(bot: TelegramBot, params: Params): Promise<Reply> | Reply {
  if (bot.webhook) {
    return tgError(
      409,
      "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
    )
  }
  const offset = Number(params.offset ?? 0) || 0
  const limit = Math.min(100, Math.max(1, Number(params.limit ?? 100) || 100))
  const timeout = Math.min(50, Math.max(0, Number(params.timeout ?? 0) || 0))
  const ready = pending(bot, offset, limit)
  if (ready.length > 0 || timeout === 0) return tgOk(ready)
  if (bot.poller) {
    clearTimeout(bot.poller.timer)
    bot.poller.resolve(
      tgError(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"),
    )
  }
  return new Promise<Reply>((resolve) => {
    const timer = setTimeout(() => {
      bot.poller = undefined
      resolve(tgOk([]))
    }, timeout * 1000)
    unref(timer)
    bot.poller = { offset, limit, resolve, timer }
  })
}

/** Fills what Telegram always sets and the test need not: update_id, message_id, date. */
function complete(bot: TelegramBot, update: Record<string, unknown>): void {
  if (typeof update.update_id === "number") bot.nextUpdateId = Math.max(bot.nextUpdateId, update.update_id + 1)
  else update.update_id = bot.nextUpdateId++
  for (const key of ["message", "edited_message", "channel_post", "edited_channel_post"]) {
    const message = update[key]
    if (!isRecord(message)) continue
    if (message.date === undefined) message.date = nowSeconds()
    const chat = isRecord(message.chat) ? parseChatId(message.chat.id) : undefined
    if (message.message_id === undefined && chat) message.message_id = nextMessageId(bot, chat.key)
  }
}

/** POST /__fake/deliver: send an Update to the bot's webhook as Telegram would, or queue it for getUpdates. */
async function deliver(params: Params, botOf: (token: string) => TelegramBot): Promise<Answer> {
  if (typeof params.account !== "string") return json(400, { error: "deliver needs an account (the bot token)" })
  const bot = botOf(params.account)
  const body = params.body
  if (isRecord(body)) complete(bot, body)
  const sent = typeof body === "string" ? body : JSON.stringify(body)
  const url = typeof params.url === "string" ? params.url : bot.webhook?.url
  if (!url) {
    if (!isRecord(body)) return json(400, { error: "no webhook set: only an Update object can be queued" })
    bot.updates.push(body)
    const poller = bot.poller
    if (poller) {
      const ready = pending(bot, poller.offset, poller.limit)
      clearTimeout(poller.timer)
      bot.poller = undefined
      poller.resolve(tgOk(ready))
    }
    const queued: DeliverResult = { status: 0, body: "", sent, queued: true }
    return json(200, queued)
  }
  const headers: Record<string, string> = { "content-type": "application/json" }
  if (bot.webhook?.secret_token) headers["x-telegram-bot-api-secret-token"] = bot.webhook.secret_token
  if (isRecord(params.headers)) {
    for (const [k, v] of Object.entries(params.headers)) headers[k.toLowerCase()] = String(v)
  }
  const answer = await post(url, new TextEncoder().encode(sent), headers)
  if (bot.webhook && url === bot.webhook.url && (answer.status < 200 || answer.status > 299)) {
    bot.webhook.last_error_date = nowSeconds()
    bot.webhook.last_error_message = answer.status
      ? `Wrong response from the webhook: ${answer.status}`
      : `Connection failed: ${answer.error ?? "unknown error"}`
  }
  const result: DeliverResult = { ...answer, sent }
  return json(200, result)
}
