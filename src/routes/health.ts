/** `GET /health`: liveness plus which platforms this deployment is configured for. No auth. */
import { Hono } from "hono"
import type { AppEnv, Env } from "../env"
import { logEvent } from "../lib/log"
import { isPlatform, type Platform, platforms } from "../providers"
import { envSettings, envWebhookUrl } from "../services/env-bot"

export const VERSION = "0.1.0"

/** The single-bot compatibility platform (`MESSAGING_PLATFORM`); unknown values fall back to whatsapp, loudly. */
export function defaultPlatform(env: Env): Platform {
  const wanted = (env.MESSAGING_PLATFORM ?? "").trim().toLowerCase()
  if (isPlatform(wanted)) return wanted
  logEvent("warn", "config.messaging_platform_unknown", { value: wanted, fallback: "whatsapp" })
  return "whatsapp"
}

/** The single-bot mode per configured platform: where its platform delivers (or that it polls). */
function singleBots(env: Env) {
  const out: Partial<Record<Platform, { webhookUrl: string | null; updates: "webhook" | "polling" }>> = {}
  for (const platform of platforms) {
    const settings = envSettings(env, platform)
    if (!settings) continue
    out[platform] = settings.polling
      ? { webhookUrl: null, updates: "polling" }
      : { webhookUrl: envWebhookUrl(env, platform, settings), updates: "webhook" }
  }
  return out
}

export const healthApp = new Hono<AppEnv>().get("/", (c) => {
  const singleBot = singleBots(c.env)
  return c.json({
    status: "ok",
    version: VERSION,
    platforms: { supported: platforms, configured: platforms.filter((p) => singleBot[p] !== undefined) },
    defaultPlatform: defaultPlatform(c.env),
    /** The original guide's single-bot mode: each env-configured platform's callback URL (or polling). */
    singleBot,
    time: new Date().toISOString(),
  })
})
