/** Shared OpenAPI pieces: the app factory with our validation-error hook, and the error response schema. */
import { OpenAPIHono, z } from "@hono/zod-openapi"
import type { AppEnv } from "../env"
import { type ErrorDetails, validationError } from "../lib/errors"

const fieldErrorSchema = z
  .object({
    path: z.string().openapi({
      description: "Dotted, from the request body's root (a query parameter's name for a query)",
      example: "credentials.botToken",
    }),
    message: z.string().openapi({ example: "expected a BotFather token such as 123456789:AAE..." }),
  })
  .openapi("FieldError")

/** What `details` holds: the type src/lib/errors.ts throws (`ErrorDetails`), checked both ways below. */
const errorDetailsSchema = z
  .object({ fields: z.array(fieldErrorSchema) })
  .openapi("ErrorDetails", { description: "With `validation_failed`: each field a form can show its error next to" })
type DocumentedDetails = z.infer<typeof errorDetailsSchema>
const _detailsDocumented: [DocumentedDetails, ErrorDetails] extends [ErrorDetails, DocumentedDetails] ? true : never =
  true

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "not_found" }),
      message: z.string().openapi({ example: "Bot not found" }),
      details: errorDetailsSchema.optional(),
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
