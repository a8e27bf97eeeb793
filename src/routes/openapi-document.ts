/**
 * What `/openapi.json` says beyond the routes' own schemas: the document's header (servers, info), the bearer
 * scheme, the components only the description needs (per-platform bodies of `POST /api/bots`), the routes that are
 * plain Hono (`/health`, `/test/message`) and the calls to a business's endpoints (`webhooks`). Lint-clean with
 * Redocly's recommended rules (`npm run lint:openapi`, redocly.yaml).
 */
import type { OpenAPIHono } from "@hono/zod-openapi"
import type { AppEnv } from "../env"
import { createBotSchemas } from "../registry/schemas"
import { healthRoute, VERSION } from "./health"
import { alertWebhook, forwardedMessageWebhook } from "./openapi-webhooks"
import { testMessageRoute } from "./test-message"

type Api = OpenAPIHono<AppEnv>
type Registry = Api["openAPIRegistry"]
type DocumentConfig = Parameters<Api["getOpenAPI31Document"]>[0]

/** The document's header. Paths are absolute from the origin, and every deployment serves its own document. */
export const documentConfig: DocumentConfig = {
  openapi: "3.1.0",
  info: {
    title: "Switchboard management API",
    version: VERSION,
    license: { name: "MIT", url: "https://opensource.org/license/mit" },
    description:
      "Bots, messages, broadcasts, contacts and templates of one business (the token's). Every deployment serves " +
      "this document at `/openapi.json` and an interactive reference at `/docs`; tokens come from " +
      "`npm run token` or the dashboard's sign-in.",
  },
  servers: [
    {
      url: "/",
      description: "This deployment: the origin that serves this document (its PUBLIC_BASE_URL)",
    },
  ],
  security: [{ bearer: [] }],
}

/** Everything the routes do not register themselves. Call once, before the first document is generated. */
export function describeApi(registry: Registry): void {
  registry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "A business's JWT (HS256 with JWT_SECRET): `sub`, `business_id`, `role` (owner, admin, viewer)",
  })
  // `CreateBot` is one of these, by `platform` (src/registry/schemas.ts): only the description refers to them.
  for (const [name, schema] of Object.entries(createBotSchemas)) registry.register(name, schema)
  // Plain Hono routes (their own body parsing and errors): described here, served by healthApp and testMessageApp.
  registry.registerPath(healthRoute)
  registry.registerPath(testMessageRoute)
  // The calls Switchboard makes to a business's own endpoints: the forward handler's and the alerts' (OpenAPI 3.1
  // `webhooks`).
  registry.registerWebhook(forwardedMessageWebhook)
  registry.registerWebhook(alertWebhook)
}
