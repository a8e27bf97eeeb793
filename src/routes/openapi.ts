/** Shared OpenAPI pieces: the app factory with our validation-error hook, and the error response schema. */
import { OpenAPIHono, z } from "@hono/zod-openapi"
import type { AppEnv } from "../env"
import { validationError } from "../lib/errors"

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "not_found" }),
      message: z.string().openapi({ example: "Bot not found" }),
      details: z.unknown().optional(),
    }),
  })
  .openapi("Error")

export const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: errorSchema } },
})

export const commonErrors = {
  400: errorResponse("Malformed request"),
  401: errorResponse("Missing, expired or forged token"),
  404: errorResponse("No such bot in this business"),
  422: errorResponse("Validation failed"),
} as const

/** Every sub-app renders zod failures as our `{ error }` shape with a 422 (400 for a malformed JSON body). */
export function createOpenApiApp() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const { body, status } = validationError(result.error, result.target === "json" ? "body" : result.target)
        return c.json(body, status)
      }
    },
  })
}
