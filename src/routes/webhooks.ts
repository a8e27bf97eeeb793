/**
 * Platform webhooks (DESIGN.md §3). No JWT: each request is verified by its platform's mechanism inside the
 * bot's Durable Object, which also de-duplicates and stores it before we answer. No D1 query on this path.
 */

import type { Context } from "hono"
import { Hono } from "hono"
import { bodyLimit } from "hono/body-limit"
import type { WebhookInput, WebhookOutcome, WebhookRefusal } from "../bot/bot-durable-object"
import { botStub, routeStub } from "../bot/stubs"
import { type AppEnv, type Env, envVar } from "../env"
import { fromUtf8 } from "../lib/encoding"
import { errorBody, HttpError } from "../lib/errors"
import { isId } from "../lib/ids"
import { logEvent } from "../lib/log"
import type { Result } from "../lib/result"
import { getProvider, isPlatform, type Platform } from "../providers"
import type { AppWebhook, WebhookReply } from "../providers/types"
import { envBot } from "../services/env-bot"

/** Meta batches up to 3 MB per POST; Telegram updates are far smaller. Anything bigger is not a platform. */
export const WEBHOOK_BODY_LIMIT = 3 * 1024 * 1024

const limit = bodyLimit({
  maxSize: WEBHOOK_BODY_LIMIT,
  onError: (c) => c.json(errorBody("payload_too_large", "Webhook body exceeds 3 MB"), 413),
})

/** The headers the platform's verification reads, and nothing else, travel to the bot's Durable Object. */
function verificationHeaders(platform: Platform, headers: Headers): [string, string][] {
  const out: [string, string][] = []
  for (const name of getProvider(platform).webhookHeaders) {
    const value = headers.get(name)
    if (value !== null) out.push([name, value])
  }
  return out
}

async function toInput(request: Request, platform: Platform, requestId: string): Promise<WebhookInput> {
  return {
    platform,
    method: request.method,
    url: request.url,
    headers: verificationHeaders(platform, request.headers),
    requestId,
    // The raw request's body, not Hono's cached copy: nothing else here reads it.
    body: request.method === "GET" ? new ArrayBuffer(0) : await request.arrayBuffer(),
  }
}

/** A reply the provider wrote itself, as the HTTP answer. */
function providerReply(r: WebhookReply): Response {
  return new Response(r.body, { status: r.status, headers: { "content-type": r.contentType } })
}

/** A JSON answer, as `c.json` writes it (with `headers` besides its content type). */
export function json(body: unknown, status: number, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } })
}

/** The platform's answer: the bot's outcome in HTTP words (the only place webhook statuses are chosen). */
function reply(out: Result<WebhookOutcome, WebhookRefusal>): Response {
  if (!out.ok) {
    switch (out.error.kind) {
      case "not_found":
        throw new HttpError(404, "not_found", "Unknown bot")
      case "unverified":
        return json(errorBody("unauthorized", "unauthorized"), 401)
      case "malformed":
        return json(errorBody("bad_request", out.error.message), 400)
    }
  }
  const outcome = out.value
  switch (outcome.kind) {
    case "stored":
      return outcome.reply ? providerReply(outcome.reply) : json({ ok: true, accepted: outcome.accepted }, 200)
    case "dropped":
      // 200 so the platform stops retrying: a stopped bot does not answer.
      return outcome.reply ? providerReply(outcome.reply) : json({ ok: true, accepted: 0 }, 200)
    case "answered":
      if (outcome.reply.status >= 400) return json(errorBody("forbidden", outcome.reply.body), 403)
      return providerReply(outcome.reply)
  }
}

/**
 * One bot's webhook, `/webhooks/{platform}/{botId}`: the route below and the worker's direct path for POSTs
 * (src/routes/webhook-edge.ts) both answer through it. Throws {@link HttpError} for an unknown platform or bot.
 */
export async function perBotWebhook(
  env: Env,
  request: Request,
  platform: string,
  botId: string,
  requestId: string,
): Promise<Response> {
  if (!isPlatform(platform)) throw new HttpError(404, "not_found", "Unknown platform")
  if (!isId("bot", botId)) throw new HttpError(404, "not_found", "Unknown bot")
  return reply(await botStub(env, botId).ingest(await toInput(request, platform, requestId)))
}

/** `/webhooks/{platform}/{botId}` for every registered platform: a new provider needs no new route. */
function perBot(c: Context<AppEnv>): Promise<Response> {
  return perBotWebhook(c.env, c.req.raw, c.req.param("platform") ?? "", c.req.param("botId") ?? "", c.var.requestId)
}

/** The guide's single-bot routes: `/api/telegram/webhook`, `/api/whatsapp/webhook` (mounted at /api). */
export const compatWebhooksApp = new Hono<AppEnv>()
  .get("/:platform/webhook", envBotWebhook)
  .post("/:platform/webhook", limit, envBotWebhook)

async function envBotWebhook(c: Context<AppEnv>): Promise<Response> {
  const platform = c.req.param("platform") ?? ""
  if (!isPlatform(platform)) throw new HttpError(404, "not_found", "Unknown platform")
  const stub = await envBot(c.env, platform)
  if (!stub) throw new HttpError(404, "not_found", `No ${platform} bot is configured from the environment`)
  return reply(await stub.ingest(await toInput(c.req.raw, platform, c.var.requestId)))
}

/** The platform of an app-level route, when it has one: `/webhooks/{platform}` for one app's many accounts. */
function appWebhookOf(c: Context<AppEnv>): { platform: Platform; app: AppWebhook } {
  const platform = c.req.param("platform") ?? ""
  const app = isPlatform(platform) ? getProvider(platform).appWebhook : undefined
  if (!isPlatform(platform) || !app) throw new HttpError(404, "not_found", "No app-level webhook for this platform")
  return { platform, app }
}

export const webhooksApp = new Hono<AppEnv>()
  .get("/:platform/:botId", perBot)
  .post("/:platform/:botId", limit, perBot)
  // The app-level handshake (WhatsApp's hub.challenge with the deployment's verify token).
  .get("/:platform", (c) => {
    const { app } = appWebhookOf(c)
    const answer = app.challenge?.({ method: "GET", url: c.req.url, headers: c.req.raw.headers }, (n) =>
      envVar(c.env, n),
    )
    if (!answer) throw new HttpError(400, "bad_request", "Not a verification request")
    if (answer.status >= 400) throw new HttpError(403, "forbidden", answer.body)
    return providerReply(answer)
  })
  // One app, many accounts: verify the app's signature once, then fan out by the keys the provider reads.
  .post("/:platform", limit, async (c) => {
    const { platform, app } = appWebhookOf(c)
    const raw = new Uint8Array(await c.req.arrayBuffer())
    const req = { method: "POST", url: c.req.url, headers: c.req.raw.headers }
    const verified = await app.verify(req, raw, (n) => envVar(c.env, n))
    if (!verified.ok) throw new HttpError(401, "unauthorized", verified.error.message)
    const keys = app.keys(fromUtf8(raw))
    if (keys === null) throw new HttpError(400, "bad_request", `Not a ${platform} webhook payload`)
    const input: WebhookInput = {
      platform,
      method: "POST",
      url: c.req.url,
      headers: verificationHeaders(platform, c.req.raw.headers),
      body: raw.buffer,
      preVerified: true,
      requestId: c.var.requestId,
    }
    // Each bot's DO parses only its own account's share of the shared payload.
    const results = await Promise.all(
      keys.map(async (key) => {
        const botId = await routeStub(c.env, platform, key).resolve()
        if (!botId) {
          logEvent("warn", "webhook.unrouted", { platform, accountKey: key })
          return 0
        }
        const out = await botStub(c.env, botId).ingest(input)
        return out.ok && out.value.kind === "stored" ? out.value.accepted : 0
      }),
    )
    return c.json({ ok: true, accepted: results.reduce((a, b) => a + b, 0) })
  })
