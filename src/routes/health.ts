/**
 * `GET /health`: whether the registry (D1) answers and how fast, the build's version, and which platforms this
 * deployment is configured for. No auth. 503 (same body) when D1 does not answer: the API cannot work without it.
 */
import { createRoute, z } from "@hono/zod-openapi"
import { Hono } from "hono"
import pkg from "../../package.json"
import type { AppEnv, Env } from "../env"
import { logEvent } from "../lib/log"
import { isPlatform, type Platform, platformSchema, platforms } from "../providers"
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

const healthSchema = z
  .object({
    status: z.enum(["ok", "unavailable"]),
    version: z.string().openapi({ description: "The build's version (package.json)", example: "0.1.0" }),
    registry: z
      .object({
        reachable: z.boolean(),
        latencyMs: z.number().nullable().openapi({ description: "How long `SELECT 1` took; null without an answer" }),
        error: z.string().optional(),
      })
      .openapi({ description: `The registry (D1); unreachable when it does not answer within ${D1_TIMEOUT_MS} ms` }),
    platforms: z.object({
      supported: z.array(platformSchema).readonly(),
      configured: z.array(platformSchema).openapi({ description: "Those with a single-bot mode bot (env variables)" }),
    }),
    defaultPlatform: platformSchema.openapi({ description: "MESSAGING_PLATFORM: the single bot /test/message tries" }),
    singleBot: z
      .partialRecord(
        platformSchema,
        z.object({
          webhookUrl: z.string().nullable().openapi({ description: "Where its platform delivers; null when polling" }),
          updates: z.enum(["webhook", "polling"]),
        }),
      )
      .openapi({ description: "The original guide's single-bot mode, per env-configured platform" }),
    time: z.string(),
  })
  .openapi("Health")

/** `/health` in the API description (registered by src/routes/openapi-document.ts; served by `healthApp`). */
export const healthRoute = createRoute({
  method: "get",
  path: "/health",
  operationId: "getHealth",
  tags: ["Health"],
  summary: "Whether the registry (D1) answers and how fast, the version, and the configured platforms",
  security: [],
  responses: {
    200: { description: "Up", content: { "application/json": { schema: healthSchema } } },
    503: {
      description: "The registry (D1) did not answer: the same body, `status: unavailable`",
      content: { "application/json": { schema: healthSchema } },
    },
  },
})

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
    } satisfies z.input<typeof healthSchema>,
    d1.reachable ? 200 : 503,
  )
})
