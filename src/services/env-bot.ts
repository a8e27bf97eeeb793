/**
 * Single-bot compatibility with the original guide: one bot per platform configured from env variables
 * (TELEGRAM_BOT_TOKEN, WHATSAPP_ACCESS_TOKEN, ...) served at /api/{platform}/webhook, with the same DO machinery.
 */

import { botStub } from "../bot/stubs"
import { type Env, envVar } from "../env"
import { seal } from "../lib/crypto"
import { randomToken } from "../lib/encoding"
import { getProvider, type Platform } from "../providers"
import type { BotSecrets, BotSnapshot } from "../registry/schemas"

export const envBotId = (platform: Platform) => `env-${platform}`

export function envCredentials(env: Env, platform: Platform): Record<string, string> | null {
  const provider = getProvider(platform)
  const raw = provider.fromEnv?.((name) => envVar(env, name))
  if (!raw) return null
  const parsed = provider.credentialsSchema.safeParse(raw)
  if (!parsed.success) {
    console.warn(JSON.stringify({ level: "warn", event: "env_bot.invalid_credentials", platform }))
    return null
  }
  return parsed.data
}

/** Env values this isolate already pushed to the env bot's DO, by platform: pushing again only when they change. */
const pushed = new Map<Platform, string>()

/** The env-configured bot's DO stub, configured on first use in this isolate; null when the platform isn't set up. */
export async function envBot(env: Env, platform: Platform) {
  const credentials = envCredentials(env, platform)
  if (!credentials) return null
  const id = envBotId(platform)
  const fingerprint = JSON.stringify([credentials, env.TELEGRAM_WEBHOOK_SECRET ?? ""])
  const stub = botStub(env, id)
  if (pushed.get(platform) !== fingerprint) {
    // Without TELEGRAM_WEBHOOK_SECRET nobody can present the right secret: the route stays closed, not open.
    const webhookSecret = platform === "telegram" ? (env.TELEGRAM_WEBHOOK_SECRET ?? randomToken(32)) : randomToken(32)
    if (platform === "telegram" && !env.TELEGRAM_WEBHOOK_SECRET)
      console.warn(JSON.stringify({ level: "warn", event: "env_bot.no_webhook_secret", platform }))
    const secrets: BotSecrets = { credentials, handler: {} }
    const snapshot: BotSnapshot = {
      id,
      businessId: "env",
      platform,
      name: `${platform} (from env)`,
      status: "active",
      config: { updates: { mode: "webhook" }, handler: { type: "echo" }, settings: {}, limits: {} },
      secretsEnc: await seal(env.ENCRYPTION_KEY, JSON.stringify(secrets), id),
      webhookSecretEnc: await seal(env.ENCRYPTION_KEY, webhookSecret, `${id}:webhook`),
      routingKey: null,
      updatedAt: Date.now(),
    }
    await stub.configure(snapshot)
    pushed.set(platform, fingerprint)
  }
  return stub
}
