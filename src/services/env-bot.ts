/**
 * Single-bot compatibility with the original guide: one bot per platform configured from env variables
 * (TELEGRAM_BOT_TOKEN, WHATSAPP_ACCESS_TOKEN, ...) served at /api/{platform}/webhook, with the same DO machinery.
 * Nothing here knows a platform: each provider reads its own variables (`fromEnv`).
 */

import { botStub } from "../bot/stubs"
import { type Env, envVar, publicBaseUrl } from "../env"
import { hmacSha256Hex, seal } from "../lib/crypto"
import { logEvent } from "../lib/log"
import { getProvider, type Platform, platforms } from "../providers"
import type { EnvBotSettings } from "../providers/types"
import type { BotSecrets, BotSnapshot } from "../registry/schemas"

/** The guide's webhook path for a platform's single bot. */
export const compatWebhookPath = (platform: Platform) => `/api/${platform}/webhook`

/** A platform's single-bot settings from env, credentials validated; null when the platform isn't set up that way. */
export function envSettings(env: Env, platform: Platform): EnvBotSettings | null {
  const provider = getProvider(platform)
  const raw = provider.fromEnv?.((name) => envVar(env, name))
  if (!raw) return null
  const parsed = provider.credentialsSchema.safeParse(raw.credentials)
  if (!parsed.success) {
    logEvent("warn", "env_bot.invalid_credentials", { platform })
    return null
  }
  return { ...raw, credentials: parsed.data }
}

/** Where the platform delivers to the single bot: the provider's own variable, else PUBLIC_BASE_URL + compat path. */
export function envWebhookUrl(env: Env, platform: Platform, settings: EnvBotSettings): string {
  return settings.webhookUrl ?? publicBaseUrl(env) + compatWebhookPath(platform)
}

/**
 * Secrets the single bot needs are derived from what the worker already holds: its webhook secret is an HMAC of
 * the credentials under ENCRYPTION_KEY, so TELEGRAM_BOT_TOKEN alone is enough and every isolate agrees on it.
 */
function derive(env: Env, purpose: string, value: string): Promise<string> {
  return hmacSha256Hex(env.ENCRYPTION_KEY, `${purpose}\u0000${value}`)
}

/** Env settings this isolate already pushed to a single bot's DO, by platform: pushing again only when they change. */
const pushed = new Map<Platform, string>()

/**
 * The env-configured bot's DO stub, configured (and set up on its platform: webhook registered, or polling
 * started) on first use in this isolate; null when the platform isn't set up in env. One object per account, so
 * a new token is a new bot.
 */
export async function envBot(env: Env, platform: Platform) {
  const settings = envSettings(env, platform)
  if (!settings) return null
  const account = JSON.stringify(settings.credentials)
  const id = `env-${platform}-${(await derive(env, "env-bot-id", account)).slice(0, 16)}`
  const stub = botStub(env, id)
  const webhookUrl = envWebhookUrl(env, platform, settings)
  const fingerprint = JSON.stringify([settings, webhookUrl])
  if (pushed.get(platform) === fingerprint) return stub
  const secrets: BotSecrets = { credentials: settings.credentials, handler: {} }
  const snapshot: BotSnapshot = {
    id,
    businessId: "env",
    platform,
    name: `${getProvider(platform).displayName} (from env)`,
    status: "active",
    config: {
      updates: settings.polling ? { mode: "polling", intervalMs: settings.polling.intervalMs } : { mode: "webhook" },
      handler: { type: "echo" },
      settings: {},
      limits: {},
    },
    secretsEnc: await seal(env.ENCRYPTION_KEY, JSON.stringify(secrets), id),
    webhookSecretEnc: await seal(env.ENCRYPTION_KEY, await derive(env, "env-webhook-secret", account), `${id}:webhook`),
    routingKey: null,
    updatedAt: Date.now(),
    webhookUrl,
  }
  await stub.configure(snapshot)
  // The DO remembers what it set up: a new isolate with the same settings does not register the webhook again.
  const started = await stub.ensureStarted(await derive(env, "env-bot-setup", fingerprint))
  if (!started.ok) logEvent("error", "env_bot.setup_failed", { platform, reason: started.error?.message ?? null })
  pushed.set(platform, fingerprint)
  return stub
}

/** Configures and sets up every platform's single bot that env configures (once per isolate and setting). */
export async function ensureEnvBots(env: Env): Promise<void> {
  await Promise.all(platforms.map((platform) => envBot(env, platform)))
}

/** The single-bot mode's bots, set up once per isolate (and env): their webhook needs no manual curl. */
const envBotsReady = new WeakMap<object, Promise<void>>()

/**
 * Starts {@link ensureEnvBots} on an isolate's first request and hands the promise to `waitUntil`; later requests
 * pass straight through (nothing waits for it: a request never does).
 */
export function envBotsOnce(env: Env, waitUntil: (ready: Promise<void>) => void): void {
  if (envBotsReady.has(env)) return
  const ready = ensureEnvBots(env).catch((cause: unknown) => {
    logEvent("error", "env_bot.failed", { name: cause instanceof Error ? cause.name : "error" })
  })
  envBotsReady.set(env, ready)
  try {
    waitUntil(ready)
  } catch {
    // No execution context (a test calling app.request directly): the promise runs on its own.
  }
}
