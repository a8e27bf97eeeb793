/** The one error the HTTP layer throws; `app.onError` renders it as `{ error: { code, message } }`. */
import type { ContentfulStatusCode } from "hono/utils/http-status"
import type { z } from "zod"

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 502 | 503

export class HttpError extends Error {
  constructor(
    readonly status: ErrorStatus,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    /** Machine-readable extras, e.g. `{ fields: [{ path, message }] }` for a form to place errors. */
    readonly details?: unknown,
  ) {
    super(message)
    this.name = "HttpError"
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown }
}

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } }
}

/** Turns zod issues into one readable sentence plus per-field details the dashboard can place next to inputs. */
export function validationError(
  error: z.ZodError,
  where = "body",
  prefix: PropertyKey[] = [],
): { body: ErrorBody; status: ContentfulStatusCode } {
  const fields = error.issues.map((issue) => ({
    path: [...prefix, ...issue.path].map(String).join("."),
    message: issue.message,
  }))
  const first = fields[0]
  const message = first
    ? `Invalid ${where}: ${first.path ? `${first.path}: ` : ""}${first.message}`
    : `Invalid ${where}`
  return { body: errorBody("validation_failed", message, { fields }), status: 422 }
}

export const notFound = (what = "Bot") => new HttpError(404, "not_found", `${what} not found`)
