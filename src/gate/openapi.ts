/**
 * The gate in /openapi.json: the gate runs around every route rather than inside one (src/gate/middleware.ts), so
 * it is described once here, on the generated document, instead of in each route's definition: `Idempotency-Key`
 * on every POST under /api, and a 429 (with its headers) on every gated operation.
 */
import type { OpenAPIHono } from "@hono/zod-openapi"
import type { AppEnv } from "../env"
import { IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY_MAX } from "./middleware"

type Document = ReturnType<OpenAPIHono<AppEnv>["getOpenAPI31Document"]>

const METHODS = ["get", "put", "post", "delete", "patch"] as const
const ref = (kind: string, name: string) => ({ $ref: `#/components/${kind}/${name}` })

/** Paths the gate counts (webhooks are not in the document, and never counted). */
const gated = (path: string) => path.startsWith("/api/") || path.startsWith("/test/") || path === "/health"

/** Adds the gate's parameter, headers and 429 answer to a freshly generated document. */
export function describeGate(doc: Document): Document {
  const components = doc.components ?? {}
  components.parameters = {
    ...components.parameters,
    IdempotencyKey: {
      name: IDEMPOTENCY_HEADER,
      in: "header",
      required: false,
      description:
        `Makes a retry safe: the first request with a key runs, and its 2xx answer is kept for 24 hours per ` +
        "business. The same key with the same method, path and body replays that answer (status, body, " +
        "`Location`) with `Idempotent-Replayed: true`; with another request it is `409 idempotency_conflict`, " +
        "and while the first request still runs `409 idempotency_in_progress` (retry after `Retry-After`). An " +
        "answer other than 2xx is not kept: the key can be used again. A body's own `idempotencyKey` (sends) " +
        "works as before.",
      schema: { type: "string", minLength: 1, maxLength: IDEMPOTENCY_KEY_MAX, example: "order-1042-confirmation" },
    },
  }
  components.headers = {
    ...components.headers,
    RateLimit: {
      description:
        'Where the caller stands (draft-ietf-httpapi-ratelimit-headers): `"business";r=57;t=1` is 57 requests ' +
        "left, the bucket full again in 1 s (`ip` instead of `business` for requests without a valid token)",
      schema: { type: "string" },
    },
    RateLimitPolicy: {
      description:
        'The limit: `"business";q=200;w=2` is bursts of 200 requests, refilled in 2 s (100 a second by default)',
      schema: { type: "string" },
    },
    RetryAfter: { description: "Seconds to wait before retrying", schema: { type: "integer", minimum: 1 } },
  }
  components.responses = {
    ...components.responses,
    RateLimited: {
      description:
        "`rate_limited`: over the business's rate limit (per IP address without a valid token); retry after " +
        "`Retry-After` seconds",
      headers: {
        "Retry-After": ref("headers", "RetryAfter"),
        RateLimit: ref("headers", "RateLimit"),
        "RateLimit-Policy": ref("headers", "RateLimitPolicy"),
      },
      content: { "application/json": { schema: ref("schemas", "Error") } },
    },
  }
  doc.components = components
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    if (!gated(path)) continue
    for (const method of METHODS) {
      const operation = item[method]
      if (!operation) continue
      operation.responses = { ...operation.responses, 429: ref("responses", "RateLimited") }
      if (method === "post" && path.startsWith("/api/"))
        operation.parameters = [...(operation.parameters ?? []), ref("parameters", "IdempotencyKey")]
    }
  }
  return doc
}
