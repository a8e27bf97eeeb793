// HTTP plumbing shared by the fake platform servers: listen, read and parse bodies, reply, hold sockets, close cleanly.

import type { IncomingMessage, ServerResponse } from "node:http"
import { createServer } from "node:http"
import { createServer as createNetServer, type Socket } from "node:net"
import type { Duplex } from "node:stream"

export interface ApiRequest {
  method: string
  url: URL
  /** Lower-cased header names, values joined with ", ". */
  headers: Record<string, string>
  raw: Uint8Array
  text: string
}

export interface Reply {
  status: number
  /** Sent as application/json. */
  json?: unknown
  /** Sent as is when `json` is undefined. */
  text?: string
  headers?: Record<string, string>
}

/** Never answer: keep the socket open for `hold` ms (the client should give up first), then destroy it. */
export interface Hold {
  hold: number
}

export type Answer = Reply | Hold

export function isHold(a: Answer): a is Hold {
  return "hold" in a
}

export function json(status: number, body: unknown, headers?: Record<string, string>): Reply {
  return headers ? { status, json: body, headers } : { status, json: body }
}

export interface Listening {
  origin: string
  port: number
  close(): Promise<void>
}

/** An HTTP upgrade (a WebSocket handshake), for a fake that also serves sockets on its port. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void

/**
 * Starts a server on 127.0.0.1 (`port` 0 = random) that answers every request with `handler`, and hands upgrade
 * requests to `onUpgrade` (refused when there is none).
 */
export function listen(
  handler: (req: ApiRequest) => Promise<Answer>,
  port = 0,
  onUpgrade?: UpgradeHandler,
): Promise<Listening> {
  const sockets = new Set<Socket>()
  const timers = new Set<ReturnType<typeof setTimeout>>()
  const server = createServer((req, res) => {
    void serve(req, res, handler, timers)
  })
  server.keepAliveTimeout = 5_000
  server.on("upgrade", (req, socket, head) => {
    if (onUpgrade) onUpgrade(req, socket, head)
    else socket.destroy()
  })
  server.on("connection", (socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  return new Promise((resolve, reject) => {
    server.on("error", reject)
    server.listen(port, "127.0.0.1", () => {
      const address = server.address()
      const actual = typeof address === "object" && address ? address.port : port
      resolve({
        origin: `http://127.0.0.1:${actual}`,
        port: actual,
        close: () =>
          new Promise<void>((done) => {
            for (const t of timers) clearTimeout(t)
            timers.clear()
            for (const s of sockets) s.destroy()
            sockets.clear()
            server.close(() => done())
          }),
      })
    })
  })
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  handler: (req: ApiRequest) => Promise<Answer>,
  timers: Set<ReturnType<typeof setTimeout>>,
): Promise<void> {
  let answer: Answer
  try {
    const raw = await readBody(req)
    const url = new URL(req.url ?? "/", "http://127.0.0.1")
    answer = await handler({ method: req.method ?? "GET", url, headers: headersOf(req), raw, text: utf8(raw) })
  } catch (err) {
    answer = json(500, { error: `fake server error: ${err instanceof Error ? err.message : String(err)}` })
  }
  if (isHold(answer)) {
    const timer = setTimeout(() => {
      timers.delete(timer)
      req.socket.destroy()
    }, answer.hold)
    unref(timer)
    timers.add(timer)
    res.on("close", () => {
      clearTimeout(timer)
      timers.delete(timer)
    })
    return
  }
  if (res.destroyed || res.writableEnded) return
  res.statusCode = answer.status
  for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value)
  if (answer.json !== undefined) {
    res.setHeader("content-type", "application/json")
    res.end(JSON.stringify(answer.json))
  } else {
    if (!answer.headers?.["content-type"]) res.setHeader("content-type", "text/plain; charset=utf-8")
    res.end(answer.text ?? "")
  }
}

function readBody(req: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = []
    req.on("data", (chunk) => chunks.push(chunk))
    req.on("end", () => resolve(concat(chunks)))
    req.on("error", reject)
  })
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value
  }
  return out
}

/** Headers as recorded by /__fake/requests: credentials never leave the fake. */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = { ...headers }
  if (out.authorization !== undefined) out.authorization = "[redacted]"
  return out
}

export function utf8(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes)
}

export type Params = Record<string, unknown>

/**
 * Request parameters the way the Bot API reads them: query string, then the body (JSON object, urlencoded form, or
 * multipart form, whose file parts become `{ filename, size }`). Returns a string error for a body that is not parseable.
 */
export function parseParams(req: ApiRequest): Params | string {
  const params: Params = {}
  for (const [k, v] of req.url.searchParams) params[k] = v
  const type = (req.headers["content-type"] ?? "").toLowerCase()
  if (req.raw.length === 0) return params
  if (type.includes("application/x-www-form-urlencoded")) {
    for (const [k, v] of new URLSearchParams(req.text)) params[k] = v
    return params
  }
  if (type.includes("multipart/form-data")) {
    const boundary = /boundary="?([^";]+)"?/i.exec(req.headers["content-type"] ?? "")?.[1]
    if (!boundary) return "multipart body without a boundary"
    return Object.assign(params, parseMultipart(req.raw, boundary))
  }
  const parsed = parseJson(req.text)
  if (!isRecord(parsed)) return "body is not a JSON object"
  return Object.assign(params, parsed)
}

function parseMultipart(raw: Uint8Array, boundary: string): Params {
  // latin1 keeps one char per byte, so file sizes stay exact; text fields are decoded back to UTF-8.
  const body = new TextDecoder("latin1").decode(raw)
  const out: Params = {}
  for (const part of body.split(`--${boundary}`)) {
    const split = part.indexOf("\r\n\r\n")
    if (split < 0) continue
    const head = part.slice(0, split)
    const value = part.slice(split + 4).replace(/\r\n$/, "")
    const name = /name="([^"]*)"/i.exec(head)?.[1]
    if (!name) continue
    const filename = /filename="([^"]*)"/i.exec(head)?.[1]
    const bytes = Uint8Array.from(value, (c) => c.charCodeAt(0))
    out[name] = filename !== undefined ? { filename, size: bytes.length } : utf8(bytes)
  }
  return out
}

/** JSON.parse that returns undefined instead of throwing. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v)
}

/** Node timers keep the process alive; the fakes' internal timers must not. */
export function unref(timer: unknown): void {
  if (typeof timer === "object" && timer !== null && "unref" in timer && typeof timer.unref === "function") {
    timer.unref()
  }
}

export function sleep(ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve()
  return new Promise((resolve) => unref(setTimeout(resolve, ms)))
}

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

export function randomToken(length: number, chars = alphabet): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length))
  return Array.from(bytes, (b) => chars[b % chars.length]).join("")
}

/** POSTs `body` to a receiver (the worker's webhook) and reports its answer; never throws. */
export async function post(
  url: string,
  body: Uint8Array,
  headers: Record<string, string>,
  timeoutMs = 60_000,
): Promise<{ status: number; body: string; error?: string }> {
  try {
    const res = await fetch(url, { method: "POST", body, headers, signal: AbortSignal.timeout(timeoutMs) })
    return { status: res.status, body: await res.text() }
  } catch (err) {
    return { status: 0, body: "", error: err instanceof Error ? err.message : String(err) }
  }
}

/** A port on 127.0.0.1 that was free a moment ago (for servers started by another process, e.g. wrangler dev). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}
