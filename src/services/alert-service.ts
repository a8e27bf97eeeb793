/**
 * A business's alert settings: the URL passes the same outbound guard as a forward handler's (no private or
 * link-local hosts, checked before anything is stored or fetched), and the signing secret (`whsec_`..., a Standard
 * Webhooks secret: lib/webhook-signature) is made here, sealed at rest and returned once, when it is issued or rotated.
 */
import type { AuthClaims } from "../auth/jwt"
import { type Env, outboundUrlPolicy } from "../env"
import { seal } from "../lib/crypto"
import { type DomainError, invalid } from "../lib/domain-error"
import { err, ok, type Result } from "../lib/result"
import { checkOutboundUrl } from "../lib/url-guard"
import { newSigningSecret } from "../lib/webhook-signature"
import {
  type AlertSettingsInput,
  type AlertSettingsView,
  alertSecretAad,
  createAlertSettingsRepository,
  toAlertSettingsView,
} from "../registry/alert-settings"

export interface AlertSettingsWrite {
  settings: AlertSettingsView
  /** The signing secret when this write issued one: shown once, never again. */
  issuedSecret?: string | undefined
}

export function createAlertService(env: Env, auth: Pick<AuthClaims, "business_id">) {
  const repo = createAlertSettingsRepository(env.DB)
  const businessId = auth.business_id

  const issue = async () => {
    const secret = newSigningSecret()
    return { secret, sealed: await seal(env.ENCRYPTION_KEY, secret, alertSecretAad(businessId)) }
  }

  return {
    async get(): Promise<AlertSettingsView> {
      return toAlertSettingsView(await repo.get(businessId))
    },

    /** Replaces the settings; the first URL saved without a secret issues one. */
    async put(input: AlertSettingsInput): Promise<Result<AlertSettingsWrite, DomainError>> {
      if (input.url !== null) {
        const checked = checkOutboundUrl(input.url, outboundUrlPolicy(env))
        if (!checked.ok) return err(invalid("url", `must be a public https: URL; it ${checked.reason}`))
      }
      const current = await repo.get(businessId)
      const issued = input.url !== null && current.secretEnc === null ? await issue() : null
      await repo.put(businessId, input, issued?.sealed ?? null, Date.now())
      const settings = toAlertSettingsView({ ...input, secretEnc: issued?.sealed ?? current.secretEnc })
      return ok({ settings, issuedSecret: issued?.secret })
    },

    /** A new signing secret replaces the old one at once (bots pick it up within their settings cache's 30 seconds). */
    async rotateSecret(): Promise<AlertSettingsWrite & { issuedSecret: string }> {
      const current = await repo.get(businessId)
      const issued = await issue()
      await repo.put(businessId, current, issued.sealed, Date.now())
      return { settings: toAlertSettingsView({ ...current, secretEnc: issued.sealed }), issuedSecret: issued.secret }
    },
  }
}
