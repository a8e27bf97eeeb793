/**
 * Bot lifecycle across the registry (D1), the sealed secrets and the bot's Durable Object. Returns results in
 * domain words (`DomainError`); the routes choose the HTTP answers.
 */
import { z } from "zod"
import type { AuthClaims } from "../auth/jwt"
import type { ControlResult } from "../bot/lifecycle"
import { apiBaseFor, LIFECYCLE_IO, openSecrets } from "../bot/runtime"
import { botStub, routeStub } from "../bot/stubs"
import { type Env, outboundUrlPolicy, publicBaseUrl } from "../env"
import { seal } from "../lib/crypto"
import { type DomainError, type FieldError, fieldErrors, invalid } from "../lib/domain-error"
import { randomToken } from "../lib/encoding"
import { newId } from "../lib/ids"
import { err, ok, type Result } from "../lib/result"
import { checkOutboundUrl } from "../lib/url-guard"
import { newSigningSecret } from "../lib/webhook-signature"
import { getProvider, type Platform, platformSchema } from "../providers"
import type { MessagingProvider } from "../providers/types"
import { accountTaken, createBotRepository } from "../registry/bot-repository"
import { createRollupRepository } from "../registry/rollup-repository"
import {
  type BotSecrets,
  type ControlAction,
  type CreateBotInput,
  type HandlerConfig,
  type HandlerInput,
  handlerInputSchema,
  type PatchBotInput,
  type StoredBot,
  toSnapshot,
  type UpdatesMode,
  updatesModeSchema,
} from "../registry/schemas"

export interface BotWrite {
  bot: StoredBot
  /** The platform's answer to registering the webhook (absent when nothing was registered). */
  setup?: ControlResult | undefined
  /** A forward handler's generated signing secret: shown once, never again. */
  issuedSigningSecret?: string | undefined
}

/** Validates credentials with the platform's own schema; failures name `credentials.<field>`. */
function parseCredentials(provider: MessagingProvider, raw: Record<string, unknown>) {
  const parsed = provider.credentialsSchema.safeParse(raw)
  if (parsed.success) return ok(parsed.data)
  return err(fieldErrors(parsed.error, ["credentials"]))
}

/** Every field's problem in one error (a form shows them all at once); the message names the first. */
function invalidFields(fields: FieldError[]): DomainError {
  const [first] = fields
  const more = fields.length > 1 ? ` (and ${fields.length - 1} more)` : ""
  return {
    kind: "invalid",
    message: first ? `Invalid body: ${first.path}: ${first.message}${more}` : "Invalid body",
    fields,
  }
}

const fieldsOf = (problem: DomainError | null): FieldError[] => (problem?.kind === "invalid" ? problem.fields : [])

/**
 * The rules of a bot body beyond its schema that the body alone decides (the platform's credentials, the handler's
 * URLs, the updates mode), for a body whose schema failed: its answer lists these too, not only the schema's.
 * `platform`: the bot's, on an update. Parts that are not even the right shape are left to the schema's errors.
 */
export function bodyRuleProblems(env: Env, raw: unknown, platform?: Platform): FieldError[] {
  if (typeof raw !== "object" || raw === null) return []
  const body: Record<string, unknown> = { ...raw }
  const named = platform ?? platformSchema.safeParse(body.platform).data
  const provider = named ? getProvider(named) : null
  const out: FieldError[] = []
  const credentials = z.record(z.string(), z.unknown()).safeParse(body.credentials)
  if (provider && credentials.success) {
    const parsed = parseCredentials(provider, credentials.data)
    if (!parsed.ok) out.push(...parsed.error)
  }
  const handler = handlerInputSchema.safeParse(body.handler)
  if (handler.success) out.push(...fieldsOf(checkHandler(env, handler.data, null)))
  const updates = updatesModeSchema.safeParse(body.updates)
  if (provider && updates.success) out.push(...fieldsOf(checkUpdates(provider, updates.data)))
  return out
}

/**
 * Rules a handler must meet beyond its schema: its URLs reach only public HTTPS hosts (SSRF), and a stored AI key
 * is never sent to a host it was not given for (changing the host needs the key again).
 */
function checkHandler(
  env: Env,
  input: HandlerInput,
  previous: { config: HandlerConfig; secrets: BotSecrets["handler"] } | null,
): DomainError | null {
  const policy = outboundUrlPolicy(env)
  if (input.type === "forward") {
    const url = checkOutboundUrl(input.url, policy)
    if (!url.ok) return invalid("handler.url", `must be a public https: URL; it ${url.reason}`)
  }
  if (input.type === "ai") {
    const url = checkOutboundUrl(input.baseUrl, policy)
    if (!url.ok) return invalid("handler.baseUrl", `must be a public https: URL; it ${url.reason}`)
    const before = previous?.config
    if (input.apiKey === undefined && previous?.secrets.apiKey !== undefined && before?.type === "ai") {
      const oldHost = URL.canParse(before.baseUrl) ? new URL(before.baseUrl).host : ""
      if (oldHost !== url.url.host)
        return invalid(
          "handler.apiKey",
          "give the API key again: the stored key is only sent to the host it was given for",
        )
    }
  }
  return null
}

/** Long polling needs a platform that has it (Telegram's getUpdates); the others only take webhooks. */
function checkUpdates(provider: MessagingProvider, updates: UpdatesMode | undefined): DomainError | null {
  if (updates?.mode === "polling" && !provider.poll)
    return invalid("updates.mode", `${provider.displayName} has no long polling; use "webhook"`)
  return null
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
      const signingSecret = given ?? newSigningSecret()
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

function publicCredentials(provider: MessagingProvider, credentials: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const field of provider.publicCredentialFields) {
    const value = credentials[field]
    if (value !== undefined) out[field] = value
  }
  return out
}

/** `requestId`: the API request's, named in what the bot's object logs for it. */
export function createBotService(env: Env, auth: AuthClaims, requestId?: string) {
  const repo = createBotRepository(env.DB)
  const businessId = auth.business_id

  /** The platform must accept the credentials before a bot holds them (a made-up token, another's number). */
  async function proveCredentials(
    platform: Platform,
    credentials: Record<string, string>,
  ): Promise<Result<{ accountKey: string }, DomainError>> {
    const provider = getProvider(platform)
    const runtime = { botId: "", credentials, webhookSecret: "", webhookUrl: "", apiBase: apiBaseFor(env, provider) }
    const checked = await provider.checkCredentials(runtime, LIFECYCLE_IO)
    if (checked.ok) return checked
    const { kind, message } = checked.error
    if (kind === "unavailable" || kind === "rate_limited")
      return err({
        kind: "platform_unavailable",
        message: `Could not check the credentials with ${platform}: ${message}`,
      })
    return err({ kind: "credentials_rejected", message: `${platform} refused the credentials: ${message}` })
  }

  /** Pushes the registry's view to the DO (which keeps the newest by updatedAt) and to the route directory. */
  async function push(bot: StoredBot, previousRoutingKey: string | null = bot.routingKey): Promise<void> {
    await botStub(env, bot.id).configure(toSnapshot(bot), requestId)
    if (!getProvider(bot.platform).appWebhook) return // only app-level webhooks are routed by account
    if (previousRoutingKey && previousRoutingKey !== bot.routingKey)
      await routeStub(env, bot.platform, previousRoutingKey).release(bot.id)
    if (bot.routingKey) await routeStub(env, bot.platform, bot.routingKey).assign(bot.id)
  }

  /** Runs a lifecycle action in the DO and records the outcome in the registry. */
  async function runControl(bot: StoredBot, action: ControlAction): Promise<Result<BotWrite, DomainError>> {
    await push(bot)
    const result = await botStub(env, bot.id).control(action, requestId)
    const status = action === "stop" ? "stopped" : result.ok ? "active" : "error"
    const reason = result.ok ? null : (result.error?.message ?? "setup failed")
    const updated = await repo.update(businessId, bot.id, { status, statusReason: reason }, Date.now())
    return updated.ok ? ok({ bot: updated.value, setup: result }) : updated
  }

  return {
    load: (id: string) => repo.get(businessId, id),

    async create(input: CreateBotInput): Promise<Result<BotWrite, DomainError>> {
      const { platform } = input
      const provider = getProvider(platform)
      const credentials = parseCredentials(provider, input.credentials)
      const handlerInput = input.handler ?? { type: "echo" }
      const problems = [
        ...(credentials.ok ? [] : credentials.error),
        ...fieldsOf(checkHandler(env, handlerInput, null)),
        ...fieldsOf(checkUpdates(provider, input.updates)),
      ]
      if (!credentials.ok || problems.length > 0) return err(invalidFields(problems))
      // The platform names the account (without side effects); a second bot for it must never reach setup, which
      // would move the first one's webhook.
      const proven = await proveCredentials(platform, credentials.value)
      if (!proven.ok) return proven
      const routingKey = proven.value.accountKey
      if (await repo.routingKeyTaken(platform, routingKey)) return err(accountTaken)

      const id = newId("bot")
      const handler = splitHandler(handlerInput, {})
      const secrets: BotSecrets = { credentials: credentials.value, handler: handler.secrets }
      const now = Date.now()
      await repo.ensureBusiness(businessId, now)
      const stored = await repo.insert({
        id,
        businessId,
        platform,
        name: input.name,
        config: {
          updates: input.updates ?? { mode: "webhook" },
          handler: handler.config,
          settings: input.settings ?? {},
          limits: input.limits ?? {},
        },
        publicCredentials: publicCredentials(provider, credentials.value),
        secretsEnc: await seal(env.ENCRYPTION_KEY, JSON.stringify(secrets), id),
        webhookSecretEnc: await seal(env.ENCRYPTION_KEY, randomToken(32), `${id}:webhook`),
        routingKey,
        now,
      })
      if (!stored.ok) return stored
      const started = await runControl(stored.value, "start")
      return started.ok ? ok({ ...started.value, issuedSigningSecret: handler.issuedSigningSecret }) : started
    },

    list: (filter: Parameters<typeof repo.list>[1]) => repo.list(businessId, filter),

    async patch(id: string, input: PatchBotInput): Promise<Result<BotWrite, DomainError>> {
      const loaded = await repo.get(businessId, id)
      if (!loaded.ok) return loaded
      const bot = loaded.value
      const provider = getProvider(bot.platform)
      let secrets: BotSecrets | undefined
      const patch: Parameters<typeof repo.update>[2] = {}
      let issuedSigningSecret: string | undefined
      if (input.name !== undefined) patch.name = input.name
      if (input.credentials !== undefined || input.handler !== undefined) secrets = await openSecrets(env, bot)
      // Every problem the body has, in one answer.
      const parsed = input.credentials === undefined ? null : parseCredentials(provider, input.credentials)
      const problems = [
        ...(parsed && !parsed.ok ? parsed.error : []),
        ...(secrets && input.handler !== undefined
          ? fieldsOf(checkHandler(env, input.handler, { config: bot.config.handler, secrets: secrets.handler }))
          : []),
        ...fieldsOf(checkUpdates(provider, input.updates)),
      ]
      if ((parsed && !parsed.ok) || problems.length > 0) return err(invalidFields(problems))
      if (secrets && parsed?.ok) {
        const credentials = parsed
        const proven = await proveCredentials(bot.platform, credentials.value)
        if (!proven.ok) return proven
        const routingKey = proven.value.accountKey
        if (await repo.routingKeyTaken(bot.platform, routingKey, bot.id)) return err(accountTaken)
        secrets = { ...secrets, credentials: credentials.value }
        patch.publicCredentials = publicCredentials(provider, credentials.value)
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
      const modeChanged = input.updates !== undefined && input.updates.mode !== bot.config.updates.mode
      if (input.updates !== undefined) config = { ...config, updates: input.updates }
      const previousRoutingKey = bot.routingKey
      if (config !== bot.config) patch.config = config
      if (secrets) patch.secretsEnc = await seal(env.ENCRYPTION_KEY, JSON.stringify(secrets), bot.id)
      const updated = await repo.update(businessId, bot.id, patch, Math.max(Date.now(), bot.updatedAt + 1))
      if (!updated.ok) return updated
      await push(updated.value, previousRoutingKey)
      // The guide's `{"status": "active" | "stopped"}` is start / stop.
      const wanted = input.status === "active" ? "start" : input.status === "stopped" ? "stop" : null
      if (wanted === "stop" || (wanted === "start" && updated.value.status !== "active")) {
        const controlled = await runControl(updated.value, wanted)
        return controlled.ok ? ok({ ...controlled.value, issuedSigningSecret }) : controlled
      }
      // New credentials, or webhooks <-> polling, on a running bot: set it up again that way.
      if ((input.credentials !== undefined || modeChanged) && updated.value.status !== "stopped") {
        const restarted = await runControl(updated.value, "restart")
        return restarted.ok ? ok({ ...restarted.value, issuedSigningSecret }) : restarted
      }
      return ok({ bot: updated.value, issuedSigningSecret })
    },

    /** Stops the bot's traffic, forgets its object and registry rows; says how many queued messages were dropped. */
    async remove(id: string): Promise<Result<{ discarded: number }, DomainError>> {
      const loaded = await repo.get(businessId, id)
      if (!loaded.ok) return loaded
      const bot = loaded.value
      const { discarded } = await botStub(env, bot.id).remove(requestId)
      if (bot.routingKey && getProvider(bot.platform).appWebhook)
        await routeStub(env, bot.platform, bot.routingKey).release(bot.id)
      await repo.delete(businessId, bot.id)
      await createRollupRepository(env.DB).deleteBot(bot.id)
      return ok({ discarded })
    },

    async control(id: string, action: ControlAction): Promise<Result<BotWrite, DomainError>> {
      const loaded = await repo.get(businessId, id)
      return loaded.ok ? runControl(loaded.value, action) : loaded
    },

    async logs(id: string, query: { limit: number; before?: number | undefined }) {
      const loaded = await repo.get(businessId, id)
      return loaded.ok ? ok(await botStub(env, id).logs(query)) : loaded
    },

    async stats(id: string) {
      const loaded = await repo.get(businessId, id)
      return loaded.ok ? ok(await botStub(env, id).stats()) : loaded
    },

    async message(id: string, messageId: string) {
      const loaded = await repo.get(businessId, id)
      if (!loaded.ok) return loaded
      const message = await botStub(env, id).message(messageId)
      return message ? ok(message) : err<DomainError>({ kind: "not_found", message: "Message not found" })
    },

    /** Runs a text through the bot's handler without sending anything; the bot comes with it for the answer. */
    async testMessage(id: string, input: { text: string; chatId: string }) {
      const loaded = await repo.get(businessId, id)
      if (!loaded.ok) return loaded
      return ok({ bot: loaded.value, outcome: await botStub(env, id).testMessage(input) })
    },

    /** Which secret credential fields hold a value (never the values): the API's `secretsSet`. */
    async secretsSet(bot: StoredBot): Promise<Record<string, true>> {
      const { credentials } = await openSecrets(env, bot)
      const shown = getProvider(bot.platform).publicCredentialFields
      const set: Record<string, true> = {}
      for (const [name, value] of Object.entries(credentials)) if (value && !shown.includes(name)) set[name] = true
      return set
    },

    webhookUrl(bot: StoredBot, requestUrl: string): string {
      return publicBaseUrl(env, requestUrl) + getProvider(bot.platform).webhookPath(bot.id)
    },
  }
}

export type BotService = ReturnType<typeof createBotService>
