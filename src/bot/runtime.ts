/** Builds a provider's BotRuntime from the DO's snapshot: decrypts secrets on demand, never logs them. */
import { type Env, envVar, publicBaseUrl } from "../env"
import { open } from "../lib/crypto"
import { err, type Result } from "../lib/result"
import { getProvider, isPlatform } from "../providers"
import type { BotRuntime, MessagingProvider, ProviderError, ProviderIO } from "../providers/types"
import { type BotSecrets, type BotSnapshot, botSecretsSchema } from "../registry/schemas"

export async function openSecrets(env: Env, snapshot: Pick<BotSnapshot, "id" | "secretsEnc">): Promise<BotSecrets> {
  return botSecretsSchema.parse(JSON.parse(await open(env.ENCRYPTION_KEY, snapshot.secretsEnc, snapshot.id)))
}

/** setWebhook, getMe and the like: the platform's API through the global fetch, 10 s at most. */
export const LIFECYCLE_IO: ProviderIO = { fetch: (input, init) => fetch(input, init), timeoutMs: 10_000 }

/** The platform API base: its env variable (tests and demos point it at the fakes), else the real API. */
export function apiBaseFor(env: Env, provider: MessagingProvider): string {
  return (envVar(env, provider.apiBaseEnv) ?? provider.defaultApiBase).replace(/\/+$/, "")
}

export async function buildRuntime(
  env: Env,
  snapshot: BotSnapshot,
  provider: MessagingProvider,
): Promise<{ runtime: BotRuntime; secrets: BotSecrets }> {
  const secrets = await openSecrets(env, snapshot)
  const parsed = provider.credentialsSchema.safeParse(secrets.credentials)
  if (!parsed.success) throw new Error(`stored ${snapshot.platform} credentials no longer match their schema`)
  const runtime: BotRuntime = {
    botId: snapshot.id,
    credentials: parsed.data,
    webhookSecret: await open(env.ENCRYPTION_KEY, snapshot.webhookSecretEnc, `${snapshot.id}:webhook`),
    webhookUrl: publicBaseUrl(env) + provider.webhookPath(snapshot.id),
    apiBase: apiBaseFor(env, provider),
  }
  if (env.WHATSAPP_APP_SECRET) runtime.appSecret = env.WHATSAPP_APP_SECRET
  return { runtime, secrets }
}

/**
 * New platform credentials (another Telegram token): unregisters the webhook the previous ones set, or the old bot
 * would keep delivering here, with a secret we still accept. null when there is nothing to retire (same
 * credentials, or a platform without teardown). Never throws: the new configuration is stored either way.
 */
export async function retireCredentials(
  env: Env,
  previous: BotSnapshot,
  next: BotSnapshot,
  io: ProviderIO,
): Promise<Result<void, ProviderError> | null> {
  if (!isPlatform(previous.platform)) return null
  const provider = getProvider(previous.platform)
  if (!provider.teardown) return null
  try {
    const [old, fresh] = await Promise.all([buildRuntime(env, previous, provider), openSecrets(env, next)])
    if (sameCredentials(old.runtime.credentials, fresh.credentials)) return null // only handler secrets changed
    return await provider.teardown(old.runtime, io)
  } catch (cause) {
    // Only the error's name: a message could quote a URL, and a Telegram URL holds the token.
    return err({ kind: "unavailable", message: cause instanceof Error ? cause.name : "error" })
  }
}

function sameCredentials(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k])
}
