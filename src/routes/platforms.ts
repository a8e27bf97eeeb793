/** `GET /api/platforms`: what each registered platform needs, so clients build forms without knowing platforms. */
import { createRoute, z } from "@hono/zod-openapi"
import { requireAuth } from "../auth/jwt"
import { getProvider, platforms } from "../providers"
import { commonErrors, createOpenApiApp } from "./openapi"

const fieldSchema = z.object({
  name: z.string(),
  required: z.boolean(),
  secret: z.boolean().openapi({ description: "Write-only: never returned once saved" }),
  pattern: z.string().optional(),
})

const platformSchema = z
  .object({ platform: z.string(), credentialFields: z.array(fieldSchema), limits: z.record(z.string(), z.number()) })
  .openapi("Platform")

const jsonSchemaObject = z.object({
  properties: z.record(z.string(), z.object({ pattern: z.string().optional() }).loose()).default({}),
  required: z.array(z.string()).default([]),
})

function describePlatform(platform: (typeof platforms)[number]) {
  const provider = getProvider(platform)
  const schema = jsonSchemaObject.parse(
    z.toJSONSchema(provider.credentialsSchema, { io: "input", unrepresentable: "any" }),
  )
  const credentialFields = Object.entries(schema.properties).map(([name, prop]) => ({
    name,
    required: schema.required.includes(name),
    secret: !provider.publicCredentialFields.includes(name),
    ...(prop.pattern ? { pattern: prop.pattern } : {}),
  }))
  const limits: Record<string, number> = { ...provider.limits }
  return { platform, credentialFields, limits }
}

export const platformsApp = createOpenApiApp().openapi(
  createRoute({
    method: "get",
    path: "/platforms",
    tags: ["Platforms"],
    summary: "Registered platforms, their credential fields and pacing limits",
    middleware: [requireAuth],
    responses: {
      200: {
        description: "One entry per provider",
        content: { "application/json": { schema: z.object({ platforms: z.array(platformSchema) }) } },
      },
      ...commonErrors,
    },
  }),
  (c) => c.json({ platforms: platforms.map(describePlatform) }, 200),
)
