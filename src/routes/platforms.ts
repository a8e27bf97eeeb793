/** `GET /api/platforms`: what each registered platform needs, so clients build forms without knowing platforms. */
import { createRoute, z } from "@hono/zod-openapi"
import { requireAuth } from "../auth/jwt"
import { getProvider, platforms } from "../providers"
import { commonErrors, createOpenApiApp } from "./openapi"

const fieldSchema = z.object({
  name: z.string().openapi({ description: "Key in `credentials` of `POST /api/bots`" }),
  required: z.boolean(),
  secret: z.boolean().openapi({ description: "Write-only: never returned once saved" }),
  label: z.string().openapi({ description: "Human label for a form (the schema's title, else the field name)" }),
  help: z.string().optional().openapi({ description: "Where to find the value (the schema's description)" }),
  pattern: z.string().optional().openapi({ description: "Regular expression the value must match" }),
  placeholder: z.string().optional().openapi({ description: "An example of the value's shape" }),
})

const platformSchema = z
  .object({
    platform: z.string().openapi({ description: "Platform key, as in `POST /api/bots`", example: "telegram" }),
    displayName: z.string().openapi({ description: "Human name", example: "Telegram" }),
    credentialFields: z.array(fieldSchema),
    limits: z.record(z.string(), z.number()),
    capabilities: z
      .object({
        polling: z.boolean().openapi({ description: "Can receive updates by long polling (`updates.mode: polling`)" }),
        appWebhook: z
          .boolean()
          .openapi({ description: "Has an app-level webhook: `/webhooks/{platform}` for many accounts" }),
        gateway: z.boolean().openapi({
          description:
            "Receives messages over a socket the bot holds open (Discord's Gateway): `stats.gateway` shows it",
        }),
        deliveryReceipts: z.boolean().openapi({
          description: "Reports delivery and reads of sent messages (WhatsApp): elsewhere `sent` is the last status",
        }),
        serviceWindowHours: z.number().nullable().openapi({
          description: "Free-form messages only this long after the person last wrote (WhatsApp: 24); templates exempt",
        }),
      })
      .openapi({ description: "What the platform can do beyond webhooks per bot" }),
    webhookSetup: z
      .object({
        urlName: z.string().openapi({ description: "What the platform calls the URL", example: "Callback URL" }),
        steps: z.string().openapi({ description: "Where to paste the bot's `webhookUrl`, in the platform's settings" }),
      })
      .nullable()
      .openapi({
        description: "How to give the platform a bot's webhook URL by hand; null: Switchboard registers it itself",
      }),
  })
  .openapi("Platform")

/** The part of `z.toJSONSchema` read here; zod 4 puts `.meta()` title, description and examples into it. */
const jsonSchemaObject = z.object({
  properties: z
    .record(
      z.string(),
      z
        .object({
          pattern: z.string().optional(),
          title: z.string().optional(),
          description: z.string().optional(),
          examples: z.array(z.unknown()).optional(),
        })
        .loose(),
    )
    .default({}),
  required: z.array(z.string()).default([]),
})

function describePlatform(platform: (typeof platforms)[number]) {
  const provider = getProvider(platform)
  const schema = jsonSchemaObject.parse(
    z.toJSONSchema(provider.credentialsSchema, { io: "input", unrepresentable: "any" }),
  )
  const credentialFields = Object.entries(schema.properties).map(([name, prop]) => {
    const example = prop.examples?.find((e) => typeof e === "string")
    return {
      name,
      required: schema.required.includes(name),
      secret: !provider.publicCredentialFields.includes(name),
      label: prop.title ?? name,
      ...(prop.description ? { help: prop.description } : {}),
      ...(prop.pattern ? { pattern: prop.pattern } : {}),
      ...(example ? { placeholder: example } : {}),
    }
  })
  const limits: Record<string, number> = { ...provider.limits }
  const capabilities = {
    polling: provider.poll !== undefined,
    appWebhook: provider.appWebhook !== undefined,
    gateway: provider.gateway !== undefined,
    deliveryReceipts: provider.reportsDelivery === true,
    serviceWindowHours: provider.serviceWindowMs !== undefined ? provider.serviceWindowMs / 3600_000 : null,
  }
  const webhookSetup = provider.manualWebhook ? { ...provider.manualWebhook } : null
  return { platform, displayName: provider.displayName, credentialFields, limits, capabilities, webhookSetup }
}

export const platformsApp = createOpenApiApp().openapi(
  createRoute({
    method: "get",
    path: "/platforms",
    operationId: "listPlatforms",
    tags: ["Platforms"],
    summary: "Registered platforms, their credential fields (with form labels and help) and pacing limits",
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
