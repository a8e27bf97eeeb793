/** Builds a provider's BotRuntime from the DO's snapshot: decrypts secrets on demand, never logs them. */
import { type Env, envVar, publicBaseUrl } from "../env"
import { open } from "../lib/crypto"
import type { BotRuntime, MessagingProvider } from "../providers/types"
import { type BotSecrets, type BotSnapshot, botSecretsSchema } from "../registry/schemas"

export async function openSecrets(env: Env, snapshot: Pick<BotSnapshot, "id" | "secretsEnc">): Promise<BotSecrets> {
  return botSecretsSchema.parse(JSON.parse(await open(env.ENCRYPTION_KEY, snapshot.secretsEnc, snapshot.id)))
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
    apiBase: (envVar(env, provider.apiBaseEnv) ?? provider.defaultApiBase).replace(/\/+$/, ""),
  }
  if (env.WHATSAPP_APP_SECRET) runtime.appSecret = env.WHATSAPP_APP_SECRET
  return { runtime, secrets }
}
