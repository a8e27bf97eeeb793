/**
 * `GET /health`: liveness, D1 reachability (with the query's latency), the build's version and which platforms this
 * deployment is configured for. No auth. 503, with the same body, when D1 does not answer.
 */
import { Hono } from "hono"
import { version } from "../../package.json"
import type { AppEnv, Env } from "../env"
import { logEvent } from "../lib/log"
import { isPlatform, type Platform, platforms } from "../providers"
import { envSettings, envWebhookUrl } from "../services/env-bot"

/** The build's version: package.json's, bundled at build time. */
export const VERSION: string = version

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

/** One `SELECT 1` against D1: whether it answered, and how long it took. */
async function probeD1(db: D1Database, requestId: string): Promise<{ ok: boolean; latencyMs: number }> {
  const started = Date.now()
  try {
    await db.prepare("SELECT 1").first()
    return { ok: true, latencyMs: Date.now() - started }
  } catch (cause) {
    logEvent("error", "health.d1_unreachable", { requestId, error: String(cause) })
    return { ok: false, latencyMs: Date.now() - started }
  }
}

export const healthApp = new Hono<AppEnv>().get("/", async (c) => {
  const d1 = await probeD1(c.env.DB, c.var.requestId)
  const singleBot = singleBots(c.env)
  return c.json(
    {
      status: d1.ok ? "ok" : "unavailable",
      version: VERSION,
      d1,
      platforms: { supported: platforms, configured: platforms.filter((p) => singleBot[p] !== undefined) },
      defaultPlatform: defaultPlatform(c.env),
      /** The original guide's single-bot mode: each env-configured platform's callback URL (or polling). */
      singleBot,
      time: new Date().toISOString(),
    },
    d1.ok ? 200 : 503,
  )
})
