/**
 * The HTTP conventions in /openapi.json (src/routes/conventions.ts applies them around the routes, so they are
 * described once here, on the generated document): `ETag` and `If-None-Match` (304) on GETs, `If-Match` (412) on the
 * writes of bots, contacts and templates, `Location` on what creates; and the versioned paths: every `/api/x` route
 * is listed as `/v1/x`, the canonical path, with `/api/x` its alias. Runs last, on the whole document.
 */
import type { OpenAPIHono } from "@hono/zod-openapi"
import type { AppEnv } from "../env"
import { canonicalPath } from "../lib/api-paths"
import { conditionalWrite, locatesCreated } from "./conventions"

type Document = ReturnType<OpenAPIHono<AppEnv>["getOpenAPI31Document"]>
type PathItem = NonNullable<Document["paths"]>[string]
type Operation = NonNullable<PathItem["get"]>
type Responses = NonNullable<Operation["responses"]>

const ref = (kind: string, name: string) => ({ $ref: `#/components/${kind}/${name}` })

export const VERSIONING =
  "**Versions.** The canonical paths are versioned: `/v1/bots`, `/v1/bots/{id}/messages`, ... (those listed " +
  "here, and the ones `Location` points at). Every `/v1/...` path is also served at `/api/...` (`/api/bots`, ...), " +
  "the paths from before versions: aliases that answer exactly the same, kept for existing clients and the dashboard " +
  "(deployed with the worker, it needs no version). A change that breaks a client comes as `/v2`, next to `/v1`."

/** Adds `name` to a response's headers (the response inline, as the routes generate them). */
function addHeader(responses: Responses, status: string, name: string, header: { $ref: string }) {
  const response = responses[status]
  if (!response || "$ref" in response) return
  response.headers = { ...response.headers, [name]: header }
}

/** Whether a response is inline JSON (the conventions leave CSV and other answers alone). */
function isJson(response: Responses[string] | undefined): boolean {
  return response !== undefined && !("$ref" in response) && response.content?.["application/json"] !== undefined
}

function describeOperation(path: string, method: string, op: Operation) {
  const responses: Responses = { ...op.responses }
  if (method === "get" && path.startsWith("/api/") && isJson(responses["200"])) {
    op.parameters = [...(op.parameters ?? []), ref("parameters", "IfNoneMatch")]
    addHeader(responses, "200", "ETag", ref("headers", "ETag"))
    responses["304"] = ref("responses", "NotModified")
  }
  if ((method === "patch" || method === "delete") && conditionalWrite(path)) {
    op.parameters = [...(op.parameters ?? []), ref("parameters", "IfMatch")]
    if (method === "patch") addHeader(responses, "200", "ETag", ref("headers", "ETag"))
    responses["412"] = ref("responses", "PreconditionFailed")
  }
  if (method === "post" && locatesCreated(path)) {
    addHeader(responses, "201", "Location", ref("headers", "Location"))
    addHeader(responses, "201", "ETag", ref("headers", "ETag"))
    addHeader(responses, "202", "Location", ref("headers", "Location"))
  }
  op.responses = responses
}

/** Adds the conventions' parameters, headers and answers, and lists the paths under /v1. */
export function describeConventions(doc: Document): Document {
  const components = doc.components ?? {}
  components.parameters = {
    ...components.parameters,
    IfNoneMatch: {
      name: "If-None-Match",
      in: "header",
      required: false,
      description:
        "An `ETag` of an earlier answer (or several, comma-separated): `304 Not Modified`, without a body, while the " +
        "answer would be the same bytes",
      schema: { type: "string", example: '"mN3xq0V8Yb2kS7dA.5hGf0QeLr3TtW1cZ"' },
    },
    IfMatch: {
      name: "If-Match",
      in: "header",
      required: false,
      description:
        "The `ETag` the change is based on: the write happens only while the resource is still in that state, " +
        "`412 precondition_failed` otherwise (read it again, and retry with the new `ETag`). A bot's tag has two " +
        "parts, `<state>.<live>`: only the state is compared, as `queueDepth` and `lastActive` move with traffic " +
        "and no write can change them. `*` matches any current state; a weak `W/` tag never matches.",
      schema: { type: "string", example: '"mN3xq0V8Yb2kS7dA.5hGf0QeLr3TtW1cZ"' },
    },
  }
  components.headers = {
    ...components.headers,
    ETag: {
      description:
        "Strong entity tag of this answer (a digest of its JSON): send it back as `If-None-Match` (304 while " +
        "unchanged) or, for a bot, contact or template, as `If-Match` on PATCH and DELETE",
      schema: { type: "string" },
    },
    Location: {
      description: "The canonical (`/v1/...`) path of what was created: the resource, or the send's status",
      schema: { type: "string", format: "uri-reference", example: "/v1/bots/bot_01J9Z6W0M3K4T8Q2" },
    },
  }
  components.responses = {
    ...components.responses,
    NotModified: {
      description: "Not modified: the `If-None-Match` tag is the current one (no body)",
      headers: { ETag: ref("headers", "ETag") },
    },
    PreconditionFailed: {
      description: "`precondition_failed`: the resource changed since the `If-Match` tag; nothing was written",
      content: { "application/json": { schema: ref("schemas", "Error") } },
    },
  }
  doc.components = components

  const paths: NonNullable<Document["paths"]> = {}
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of ["get", "post", "patch", "delete"] as const) {
      const op = item[method]
      if (op) describeOperation(path, method, op)
    }
    paths[canonicalPath(path)] = item
  }
  doc.paths = paths
  doc.info = { ...doc.info, description: `${doc.info.description ?? ""}\n\n${VERSIONING}`.trim() }
  return doc
}
