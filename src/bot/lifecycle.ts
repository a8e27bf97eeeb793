/**
 * A bot's lifecycle on its platform: registering and removing the webhook (start / stop), retiring the webhook of
 * credentials that were replaced, and halting when the platform revokes the bot. Each outcome goes to the log.
 */
import type { Env } from "../env"
import { err, type Result } from "../lib/result"
import type { ProviderError } from "../providers/types"
import { createBotRepository } from "../registry/bot-repository"
import type { BotSnapshot } from "../registry/schemas"
import type { LogDetail, LogLevel } from "./activity-log"
import type { BotMeta } from "./meta"
import { LIFECYCLE_IO, openSecrets, type UnsealedBot, unseal } from "./runtime"

/** The platform's answer to a lifecycle step, as the API reports it. */
export interface ControlResult {
  ok: boolean
  error?: { kind: ProviderError["kind"]; message: string }
}

export interface LifecyclePort {
  env: Env
  meta: BotMeta
  load(): Promise<UnsealedBot>
  log(level: LogLevel, event: string, message: string, detail?: LogDetail): void
  /** Told after a halt, once the status is written (alerts). */
  halted?(reason: string): Promise<void>
}

export async function runLifecycle(port: LifecyclePort, step: "setup" | "teardown"): Promise<ControlResult> {
  const { snapshot, provider, runtime } = await port.load()
  if (snapshot.config.updates.mode === "polling") {
    // Polling: nothing to register, and a webhook would make the platform refuse the polls (Telegram: 409).
    if (step === "teardown" || !provider.teardown) return { ok: true }
    const cleared = await provider.teardown(runtime, LIFECYCLE_IO)
    if (cleared.ok) {
      port.log("info", "poll.setup", "Webhook removed: updates are polled from now on")
      return { ok: true }
    }
    const { kind, message } = cleared.error
    port.log("error", "poll.setup_failed", `Could not remove the webhook before polling: ${message}`, { kind })
    return { ok: false, error: { kind, message } }
  }
  const run = provider[step]
  if (!run) return { ok: true }
  const result = await run.call(provider, runtime, LIFECYCLE_IO)
  if (result.ok) {
    port.log("info", `webhook.${step}`, step === "setup" ? "Webhook registered" : "Webhook removed")
    return { ok: true }
  }
  const { kind, message } = result.error
  port.log("error", `webhook.${step}_failed`, `Webhook ${step} failed: ${message}`, { kind })
  return { ok: false, error: { kind, message } }
}

/**
 * New platform credentials (another Telegram token): unregisters the webhook the previous ones set, or the old bot
 * would keep delivering here, with a secret we still accept. Never throws: the new configuration stands either way.
 */
export async function retireCredentials(port: LifecyclePort, previous: BotSnapshot, next: BotSnapshot): Promise<void> {
  const result = await retire(port.env, previous, next)
  if (!result) return
  if (result.ok) port.log("info", "webhook.retired", "Webhook of the previous credentials removed")
  else {
    const { kind, message } = result.error
    port.log("warn", "webhook.retire_failed", `Could not remove the previous credentials' webhook: ${message}`, {
      kind,
    })
  }
}

/** null when there is nothing to retire (same credentials, or a platform without teardown). */
async function retire(env: Env, previous: BotSnapshot, next: BotSnapshot): Promise<Result<void, ProviderError> | null> {
  try {
    const [old, fresh] = await Promise.all([unseal(env, previous), openSecrets(env, next)])
    if (!old.provider.teardown) return null
    if (sameCredentials(old.runtime.credentials, fresh.credentials)) return null // only handler secrets changed
    return await old.provider.teardown(old.runtime, LIFECYCLE_IO)
  } catch (cause) {
    // Only the error's name: a message could quote a URL, and a Telegram URL holds the token.
    return err({ kind: "unavailable", message: cause instanceof Error ? cause.name : "error" })
  }
}

function sameCredentials(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k])
}

/**
 * The platform refused the bot for good (revoked credentials, a conflicting webhook): stop sending and polling,
 * tell the registry, keep the queue for when it is fixed.
 */
export async function halt(port: LifecyclePort, reason: string): Promise<void> {
  port.meta.setStatus("error")
  port.log("error", "bot.halted", `The platform refused the bot; sending paused: ${reason}`)
  const snapshot = port.meta.snapshot()
  try {
    if (snapshot) await createBotRepository(port.env.DB).setStatusById(snapshot.id, "error", reason, Date.now())
  } finally {
    await port.halted?.(reason)
  }
}
