/** Worker bindings, parsed configuration, and the Hono app environment. */

import type { AuthClaims } from "./auth/jwt"
import type { BotDurableObject } from "./bot/bot-durable-object"
import type { RouteDirectory } from "./bot/route-directory"

export interface Env {
  DB: D1Database
  BOT: DurableObjectNamespace<BotDurableObject>
  ROUTES: DurableObjectNamespace<RouteDirectory>
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
  TELEGRAM_WEBHOOK_SECRET?: string
  WHATSAPP_ACCESS_TOKEN?: string
  WHATSAPP_PHONE_NUMBER_ID?: string
  WHATSAPP_VERIFY_TOKEN?: string
  /** "development" enables the dashboard's one-click dev sign-in. */
  ENVIRONMENT?: string
}

export interface AppEnv {
  Bindings: Env
  Variables: { auth: AuthClaims; requestId: string }
}

/** Real platform API bases; env vars point them at the fakes in tests and local demos. */
export const defaultApiBases = {
  telegram: "https://api.telegram.org",
  whatsapp: "https://graph.facebook.com/v21.0",
  slack: "https://slack.com/api",
  discord: "https://discord.com/api/v10",
} as const

export function apiBase(env: Env, platform: string): string {
  const configured: Record<string, string | undefined> = {
    telegram: env.TELEGRAM_API_BASE,
    whatsapp: env.WHATSAPP_API_BASE,
    slack: env.SLACK_API_BASE,
    discord: env.DISCORD_API_BASE,
  }
  const fallback: Record<string, string> = defaultApiBases
  return (configured[platform] || fallback[platform] || "").replace(/\/+$/, "")
}

export function publicBaseUrl(env: Env, requestUrl?: string): string {
  const base = env.PUBLIC_BASE_URL || (requestUrl ? new URL(requestUrl).origin : "http://127.0.0.1:8787")
  return base.replace(/\/+$/, "")
}
