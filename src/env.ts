/** Worker bindings, parsed configuration, and the Hono app environment. */

import type { RegistryHub } from "./analytics/registry-hub"
import type { AuthClaims } from "./auth/jwt"
import type { BotDurableObject } from "./bot/bot-durable-object"
import type { RouteDirectory } from "./bot/route-directory"
import type { ContactDurableObject } from "./contacts/contact-durable-object"
import type { BusinessGate } from "./gate/business-gate"
import type { UrlPolicy } from "./lib/url-guard"

export interface Env {
  DB: D1Database
  BOT: DurableObjectNamespace<BotDurableObject>
  ROUTES: DurableObjectNamespace<RouteDirectory>
  CONTACT: DurableObjectNamespace<ContactDurableObject>
  /** Where bots' objects send what the registry must learn, gathered into one D1 batch per hub and interval. */
  REGISTRY_HUB: DurableObjectNamespace<RegistryHub>
  /** Per business (and per IP address without a valid token): the API's rate limit and idempotency records. */
  GATE: DurableObjectNamespace<BusinessGate>
  /** Management API requests a second per business (default 100; `0` or `off`: no limit); src/gate/limits.ts. */
  API_RATE_LIMIT?: string
  /** A business's burst (default twice API_RATE_LIMIT). */
  API_RATE_BURST?: string
  /** Requests a second per IP address without a valid token: /auth, /health, failed sign-ins (default 10). */
  IP_RATE_LIMIT?: string
  /** An IP address's burst (default twice IP_RATE_LIMIT). */
  IP_RATE_BURST?: string
  /** How many registry hubs (1 to 256, default 16): each takes the reports of the bots whose id hashes to it. */
  REGISTRY_HUBS?: string
  /** A bot's rollup coalescing in ms (default 15,000; hubs flush at two thirds of it): the bench shortens it. */
  REGISTRY_FLUSH_MS?: string
  ASSETS?: Fetcher
  JWT_SECRET: string
  ENCRYPTION_KEY: string
  WHATSAPP_APP_SECRET?: string
  PUBLIC_BASE_URL?: string
  TELEGRAM_API_BASE?: string
  WHATSAPP_API_BASE?: string
  SLACK_API_BASE?: string
  DISCORD_API_BASE?: string
  /** Single-bot compatibility mode (the original guide's variables). */
  MESSAGING_PLATFORM?: string
  TELEGRAM_BOT_TOKEN?: string
  /** Where Telegram delivers to the single bot; default PUBLIC_BASE_URL + /api/telegram/webhook. */
  TELEGRAM_WEBHOOK_URL?: string
  /** "true": the single Telegram bot polls getUpdates instead, every TELEGRAM_POLLING_INTERVAL ms. */
  TELEGRAM_POLLING?: string
  TELEGRAM_POLLING_INTERVAL?: string
  WHATSAPP_WEBHOOK_URL?: string
  WHATSAPP_ACCESS_TOKEN?: string
  WHATSAPP_PHONE_NUMBER_ID?: string
  WHATSAPP_VERIFY_TOKEN?: string
  /** "off": bots' significant activity is not also written to the console (on by default). */
  LOG_MIRROR?: string
  /** "development" enables the dashboard's one-click dev sign-in. */
  ENVIRONMENT?: string
  /** Browser origins allowed to call the API (CORS), comma-separated exact origins; none by default. src/lib/cors.ts */
  CORS_ORIGINS?: string
}

export interface AppEnv {
  Bindings: Env
  Variables: {
    auth: AuthClaims
    requestId: string
    /** Set when the request's If-Match held: the resource's `updatedAt` (ms) then (src/routes/conventions.ts). */
    ifMatched?: { updatedAt: number }
  }
}

/** Reads an env variable by name (providers name their own variables), as a string or undefined. */
export function envVar(env: Env, name: string): string | undefined {
  const value: unknown = Reflect.get(env, name)
  return typeof value === "string" && value !== "" ? value : undefined
}

/** Handler URLs: public HTTPS only; plain http to loopback in local development, where the fakes listen. */
export function outboundUrlPolicy(env: Env): UrlPolicy {
  return { allowLoopbackHttp: env.ENVIRONMENT === "development" }
}

export function publicBaseUrl(env: Env, requestUrl?: string): string {
  const base = env.PUBLIC_BASE_URL || (requestUrl ? new URL(requestUrl).origin : "http://127.0.0.1:8787")
  return base.replace(/\/+$/, "")
}
