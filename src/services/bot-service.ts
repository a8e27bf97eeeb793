/** Bot lifecycle across the registry (D1), the sealed secrets and the bot's Durable Object. */
import type { AuthClaims } from "../auth/jwt"
import type { BotDurableObject, ControlAction, ControlResult } from "../bot/bot-durable-object"
import { routeStub } from "../bot/route-directory"
import { openSecrets } from "../bot/runtime"
import { type Env, publicBaseUrl } from "../env"
import { seal } from "../lib/crypto"
import { randomToken } from "../lib/encoding"
import { HttpError, notFound, validationError } from "../lib/errors"
import { newId } from "../lib/ids"
import { getProvider, isPlatform, type Platform } from "../providers"
import { createBotRepository } from "../registry/bot-repository"
import { createRollupRepository } from "../registry/rollup-repository"
import {
  type BotConfig,
  type BotSecrets,
  type HandlerConfig,
  type HandlerInput,
  type StoredBot,
  toSnapshot,
} from "../registry/schemas"

export interface CreateBotInput {
  platform: string
  name: string
  credentials: Record<string, unknown>
  handler?: HandlerInput | undefined
  settings?: BotConfig["settings"] | undefined
  limits?: BotConfig["limits"] | undefined
}

export interface PatchBotInput {
  name?: string | undefined
  credentials?: Record<string, unknown> | undefined
  handler?: HandlerInput | undefined
  settings?: BotConfig["settings"] | undefined
  limits?: BotConfig["limits"] | undefined
}

/**
 * Ids derived from bot ids (idFromName hashes the name on every call: 3% of a webhook's CPU in bench --profile).
 * An id is plain data, valid across requests; the map is bounded, oldest entries go first.
 */
const idCaches = new WeakMap<Env["BOT"], Map<string, DurableObjectId>>()
const BOT_ID_CACHE = 10_000

export function botStub(env: Env, botId: string): DurableObjectStub<BotDurableObject> {
  let botIds = idCaches.get(env.BOT)
  if (!botIds) {
    botIds = new Map()
    idCaches.set(env.BOT, botIds)
  }
  let id = botIds.get(botId)
  if (!id) {
    id = env.BOT.idFromName(botId)
    if (botIds.size >= BOT_ID_CACHE) botIds.delete(botIds.keys().next().value ?? "")
    botIds.set(botId, id)
  }
  return env.BOT.get(id)
}

function checkPlatform(platform: string): Platform {
  if (!isPlatform(platform)) throw new HttpError(422, "validation_failed", `Unknown platform "${platform}"`)
  return platform
}

function parseCredentials(platform: Platform, raw: Record<string, unknown>): Record<string, string> {
  const parsed = getProvider(platform).credentialsSchema.safeParse(raw)
  if (!parsed.success) {
    const { body } = validationError(parsed.error, "body", ["credentials"])
    throw new HttpError(422, body.error.code, body.error.message, {}, body.error.details)
  }
  return parsed.data
}

/** Splits a handler as given into its stored (public) half and its sealed (secret) half. */
function splitHandler(
  input: HandlerInput,
  previous: BotSecrets["handler"],
): { config: HandlerConfig; secrets: BotSecrets["handler"]; issuedSigningSecret?: string } {
  switch (input.type) {
    case "echo":
      return { config: { type: "echo" }, secrets: {} }
    case "forward": {
      const given = input.signingSecret ?? previous.signingSecret
      const signingSecret = given ?? randomToken(32)
      const config: HandlerConfig = { type: "forward", url: input.url }
      if (input.timeoutMs !== undefined) config.timeoutMs = input.timeoutMs
      const out: ReturnType<typeof splitHandler> = { config, secrets: { signingSecret } }
      if (!given) out.issuedSigningSecret = signingSecret
      return out
    }
    case "ai": {
      const { apiKey, ...rest } = input
      const key = apiKey ?? previous.apiKey
      return { config: rest, secrets: key === undefined ? {} : { apiKey: key } }
    }
  }
}

function publicCredentials(platform: Platform, credentials: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const field of getProvider(platform).publicCredentialFields) {
    const value = credentials[field]
    if (value !== undefined) out[field] = value
  }
  return out
}

export function createBotService(env: Env, auth: AuthClaims) {
  const repo = createBotRepository(env.DB)
  const businessId = auth.business_id

  async function load(id: string): Promise<StoredBot> {
    const bot = await repo.get(businessId, id)
    if (!bot) throw notFound()
    return bot
  }

  /** Pushes the registry's view to the DO (which keeps the newest by updatedAt) and to the route directory. */
  async function push(bot: StoredBot, previousRoutingKey: string | null = bot.routingKey): Promise<void> {
    await botStub(env, bot.id).configure(toSnapshot(bot))
    if (previousRoutingKey && previousRoutingKey !== bot.routingKey)
      await routeStub(env, bot.platform, previousRoutingKey).release(bot.id)
    if (bot.routingKey) await routeStub(env, bot.platform, bot.routingKey).assign(bot.id)
  }

  /** Runs a lifecycle action in the DO and records the outcome in the registry. */
  async function runControl(bot: StoredBot, action: ControlAction): Promise<{ bot: StoredBot; result: ControlResult }> {
    await push(bot)
    const result = await botStub(env, bot.id).control(action)
    const status = action === "stop" ? "stopped" : result.ok ? "active" : "error"
    const reason = result.ok ? null : (result.error?.message ?? "setup failed")
    const updated = await repo.update(businessId, bot.id, { status, statusReason: reason }, Date.now())
    if (!updated) throw notFound()
    return { bot: updated, result }
  }

  async function checkRoutingKey(platform: Platform, key: string | null, exceptId?: string) {
    if (key && (await repo.routingKeyTaken(platform, key, exceptId)))
      throw new HttpError(409, "conflict", "Another bot already uses this phone number")
  }

  return {
    repo,
    load,

    async create(input: CreateBotInput) {
      const platform = checkPlatform(input.platform)
      const provider = getProvider(platform)
      const credentials = parseCredentials(platform, input.credentials)
      const routingKey = provider.routingKey?.(credentials) ?? null
      await checkRoutingKey(platform, routingKey)

      const id = newId("bot")
      const handler = splitHandler(input.handler ?? { type: "echo" }, {})
      const secrets: BotSecrets = { credentials, handler: handler.secrets }
      const now = Date.now()
      await repo.ensureBusiness(businessId, now)
      const stored = await repo.insert({
        id,
        businessId,
        platform,
        name: input.name,
        config: { handler: handler.config, settings: input.settings ?? {}, limits: input.limits ?? {} },
        publicCredentials: publicCredentials(platform, credentials),
        secretsEnc: await seal(env.ENCRYPTION_KEY, JSON.stringify(secrets), id),
        webhookSecretEnc: await seal(env.ENCRYPTION_KEY, randomToken(32), `${id}:webhook`),
        routingKey,
        now,
      })
      const { bot, result } = await runControl(stored, "start")
      return { bot, setup: result, issuedSigningSecret: handler.issuedSigningSecret }
    },

    async list(filter: Parameters<typeof repo.list>[1]) {
      return repo.list(businessId, filter)
    },

    async patch(id: string, input: PatchBotInput) {
      const bot = await load(id)
      const platform = checkPlatform(bot.platform)
      const provider = getProvider(platform)
      let secrets: BotSecrets | undefined
      const patch: Parameters<typeof repo.update>[2] = {}
      let issuedSigningSecret: string | undefined
      if (input.name !== undefined) patch.name = input.name
      if (input.credentials !== undefined || input.handler !== undefined) secrets = await openSecrets(env, bot)
      if (secrets && input.credentials !== undefined) {
        const credentials = parseCredentials(platform, input.credentials)
        const routingKey = provider.routingKey?.(credentials) ?? null
        await checkRoutingKey(platform, routingKey, bot.id)
        secrets = { ...secrets, credentials }
        patch.publicCredentials = publicCredentials(platform, credentials)
        patch.routingKey = routingKey
      }
      let config = bot.config
      if (secrets && input.handler !== undefined) {
        const handler = splitHandler(input.handler, secrets.handler)
        secrets = { ...secrets, handler: handler.secrets }
        config = { ...config, handler: handler.config }
        issuedSigningSecret = handler.issuedSigningSecret
      }
      if (input.settings !== undefined) config = { ...config, settings: input.settings }
      if (input.limits !== undefined) config = { ...config, limits: input.limits }
      const previousRoutingKey = bot.routingKey
      if (config !== bot.config) patch.config = config
      if (secrets) patch.secretsEnc = await seal(env.ENCRYPTION_KEY, JSON.stringify(secrets), bot.id)
      const updated = await repo.update(businessId, bot.id, patch, Math.max(Date.now(), bot.updatedAt + 1))
      if (!updated) throw notFound()
      // New credentials on a running bot: register the webhook again with them.
      await push(updated, previousRoutingKey)
      if (input.credentials !== undefined && updated.status !== "stopped") {
        const { bot: restarted, result } = await runControl(updated, "restart")
        return { bot: restarted, setup: result, issuedSigningSecret }
      }
      return { bot: updated, setup: undefined, issuedSigningSecret }
    },

    async remove(id: string) {
      const bot = await load(id)
      await botStub(env, bot.id).remove()
      if (bot.routingKey) await routeStub(env, bot.platform, bot.routingKey).release(bot.id)
      await repo.delete(businessId, bot.id)
      await createRollupRepository(env.DB).deleteBot(bot.id)
    },

    async control(id: string, action: ControlAction) {
      return runControl(await load(id), action)
    },

    async logs(id: string, query: { limit: number; before?: number | undefined }) {
      const bot = await load(id)
      return botStub(env, bot.id).logs(query)
    },

    webhookUrl(bot: StoredBot, requestUrl: string): string {
      return publicBaseUrl(env, requestUrl) + getProvider(checkPlatform(bot.platform)).webhookPath(bot.id)
    },
  }
}

export type BotService = ReturnType<typeof createBotService>
