/** `GET /health`: liveness plus which platforms this deployment is configured for. No auth. */
import { Hono } from "hono"
import type { AppEnv, Env } from "../env"
import { isPlatform, type Platform, platforms } from "../providers"

export const VERSION = "0.1.0"

/** The single-bot compatibility platform (`MESSAGING_PLATFORM`); unknown values fall back to whatsapp, loudly. */
export function defaultPlatform(env: Env): Platform {
  const wanted = (env.MESSAGING_PLATFORM ?? "").trim().toLowerCase()
  if (isPlatform(wanted)) return wanted
  console.warn(
    JSON.stringify({ level: "warn", event: "config.messaging_platform_unknown", value: wanted, fallback: "whatsapp" }),
  )
  return "whatsapp"
}

/** A platform is configured when its single-bot env credentials are present. */
function configuredPlatforms(env: Env): Platform[] {
  const has: Record<Platform, boolean> = {
    telegram: Boolean(env.TELEGRAM_BOT_TOKEN),
    whatsapp: Boolean(env.WHATSAPP_ACCESS_TOKEN && env.WHATSAPP_PHONE_NUMBER_ID),
  }
  return platforms.filter((p) => has[p])
}

export const healthApp = new Hono<AppEnv>().get("/", (c) =>
  c.json({
    status: "ok",
    version: VERSION,
    platforms: { supported: platforms, configured: configuredPlatforms(c.env) },
    defaultPlatform: defaultPlatform(c.env),
    time: new Date().toISOString(),
  }),
)
