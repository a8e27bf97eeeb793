/** createApp(): middleware, sub-app mounts, and the one error renderer. */
import { OpenAPIHono } from "@hono/zod-openapi"
import { Hono } from "hono"
import { bodyLimit } from "hono/body-limit"
import { type HubStats, hubCount } from "./analytics/registry-hub"
import { requireAuth, requireWriter } from "./auth/jwt"
import { type AppEnv, envVar } from "./env"
import { gate } from "./gate/middleware"
import { describeGate } from "./gate/openapi"
import { COMPAT_WEBHOOK, routedRequestPath } from "./lib/api-paths"
import { corsFromEnv } from "./lib/cors"
import { errorAnswer, errorBody } from "./lib/errors"
import { requestIds } from "./lib/request-id"
import { securityHeaders } from "./lib/security-headers"
import { alertSettingsApp } from "./routes/alerts"
import { analyticsApp } from "./routes/analytics"
import { audienceBroadcastsApp } from "./routes/audience-broadcasts"
import { authApp } from "./routes/auth"
import { botLogsApp } from "./routes/bot-logs"
import { botsApp } from "./routes/bots"
import { broadcastsApp, NDJSON_BODY_LIMIT, RECIPIENTS_JSON_LIMIT } from "./routes/broadcasts"
import { contactMessagesApp } from "./routes/contact-messages"
import { contactSettingsApp, contactsApp } from "./routes/contacts"
import { CONDITIONAL_WRITES, httpConventions, preconditions } from "./routes/conventions"
import { docsApp } from "./routes/docs"
import { healthApp } from "./routes/health"
import { insightsApp } from "./routes/insights"
import { messagesApp } from "./routes/messages"
import { describeConventions } from "./routes/openapi-conventions"
import { describeApi, documentConfig } from "./routes/openapi-document"
import { outboundMessagesApp } from "./routes/outbound-messages"
import { platformsApp } from "./routes/platforms"
import { templatesApp } from "./routes/templates"
import { testMessageApp } from "./routes/test-message"
import { compatWebhooksApp, webhooksApp } from "./routes/webhooks"
import { envBotsOnce } from "./services/env-bot"

/** Bodies of the management API and /test: far above any real bot or message, far below a memory problem. */
export const API_BODY_LIMIT = 256 * 1024
const apiBodyLimit = bodyLimit({
  maxSize: API_BODY_LIMIT,
  onError: (c) => c.json(errorBody("payload_too_large", "Request body exceeds 256 KB"), 413),
})
/** Broadcast recipients: JSON chunks of 5,000 with variables (about 2 MB), or NDJSON (100,000 lines) up to 16 MB. */
const RECIPIENTS_UPLOAD = /^\/api\/bots\/[^/]+\/broadcasts(\/[^/]+\/recipients)?$/
const ndjsonBodyLimit = bodyLimit({
  maxSize: NDJSON_BODY_LIMIT,
  onError: (c) => c.json(errorBody("payload_too_large", "Recipients upload exceeds 16 MB"), 413),
})
const recipientsBodyLimit = bodyLimit({
  maxSize: RECIPIENTS_JSON_LIMIT,
  onError: (c) =>
    c.json(errorBody("payload_too_large", "A chunk of recipients over 2 MB: send fewer per request"), 413),
})

export function createApp() {
  // `/v1/...` is routed as `/api/...` (src/lib/api-paths.ts): one set of routes and middleware serves both.
  const app = new Hono<AppEnv>({ getPath: routedRequestPath })
  app.use(requestIds())
  app.use(async (c, next) => {
    envBotsOnce(c.env, (ready) => c.executionCtx.waitUntil(ready))
    await next()
  })
  app.use(securityHeaders())
  // CORS for the origins in CORS_ORIGINS (none by default), before the gate: preflights are answered, not counted.
  const cors = corsFromEnv()
  app.use("/api/*", (c, next) => (COMPAT_WEBHOOK.test(c.req.path) ? next() : cors(c, next)))
  app.use("/openapi.json", cors)

  // Management API bodies are small JSON documents; webhooks (their own, larger limit) are exempt.
  app.use("/api/*", (c, next) => {
    if (COMPAT_WEBHOOK.test(c.req.path)) return next()
    if (!RECIPIENTS_UPLOAD.test(c.req.path)) return apiBodyLimit(c, next)
    const ndjson = (c.req.header("content-type") ?? "").startsWith("application/x-ndjson")
    return ndjson ? ndjsonBodyLimit(c, next) : recipientsBodyLimit(c, next)
  })
  app.use("/test/*", apiBodyLimit)
  // Rate limits and Idempotency-Key (src/gate): after the body limits, before the routes; never on webhooks.
  app.use("/api/*", gate)
  app.use("/test/*", gate)
  app.use("/auth/*", gate)
  app.use("/health", gate)
  // ETag, If-None-Match (304), Location (src/routes/conventions.ts): inside the gate, so a replay keeps Location.
  app.use("/api/*", httpConventions)

  // The documented management API: one OpenAPI app, so /openapi.json comes from the schemas that validate.
  const api = new OpenAPIHono<AppEnv>()
    .route("/api/bots", botsApp)
    .route("/api/bots", botLogsApp)
    .route("/api/bots", messagesApp)
    .route("/api/bots", outboundMessagesApp)
    .route("/api/bots", broadcastsApp)
    .route("/api", audienceBroadcastsApp)
    .route("/api", insightsApp)
    .route("/api", analyticsApp)
    .route("/api", platformsApp)
    .route("/api/contacts", contactsApp)
    .route("/api/contacts", contactMessagesApp)
    .route("/api", contactSettingsApp)
    .route("/api", alertSettingsApp)
    .route("/api/templates", templatesApp)
  describeApi(api.openAPIRegistry)
  // If-Match on PATCH and DELETE of bots, contacts and templates: after authentication, right before the route.
  app.on(["PATCH", "DELETE"], CONDITIONAL_WRITES, requireAuth, requireWriter, preconditions(api))
  let document: ReturnType<typeof api.getOpenAPI31Document> | undefined

  app.route("/health", healthApp)
  app.route("/", api)
  app.route("/auth", authApp)
  app.route("/docs", docsApp)
  app.route("/webhooks", webhooksApp)
  app.route("/api", compatWebhooksApp)
  app.route("/test", testMessageApp)
  app.get("/openapi.json", (c) => {
    document ??= describeConventions(describeGate(api.getOpenAPI31Document(documentConfig)))
    return c.json(document)
  })

  // The bench's baseline (bench/run.ts): a bare route of this same build, the runtime's limit; 404 unless BENCH_BARE=1.
  app.post("/__bench/bare", (c) => (envVar(c.env, "BENCH_BARE") === "1" ? c.text("ok") : c.notFound()))
  // The registry-writes bench (bench/registry-writes.ts): the registry hubs' counters summed; 404 unless BENCH_BARE=1.
  app.get("/__bench/registry", async (c) => {
    if (envVar(c.env, "BENCH_BARE") !== "1") return c.notFound()
    const hubs = Array.from({ length: hubCount(c.env) }, (_, n) =>
      c.env.REGISTRY_HUB.get(c.env.REGISTRY_HUB.idFromName(`hub-${n}`)),
    )
    const all = await Promise.all(hubs.map((hub) => hub.stats()))
    const sum = (key: keyof HubStats) => all.reduce((n, s) => n + s[key], 0)
    return c.json({
      hubs: all.length,
      reports: sum("reports"),
      batches: sum("batches"),
      facts: sum("facts"),
      pending: sum("pending"),
    })
  })

  app.notFound((c) =>
    c.json(errorBody("not_found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}`), 404),
  )

  app.onError((error, c) => {
    const answer = errorAnswer(error, { requestId: c.var.requestId, path: c.req.path })
    for (const [k, v] of Object.entries(answer.headers)) c.header(k, v)
    return c.json(answer.body, answer.status)
  })

  return app
}
