/**
 * The errors the registry, the services and the bot's Durable Object return (never throw), in domain words.
 * Only the HTTP layer turns them into statuses (`src/lib/errors.ts`).
 */

import type { z } from "zod"

/** A field a form can show an error next to: `path` is dotted, from the request body's root. */
export interface FieldError {
  path: string
  message: string
}

/** A schema's issues as field errors; `prefix` is where the parsed value sits in the body. */
export function fieldErrors(error: z.ZodError, prefix: PropertyKey[] = []): FieldError[] {
  return error.issues.map((issue) => ({
    path: [...prefix, ...issue.path].map(String).join("."),
    message: issue.message,
  }))
}

export type DomainError =
  /** Nothing of that id in this business (another business's thing is as unknown as a missing one). */
  | { kind: "not_found"; message: string }
  /**
   * The request collides with existing state: a platform account another bot holds, a reused idempotency key, a
   * chat (identity) another contact of the business already holds, a template name the business already uses, a
   * retry of a message that did not fail (or was retried already).
   */
  | {
      kind: "conflict"
      code: "bot_conflict" | "idempotency_conflict" | "identity_conflict" | "template_conflict" | "not_retryable"
      message: string
    }
  /** The bot is stopped: it neither sends nor answers until started. */
  | { kind: "stopped"; message: string }
  /** Input that passed the schema but not a rule that needs context (the platform, the deployment, stored state). */
  | { kind: "invalid"; message: string; fields: FieldError[] }
  /** The platform refused the credentials (a bad token, a token that does not own that number). */
  | { kind: "credentials_rejected"; message: string }
  /**
   * The platform allows only templates to this chat now (WhatsApp: the person has not written in 24 hours). Refused
   * before any call, so it costs no rate budget.
   */
  | { kind: "window_closed"; message: string }
  /** The platform could not be reached to check something: nothing was changed, try again. */
  | { kind: "platform_unavailable"; message: string }
  /** The thing changed since the version the write was conditional on (HTTP If-Match): nothing was written. */
  | { kind: "stale"; message: string }

export const notFound = (what = "Bot"): DomainError => ({ kind: "not_found", message: `${what} not found` })

export const invalid = (path: string, message: string): DomainError => ({
  kind: "invalid",
  message: `Invalid body: ${path}: ${message}`,
  fields: [{ path, message }],
})
