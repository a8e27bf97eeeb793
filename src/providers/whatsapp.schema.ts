/** zod schemas for the WhatsApp Cloud API payloads Switchboard reads: only the fields used, unknown keys ignored. */
import { z } from "zod"

/**
 * Credentials for `POST /api/bots`. `appSecret` is optional: one Meta app usually serves every number, so the
 * env-level `WHATSAPP_APP_SECRET` is the fallback.
 * @see https://developers.facebook.com/docs/whatsapp/cloud-api/get-started
 */
export const whatsappCredentialsSchema = z.object({
  accessToken: z
    .string()
    .min(1)
    .meta({
      title: "Access token",
      description: "A permanent system-user token: Meta Business settings > Users > System users > Generate new token.",
      examples: ["EAAG…"],
    }),
  phoneNumberId: z
    .string()
    .regex(/^\d+$/, "expected the numeric phone number id from the Meta dashboard")
    .meta({
      title: "Phone number ID",
      description: "Digits, from the Meta app dashboard > WhatsApp > API Setup.",
      examples: ["106540352242922"],
    }),
  verifyToken: z.string().min(1).meta({
    title: "Verify token",
    description:
      "Any string you choose. In the Meta app dashboard > WhatsApp > Configuration, enter it with the Callback URL shown after saving, and subscribe to the messages field.",
  }),
  appSecret: z.string().min(1).optional().meta({
    title: "App secret",
    description:
      "Meta app dashboard > App settings > Basic. Signs Meta's webhooks; optional when the server has WHATSAPP_APP_SECRET.",
  }),
})
export type WhatsAppCredentials = z.infer<typeof whatsappCredentialsSchema>

/**
 * The webhook envelope, loose at every level: splitting a batch by phone number must re-emit every field Meta
 * sent, and `value` is parsed per `field` because each webhook field has its own shape.
 * @see https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components
 */
export const whatsappEnvelopeSchema = z.looseObject({
  object: z.literal("whatsapp_business_account"),
  entry: z.array(
    z.looseObject({
      id: z.string().optional(),
      changes: z.array(z.looseObject({ field: z.string(), value: z.unknown() })),
    }),
  ),
})
export type WhatsAppEnvelope = z.infer<typeof whatsappEnvelopeSchema>

/** Only `metadata.phone_number_id`: enough to route a change to its bot. */
export const whatsappValueMetadataSchema = z.object({
  // Only the id: routing must not depend on a field the parser ignores (an odd display number would drop the change).
  metadata: z.object({ phone_number_id: z.string() }),
})

/** Latest plausible unix second (year 5138): beyond it, times in ms would not stay exact integers. */
const MAX_UNIX_SECONDS = 1e11

/**
 * Meta sends unix seconds as a string; accept a number too rather than reject a whole batch over it. A value that
 * is no time at all (negative, NaN, 1e306) reads as 0 rather than becoming an Infinity no JSON can store.
 */
const unixSeconds = z.union([z.string(), z.number()]).transform((v) => {
  const n = Number(v)
  return Number.isFinite(n) && n >= 0 && n <= MAX_UNIX_SECONDS ? n : 0
})

/**
 * `contacts[]`: `wa_id` may be missing for users with a username (2026); `user_id` is the business-scoped id.
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids
 */
export const whatsappContactSchema = z.object({
  wa_id: z.string().optional(),
  user_id: z.string().optional(),
  username: z.string().optional(),
  profile: z.object({ name: z.string().optional() }).optional(),
})

/** The value of a `messages` change. Items are parsed one by one so one odd message cannot sink a batch. */
export const whatsappMessagesValueSchema = z.object({
  metadata: z.object({ phone_number_id: z.string() }),
  contacts: z.array(z.unknown()).optional(),
  messages: z.array(z.unknown()).optional(),
  statuses: z.array(z.unknown()).optional(),
})

/** The fields every inbound message has; the sender may be `from` (phone) or, with usernames, a user id. */
export const whatsappMessageBaseSchema = z.object({
  id: z.string().min(1),
  from: z.string().optional(),
  from_user_id: z.string().optional(),
  user_id: z.string().optional(),
  timestamp: unixSeconds,
  type: z.string(),
  context: z.object({ id: z.string().optional(), from: z.string().optional() }).optional(),
})

const media = z.object({
  id: z.string().optional(),
  link: z.string().optional(),
  /** Inbound media: a short-lived download URL (needs the access token) and the file's SHA-256. */
  url: z.string().optional(),
  sha256: z.string().optional(),
  mime_type: z.string().optional(),
  caption: z.string().optional(),
  filename: z.string().optional(),
  /** Set on audio recorded in the app (a voice note). */
  voice: z.boolean().optional(),
})

const reply = z.object({ id: z.string(), title: z.string().optional() })

/** Type-specific bodies, each read only when `type` names it. @see https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components#messages-object */
export const whatsappMessageBodies = {
  text: z.object({ text: z.object({ body: z.string() }) }),
  image: z.object({ image: media }),
  document: z.object({ document: media }),
  audio: z.object({ audio: media }),
  video: z.object({ video: media }),
  sticker: z.object({ sticker: media }),
  location: z.object({
    location: z.object({
      latitude: z.number(),
      longitude: z.number(),
      name: z.string().optional(),
      address: z.string().optional(),
    }),
  }),
  contacts: z.object({
    contacts: z
      .array(
        z.object({
          name: z.object({ formatted_name: z.string().optional(), first_name: z.string().optional() }).optional(),
          phones: z.array(z.object({ phone: z.string().optional(), wa_id: z.string().optional() })).optional(),
        }),
      )
      .min(1),
  }),
  interactive: z.object({
    interactive: z.object({
      type: z.string(),
      button_reply: reply.optional(),
      list_reply: reply.optional(),
    }),
  }),
  button: z.object({ button: z.object({ payload: z.string().optional(), text: z.string() }) }),
  reaction: z.object({ reaction: z.object({ message_id: z.string(), emoji: z.string().optional() }) }),
  system: z.object({ system: z.object({ body: z.string().optional() }) }),
}

/** A delivery receipt. `recipient_id` may give way to `recipient_user_id` for username users. */
export const whatsappStatusSchema = z.object({
  id: z.string().min(1),
  status: z.string(),
  timestamp: unixSeconds,
  recipient_id: z.string().optional(),
  recipient_user_id: z.string().optional(),
  errors: z
    .array(z.object({ code: z.number().int(), title: z.string().optional(), message: z.string().optional() }))
    .optional(),
})

/** Success of `POST /{phone_number_id}/messages`. */
export const whatsappSendResponseSchema = z.object({
  messages: z.array(z.object({ id: z.string().min(1) })).min(1),
})

/**
 * Graph API error body; classify by `error.code`, never by HTTP status.
 * @see https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes
 */
export const whatsappErrorSchema = z.object({
  error: z.object({
    message: z.string().optional(),
    type: z.string().optional(),
    code: z.number().int(),
    error_subcode: z.number().int().optional(),
    error_data: z.object({ details: z.string().optional() }).optional(),
  }),
})
export type WhatsAppError = z.infer<typeof whatsappErrorSchema>["error"]
