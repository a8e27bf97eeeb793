// @ts-check
// The dashboard's only way to the server: the public REST API with the tab's Bearer token.

const TOKEN_KEY = "switchboard.token"

/** @typedef {{ sub: string, business_id: string, role: "owner" | "admin" | "viewer", exp: number }} Claims */

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {{ path: string, message: string }[]} fields
   */
  constructor(status, code, message, fields) {
    super(message)
    this.status = status
    this.code = code
    this.fields = fields
  }
}

export const session = {
  /** @returns {string | null} */
  token: () => sessionStorage.getItem(TOKEN_KEY),
  /** @param {string} token */
  set: (token) => sessionStorage.setItem(TOKEN_KEY, token.trim()),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
  /**
   * Claims read from the token for display only (the server checks the signature and the role).
   * @returns {Claims | null}
   */
  claims() {
    const token = this.token()
    const part = token?.split(".")[1]
    if (!part) return null
    try {
      const json = atob(part.replace(/-/g, "+").replace(/_/g, "/"))
      const claims = JSON.parse(json)
      return typeof claims.business_id === "string" ? claims : null
    } catch {
      return null
    }
  },
  canWrite() {
    const role = this.claims()?.role
    return role === "owner" || role === "admin"
  },
}

/** Called on any 401: the app returns to sign-in with this message. */
let onUnauthorized = (/** @type {string} */ _message) => {}
/** @param {(message: string) => void} handler */
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler
}

/**
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
export async function api(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" }
  const token = session.token()
  if (token) headers.Authorization = `Bearer ${token}`
  if (body !== undefined) headers["Content-Type"] = "application/json"
  let res
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  } catch {
    throw new ApiError(0, "network", "Could not reach Switchboard. Check your connection and try again.", [])
  }
  if (res.status === 204) return null
  const text = await res.text()
  let data = null
  try {
    data = text ? JSON.parse(text) : null
  } catch {
    data = null
  }
  if (res.ok) return data
  const error = data?.error ?? {}
  const message = typeof error.message === "string" ? error.message : `Request failed (${res.status})`
  const fields = Array.isArray(error.details?.fields) ? error.details.fields : []
  if (res.status === 401) {
    session.clear()
    onUnauthorized(
      error.code === "token_expired"
        ? "Your session expired. Sign in again."
        : "Your token was not accepted. Sign in again.",
    )
  }
  throw new ApiError(res.status, typeof error.code === "string" ? error.code : "error", message, fields)
}
