/** The provider registry: the one place a platform is registered; everything else derives from this map. */
import { z } from "zod"
import { err, ok, type Result } from "../lib/result"
import { discord } from "./discord"
import { slack } from "./slack"
import { telegram } from "./telegram"
import type { MessagingProvider } from "./types"
import { whatsapp } from "./whatsapp"

/**
 * Every provider, keyed by platform name (the key must equal `provider.platform`; the contract suite checks it).
 * Each keeps its precise credential type here; `satisfies` proves it also fits the erased
 * `MessagingProvider<Record<string, string>>` that platform-agnostic code (routes, the DO, the queue) works with.
 * Adding a platform: write its provider + schema + fake, add one line here.
 */
export const providers = {
  telegram,
  whatsapp,
  slack,
  discord,
} satisfies Record<string, MessagingProvider>

export type Platform = keyof typeof providers

export function isPlatform(s: string): s is Platform {
  return Object.hasOwn(providers, s)
}

/** Registered platform names, in registration order. */
export const platforms: readonly Platform[] = Object.keys(providers).filter(isPlatform)

/** A platform name as every boundary (REST input, D1 rows, DO snapshots) validates it. */
export const platformSchema = z.enum(platforms)

/**
 * The provider for a platform, typed for platform-agnostic callers. Its methods take credentials as a plain
 * string record: pass only what `provider.credentialsSchema` (or `parseCredentials`) produced, since method
 * parameters are checked bivariantly and the type cannot stop a WhatsApp record reaching Telegram.
 */
export function getProvider(platform: Platform): MessagingProvider {
  return providers[platform]
}

/** Validates stored or submitted credentials with the platform's own schema (REST input, decrypted DO secrets). */
export function parseCredentials(platform: Platform, raw: unknown): Result<Record<string, string>, z.ZodError> {
  const parsed = getProvider(platform).credentialsSchema.safeParse(raw)
  return parsed.success ? ok(parsed.data) : err(parsed.error)
}
