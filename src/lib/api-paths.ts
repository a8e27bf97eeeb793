/**
 * The management API's two prefixes: `/v1/...` (canonical: what /openapi.json lists, what `Location` points at) and
 * `/api/...` (the paths served before versions, kept as aliases). The routes are mounted once, under `/api`; a
 * `/v1/...` request is routed as its `/api/...` twin, so both run the same middleware and handlers.
 */
import { getPath } from "hono/utils/url"

export const CANONICAL_PREFIX = "/v1"
export const ALIAS_PREFIX = "/api"

/** The single-bot mode's webhooks live under /api (the original guide's URLs): never versioned, never aliased. */
export const COMPAT_WEBHOOK = /^\/api\/[^/]+\/webhook$/

const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`)

/** Where a request path is routed: `/v1/x` as `/api/x` (a compat webhook's path is not served under /v1). */
export function routedPath(path: string): string {
  if (!under(path, CANONICAL_PREFIX)) return path
  const internal = ALIAS_PREFIX + path.slice(CANONICAL_PREFIX.length)
  return COMPAT_WEBHOOK.test(internal) ? path : internal
}

/** Hono's `getPath` with the rewrite above: `new Hono({ getPath: routedRequestPath })`. */
export const routedRequestPath = (request: Request): string => routedPath(getPath(request))

/** The canonical form of an /api path (or of a /v1 one, unchanged): `/api/bots/x` is `/v1/bots/x`. */
export function canonicalPath(path: string): string {
  return under(path, ALIAS_PREFIX) && !COMPAT_WEBHOOK.test(path)
    ? CANONICAL_PREFIX + path.slice(ALIAS_PREFIX.length)
    : path
}
