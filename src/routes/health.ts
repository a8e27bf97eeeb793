/**
 * `GET /health`: whether the registry (D1) answers and how fast, the build's version, and which platforms this
 * deployment is configured for. No auth. 503 (same body) when D1 does not answer: the API cannot work without it.
 */
import { Hono } from "hono"
import pkg from "../../package.json"
import type { AppEnv, Env } from "../env"
import { logEvent } from "../lib/log"
import { isPlatform, type Platform, platforms } from "../providers"
import { envSettings, envWebhookUrl } from "../services/env-bot"

/** The version in package.json, fixed at build time. */
export const VERSION: string = pkg.version
/** A registry slower than this to answer `SELECT 1` counts as unreachable. */
const D1_TIMEOUT_MS = 2_000

/** Asks D1 the smallest question there is. */
async function registry(db: D1Database): Promise<{ reachable: boolean; latencyMs: number | null; error?: string }> {
  const started = Date.now()
  let timer: ReturnType<typeof setTimeout> | null = null
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${D1_TIMEOUT_MS} ms`)), D1_TIMEOUT_MS)
  })
  try {
    await Promise.race([db.prepare("SELECT 1 AS ok").first(), timeout])
    return { reachable: true, latencyMs: Date.now() - started }
  } catch (cause) {
    logEvent("error", "health.d1_unreachable", { error: cause instanceof Error ? cause.message : String(cause) })
    return { reachable: false, latencyMs: null, error: "D1 did not answer" }
  } finally {
    if (timer !== null) clearTimeout(timer)
  }
}

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

export const healthApp = new Hono<AppEnv>().get("/", async (c) => {
  const singleBot = singleBots(c.env)
  const d1 = await registry(c.env.DB)
  return c.json(
    {
      status: d1.reachable ? "ok" : "unavailable",
      version: VERSION,
      registry: d1,
      platforms: { supported: platforms, configured: platforms.filter((p) => singleBot[p] !== undefined) },
      defaultPlatform: defaultPlatform(c.env),
      /** The original guide's single-bot mode: each env-configured platform's callback URL (or polling). */
      singleBot,
      time: new Date().toISOString(),
    },
    d1.reachable ? 200 : 503,
  )
})
