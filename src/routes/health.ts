/** `GET /health`: liveness plus which platforms this deployment is configured for. No auth. */
import { Hono } from "hono"
import type { AppEnv, Env } from "../env"
import { isPlatform, type Platform, platforms } from "../providers"
import { envCredentials } from "../services/env-bot"

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

/** A platform is configured when valid single-bot credentials for it are in the environment. */
function configuredPlatforms(env: Env): Platform[] {
  return platforms.filter((p) => envCredentials(env, p) !== null)
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
