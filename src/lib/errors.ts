/** The one error the HTTP layer throws; `app.onError` renders it as `{ error: { code, message } }`. */
import type { ContentfulStatusCode } from "hono/utils/http-status"
import type { z } from "zod"
import { type DomainError, type FieldError, fieldErrors } from "./domain-error"
import type { Result } from "./result"

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 412 | 413 | 415 | 422 | 429 | 500 | 502 | 503

export class HttpError extends Error {
  constructor(
    readonly status: ErrorStatus,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    /** Machine-readable extras: the fields a form can place errors next to. */
    readonly details?: ErrorDetails,
  ) {
    super(message)
    this.name = "HttpError"
  }
}

/** `error.details` of an answer (the `ErrorDetails` schema of /openapi.json, src/routes/openapi.ts). */
export interface ErrorDetails {
  fields: FieldError[]
}

export interface ErrorBody {
  error: { code: string; message: string; details?: ErrorDetails }
}

export function errorBody(code: string, message: string, details?: ErrorDetails): ErrorBody {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } }
}

/** Turns zod issues into one readable sentence plus per-field details the dashboard can place next to inputs. */
export function validationError(
  error: z.ZodError,
  where = "body",
  prefix: PropertyKey[] = [],
): { body: ErrorBody; status: ContentfulStatusCode } {
  const fields = fieldErrors(error, prefix)
  const first = fields[0]
  const message = first
    ? `Invalid ${where}: ${first.path ? `${first.path}: ` : ""}${first.message}`
    : `Invalid ${where}`
  return { body: errorBody("validation_failed", message, { fields }), status: 422 }
}

/** The HTTP answer for a domain error: the one place statuses are chosen. */
export function httpError(error: DomainError): HttpError {
  switch (error.kind) {
    case "not_found":
      return new HttpError(404, "not_found", error.message)
    case "conflict":
      return new HttpError(409, error.code, error.message)
    case "stopped":
      return new HttpError(409, "bot_stopped", error.message)
    case "invalid":
      return new HttpError(422, "validation_failed", error.message, {}, { fields: error.fields })
    case "credentials_rejected":
      return new HttpError(422, "credentials_rejected", error.message)
    case "window_closed":
      return new HttpError(422, "window_closed", error.message)
    case "platform_unavailable":
      return new HttpError(503, "platform_unavailable", error.message, { "Retry-After": "5" })
    case "stale":
      return new HttpError(412, "precondition_failed", error.message)
  }
}

/** Routes unwrap a service's result with this: the value, or the domain error thrown as its HTTP answer. */
export function orThrow<T>(result: Result<T, DomainError>): T {
  if (!result.ok) throw httpError(result.error)
  return result.value
}
