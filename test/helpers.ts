// Shared test helpers: tokens for any business/role and a JSON client for the worker under test.
import { env, SELF } from "cloudflare:test"
import { type Role, signToken } from "../src/auth/jwt"

export async function tokenFor(businessId: string, role: Role = "admin", ttlSeconds = 3600): Promise<string> {
  return signToken({ sub: `user-of-${businessId}`, business_id: businessId, role }, env.JWT_SECRET, ttlSeconds)
}

export interface ApiResponse<T = unknown> {
  status: number
  body: T
  text: string
  headers: Headers
}

/** Calls the worker like a client would: real routing, middleware and bindings. */
export async function api<T = Record<string, unknown>>(
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string>; raw?: string } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...opts.headers }
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`
  let body: string | undefined = opts.raw
  if (opts.body !== undefined) {
    headers["Content-Type"] = "application/json"
    body = JSON.stringify(opts.body)
  }
  const res = await SELF.fetch(`https://switchboard.test${path}`, { method, headers, body })
  const text = await res.text()
  let parsed: unknown = null
  try {
    parsed = text ? JSON.parse(text) : null
  } catch {
    parsed = null
  }
  return { status: res.status, body: parsed as T, text, headers: res.headers }
}

export const uniqueBusiness = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}`
