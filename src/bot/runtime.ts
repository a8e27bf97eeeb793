/** A bot with its secrets unsealed for use: the provider's BotRuntime built from the DO's snapshot. Never logged. */
import { type Env, envVar, publicBaseUrl } from "../env"
import { open } from "../lib/crypto"
import { getProvider } from "../providers"
import type { BotRuntime, MessagingProvider, ProviderIO } from "../providers/types"
import { type BotSecrets, type BotSnapshot, botSecretsSchema } from "../registry/schemas"

/** setWebhook, getMe and the like: the platform's API through the global fetch, 10 s at most. */
export const LIFECYCLE_IO: ProviderIO = { fetch: (input, init) => fetch(input, init), timeoutMs: 10_000 }

/** What the object works with once a snapshot's secrets are opened: cached until the next configure. */
export interface UnsealedBot {
  snapshot: BotSnapshot
  provider: MessagingProvider
  runtime: BotRuntime
  secrets: BotSecrets
}

export async function openSecrets(env: Env, snapshot: Pick<BotSnapshot, "id" | "secretsEnc">): Promise<BotSecrets> {
  return botSecretsSchema.parse(JSON.parse(await open(env.ENCRYPTION_KEY, snapshot.secretsEnc, snapshot.id)))
}

/** The platform API base: its env variable (tests and demos point it at the fakes), else the real API. */
export function apiBaseFor(env: Env, provider: MessagingProvider): string {
  return (envVar(env, provider.apiBaseEnv) ?? provider.defaultApiBase).replace(/\/+$/, "")
}

export async function unseal(env: Env, snapshot: BotSnapshot): Promise<UnsealedBot> {
  const provider = getProvider(snapshot.platform)
  const secrets = await openSecrets(env, snapshot)
  const parsed = provider.credentialsSchema.safeParse(secrets.credentials)
  if (!parsed.success) throw new Error(`stored ${snapshot.platform} credentials no longer match their schema`)
  const runtime: BotRuntime = {
    botId: snapshot.id,
    credentials: parsed.data,
    webhookSecret: await open(env.ENCRYPTION_KEY, snapshot.webhookSecretEnc, `${snapshot.id}:webhook`),
    webhookUrl: snapshot.webhookUrl ?? publicBaseUrl(env) + provider.webhookPath(snapshot.id),
    apiBase: apiBaseFor(env, provider),
    settings: snapshot.config.settings,
  }
  if (env.WHATSAPP_APP_SECRET) runtime.appSecret = env.WHATSAPP_APP_SECRET
  return { snapshot, provider, runtime, secrets }
}
