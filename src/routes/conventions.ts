/**
 * The management API's HTTP conventions, applied around the routes rather than inside each one:
 * - every JSON answer to a GET carries an `ETag` (src/lib/etag.ts) and `Cache-Control: private, no-cache`, and a GET
 *   whose `If-None-Match` names the current tag is answered `304` without a body;
 * - `PATCH` and `DELETE` of a bot, contact or template with `If-Match` run only while it names the current state
 *   (`412 precondition_failed` otherwise);
 * - a `201` carries the created resource's `Location` (canonical `/v1/...` path) and `ETag`, a `202` of a send or a
 *   broadcast the `Location` of its status, and a `PATCH`'s `200` the new `ETag`.
 */
import type { Context, MiddlewareHandler, Schema } from "hono"
import { Hono } from "hono"
import type { AppEnv } from "../env"
import { canonicalPath, routedPath } from "../lib/api-paths"
import { errorBody, HttpError } from "../lib/errors"
import { ifMatchHolds, ifNoneMatchHits, resourceTag, textTag } from "../lib/etag"

/** A resource with an `ETag` of its own: its answers are `{ [key]: resource }`. */
interface Resource {
  key: string
  /** Paths of one resource (GET, PATCH, DELETE), internal (/api) form. */
  item: RegExp
  /** Where it is created (POST, 201 or 202). */
  collection: RegExp
  /** Fields that move by themselves and that no write can set: left out of the tag's state part. */
  live?: readonly string[]
}

const RESOURCES: readonly Resource[] = [
  { key: "bot", item: /^\/api\/bots\/[^/]+$/, collection: /^\/api\/bots$/, live: ["queueDepth", "lastActive"] },
  { key: "contact", item: /^\/api\/contacts\/[^/]+$/, collection: /^\/api\/contacts$/ },
  { key: "template", item: /^\/api\/templates\/[^/]+$/, collection: /^\/api\/templates$/ },
  { key: "broadcast", item: /^\/api\/bots\/[^/]+\/broadcasts\/[^/]+$/, collection: /^\/api\/bots\/[^/]+\/broadcasts$/ },
]

/** Sends answered `202 { id, ... }`, whose status is at `<path>/<id>`. */
const SENDS = [/^\/api\/bots\/[^/]+\/messages$/, /^\/api\/contacts\/[^/]+\/messages$/]

/** The paths whose PATCH and DELETE take `If-Match` (Hono patterns, for `app.on`). */
export const CONDITIONAL_WRITES = ["/api/bots/:id", "/api/contacts/:id", "/api/templates/:id"]

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

const resourceAt = (path: string) => RESOURCES.find((r) => r.item.test(path))

/** Whether PATCH and DELETE of this (internal) path take `If-Match`: a bot, contact or template. */
export function conditionalWrite(path: string): boolean {
  const resource = resourceAt(path)
  return resource !== undefined && resource.key !== "broadcast"
}

/** Whether a POST to this (internal) path answers with a `Location`: it creates a resource or accepts a send. */
export const locatesCreated = (path: string) =>
  RESOURCES.some((r) => r.collection.test(path)) || SENDS.some((s) => s.test(path))

/** The tag of `{ [key]: resource }` inside an answer's body, or null when the body holds no such resource. */
async function tagOf(resource: Resource, body: unknown): Promise<string | null> {
  const value = isRecord(body) ? body[resource.key] : undefined
  return isRecord(value) ? resourceTag(resource.key, value, resource.live) : null
}

/** The request's own path as the client wrote it, with `/v1` for the `/api` alias (ids stay percent-encoded). */
function canonicalUrlPath(c: Context<AppEnv>): string {
  return canonicalPath(new URL(c.req.url).pathname)
}

/** `<canonical collection path>/<id>` for a created resource or an accepted send. */
const locationOf = (c: Context<AppEnv>, id: string) => `${canonicalUrlPath(c)}/${encodeURIComponent(id)}`

const isJson = (res: Response) => (res.headers.get("Content-Type") ?? "").startsWith("application/json")

async function onGet(c: Context<AppEnv>): Promise<void> {
  const resource = resourceAt(c.req.path)
  const text = await c.res.clone().text()
  const tag = resource ? ((await tagOf(resource, JSON.parse(text))) ?? (await textTag(text))) : await textTag(text)
  c.header("ETag", tag)
  c.header("Cache-Control", "private, no-cache")
  const condition = c.req.header("If-None-Match")
  if (condition !== undefined && ifNoneMatchHits(condition, tag))
    c.res = new Response(null, { status: 304, headers: { ETag: tag, "Cache-Control": "private, no-cache" } })
}

async function onCreated(c: Context<AppEnv>): Promise<void> {
  const path = c.req.path
  const body: unknown = await c.res.clone().json()
  if (!isRecord(body)) return
  const resource = RESOURCES.find((r) => r.collection.test(path))
  const created = resource ? body[resource.key] : SENDS.some((s) => s.test(path)) ? body : undefined
  if (isRecord(created) && typeof created.id === "string") c.header("Location", locationOf(c, created.id))
  if (resource && c.res.status === 201) {
    const tag = await tagOf(resource, body)
    if (tag) c.header("ETag", tag)
  }
}

/** The headers above, set on the route's answer (JSON answers only: CSV downloads and errors are left alone). */
export const httpConventions: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next()
  if (!isJson(c.res)) return
  const method = c.req.method
  const status = c.res.status
  if ((method === "GET" || method === "HEAD") && status === 200) return onGet(c)
  if (method === "POST" && (status === 201 || status === 202)) return onCreated(c)
  if (method === "PATCH" && status === 200) {
    const resource = resourceAt(c.req.path)
    const tag = resource ? await tagOf(resource, await c.res.clone().json()) : null
    if (tag) c.header("ETag", tag)
  }
}

/**
 * `If-Match` on PATCH and DELETE of {@link CONDITIONAL_WRITES}: the resource is read as a GET would read it (through
 * `api`, the routes alone: no rate limit is spent) right before the route writes, and the write goes on only when the
 * header names its current state. Mount after authentication, so a viewer still gets 403 and a missing resource 404.
 * When it holds, `c.var.ifMatched` carries the resource's `updatedAt`: a route that can write only over that version
 * (compare-and-set) does.
 */
export function preconditions<S extends Schema, B extends string>(api: Hono<AppEnv, S, B>): MiddlewareHandler<AppEnv> {
  const reader = new Hono<AppEnv>().route("/", api)
  // Any failure (not found, not allowed) is left to the route itself to answer: only the status matters here.
  reader.onError((error, c) =>
    c.json(errorBody("unread", error.message), error instanceof HttpError ? error.status : 500),
  )
  return async (c, next) => {
    const condition = c.req.header("If-Match")
    const resource = resourceAt(c.req.path)
    if (condition === undefined || !resource) return next()
    const url = new URL(c.req.url)
    url.pathname = routedPath(url.pathname)
    url.search = ""
    const current = await reader.request(
      url.toString(),
      { headers: { Authorization: c.req.header("Authorization") ?? "" } },
      c.env,
      executionContext(c),
    )
    if (current.status !== 200) return next()
    const body: unknown = await current.json()
    const tag = await tagOf(resource, body)
    if (tag === null || !ifMatchHolds(condition, tag))
      throw new HttpError(
        412,
        "precondition_failed",
        `The ${resource.key} changed since that ETag (If-Match): read it again and retry with its new ETag`,
      )
    const value = isRecord(body) ? body[resource.key] : undefined
    const updatedAt = isRecord(value) && typeof value.updatedAt === "string" ? Date.parse(value.updatedAt) : Number.NaN
    if (Number.isFinite(updatedAt)) c.set("ifMatched", { updatedAt })
    await next()
  }
}

function executionContext(c: Context<AppEnv>): Context<AppEnv>["executionCtx"] | undefined {
  try {
    return c.executionCtx
  } catch {
    return undefined // a test calling app.request without one
  }
}
