/** The one error the HTTP layer throws; `app.onError` renders it as `{ error: { code, message } }`. */
import { HTTPException } from "hono/http-exception"
import type { ContentfulStatusCode } from "hono/utils/http-status"
import type { z } from "zod"
import { type DomainError, type FieldError, fieldErrors } from "./domain-error"
import { logEvent } from "./log"
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

/**
 * What the worker answers for an error that reached the top (`app.onError`, and the direct webhook path): an
 * {@link HttpError} as it says, Hono's own as a 4xx, anything else a logged 500 that says nothing of its cause.
 */
export function errorAnswer(
  error: Error,
  where: { requestId: string; path: string },
): { status: ContentfulStatusCode; body: ErrorBody; headers: Record<string, string> } {
  if (error instanceof HttpError)
    return { status: error.status, body: errorBody(error.code, error.message, error.details), headers: error.headers }
  if (error instanceof HTTPException) {
    // Hono's own (e.g. malformed JSON body from the validator): always a 4xx here.
    const status = error.status >= 500 ? 400 : error.status
    return { status, body: errorBody(status === 413 ? "payload_too_large" : "bad_request", error.message), headers: {} }
  }
  // Log the cause without request bodies or headers: they can hold tokens.
  logEvent("error", "unhandled", { ...where, name: error.name, message: error.message })
  return { status: 500, body: errorBody("internal", "Something went wrong; it has been logged"), headers: {} }
}
