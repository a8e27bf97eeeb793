/**
 * A business's alert settings (D1 `alert_settings`): the URL its bots' alerts are posted to, the thresholds, and the
 * sealed signing secret. Read by the API and, through a short cache, by each bot's Durable Object.
 */
import { z } from "@hono/zod-openapi"
import { open } from "../lib/crypto"

export const DEFAULT_QUEUE_DEPTH = 1000
export const DEFAULT_FAILURE_RATE = 0.2
export const DEFAULT_MIN_ATTEMPTS = 20

/** What the business sets (PUT replaces it whole; omitted fields take their defaults). */
export const alertSettingsInputSchema = z
  .object({
    url: z
      .string()
      .max(2048)
      .nullable()
      .default(null)
      .openapi({ description: "Where alerts are posted (public https:); null turns alerts off" }),
    queueDepth: z
      .number()
      .int()
      .min(1)
      .max(10_000_000)
      .default(DEFAULT_QUEUE_DEPTH)
      .openapi({ description: "A bot with more messages than this queued raises `queue.depth_exceeded`" }),
    failureRate: z.number().gt(0).max(1).default(DEFAULT_FAILURE_RATE).openapi({
      description: "A bot whose failed / attempted sends over 15 minutes reach this raises `bot.failure_rate`",
    }),
    minAttempts: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(DEFAULT_MIN_ATTEMPTS)
      .openapi({ description: "The failure rate is judged only with at least this many attempts in the window" }),
  })
  .openapi("AlertSettingsInput")
export type AlertSettingsInput = z.infer<typeof alertSettingsInputSchema>

/** What the API shows: never the secret, only whether there is one. */
export const alertSettingsViewSchema = z
  .object({
    url: z.string().nullable(),
    queueDepth: z.number().int(),
    failureRate: z.number(),
    minAttempts: z.number().int(),
    secretSet: z.boolean().openapi({ description: "A signing secret exists (it is shown once, when issued)" }),
  })
  .openapi("AlertSettings")
export type AlertSettingsView = z.infer<typeof alertSettingsViewSchema>

export interface StoredAlertSettings extends AlertSettingsInput {
  /** The signing secret, sealed; null until one is issued. */
  secretEnc: string | null
}

export const DEFAULT_ALERT_SETTINGS: StoredAlertSettings = { ...alertSettingsInputSchema.parse({}), secretEnc: null }

const rowSchema = z.object({
  url: z.string().nullable(),
  queue_depth: z.number(),
  failure_rate: z.number(),
  min_attempts: z.number(),
  secret_enc: z.string().nullable(),
})

/** The additional data a business's sealed alert secret is bound to: it opens for that business only. */
export const alertSecretAad = (businessId: string) => `alerts:${businessId}`

/** The secret in the clear, for signing (null when none was issued). */
export function openAlertSecret(key: string, businessId: string, sealed: string | null): Promise<string | null> {
  return sealed === null ? Promise.resolve(null) : open(key, sealed, alertSecretAad(businessId))
}

export function createAlertSettingsRepository(db: D1Database) {
  return {
    /** The business's settings, the defaults (alerts off) when never saved. */
    async get(businessId: string): Promise<StoredAlertSettings> {
      const raw = await db
        .prepare(
          "SELECT url, queue_depth, failure_rate, min_attempts, secret_enc FROM alert_settings WHERE business_id = ?1",
        )
        .bind(businessId)
        .first()
      if (!raw) return DEFAULT_ALERT_SETTINGS
      const row = rowSchema.parse(raw)
      return {
        url: row.url,
        queueDepth: row.queue_depth,
        failureRate: row.failure_rate,
        minAttempts: row.min_attempts,
        secretEnc: row.secret_enc,
      }
    },

    /** Replaces the settings; `secretEnc` replaces the secret when given, else the stored one stays. */
    async put(businessId: string, settings: AlertSettingsInput, secretEnc: string | null, now: number) {
      await db
        .prepare(
          `INSERT INTO alert_settings (business_id, url, queue_depth, failure_rate, min_attempts, secret_enc, updated_at)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
           ON CONFLICT (business_id) DO UPDATE SET url = excluded.url, queue_depth = excluded.queue_depth,
             failure_rate = excluded.failure_rate, min_attempts = excluded.min_attempts,
             secret_enc = COALESCE(excluded.secret_enc, alert_settings.secret_enc), updated_at = excluded.updated_at`,
        )
        .bind(businessId, settings.url, settings.queueDepth, settings.failureRate, settings.minAttempts, secretEnc, now)
        .run()
    },
  }
}

export function toAlertSettingsView(settings: StoredAlertSettings): AlertSettingsView {
  return {
    url: settings.url,
    queueDepth: settings.queueDepth,
    failureRate: settings.failureRate,
    minAttempts: settings.minAttempts,
    secretSet: settings.secretEnc !== null,
  }
}
