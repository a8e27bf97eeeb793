// The stack a user would pick instead: grammY echo bots on Node's http server with grammY's webhook adapter, replying
// inside the webhook request (await ctx.reply). Runs as a child process of bench/run.ts, so its memory is its own.
// Protocol (IPC): receives PeerStart, answers PeerReady (or PeerFailed). Bot i answers on POST /{i}.
import { createServer } from "node:http"
import { Bot, type Transformer, webhookCallback } from "grammy"

export interface PeerStart {
  type: "start"
  apiRoot: string
  tokens: string[]
  /** The `secret_token` every bot checks in X-Telegram-Bot-Api-Secret-Token. */
  secret: string
  /** Waits `retry_after` and retries on 429, up to 3 times, as grammY's auto-retry plugin does by default. */
  autoRetry: boolean
}

export interface PeerReady {
  type: "ready"
  port: number
}

export interface PeerFailed {
  type: "failed"
  message: string
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** grammY's documented answer to flood limits (@grammyjs/auto-retry, defaults: 3 attempts, 429 only). */
const autoRetry: Transformer = async (prev, method, payload, signal) => {
  for (let attempt = 0; ; attempt++) {
    const result = await prev(method, payload, signal)
    if (result.ok || result.error_code !== 429 || attempt >= 3) return result
    await sleep((result.parameters?.retry_after ?? 1) * 1000)
  }
}

async function start(msg: PeerStart): Promise<number> {
  const handlers = await Promise.all(
    msg.tokens.map(async (token) => {
      const bot = new Bot(token, { client: { apiRoot: msg.apiRoot } })
      if (msg.autoRetry) bot.api.config.use(autoRetry)
      bot.on("message:text", async (ctx) => {
        await ctx.reply(ctx.message.text)
      })
      await bot.init()
      return webhookCallback(bot, "http", { secretToken: msg.secret })
    }),
  )
  const server = createServer((req, res) => {
    const handler = handlers[Number((req.url ?? "").slice(1))]
    if (!handler) {
      res.writeHead(404).end()
      return
    }
    // What a user's server does with a handler that threw (e.g. a 429 from sendMessage): a 500, so Telegram retries.
    handler(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500)
      res.end()
    })
  })
  server.keepAliveTimeout = 60_000
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      resolve(typeof address === "object" && address ? address.port : 0)
    })
  })
}

function isStart(v: unknown): v is PeerStart {
  if (typeof v !== "object" || v === null) return false
  const m: Record<string, unknown> = { ...v }
  return (
    m.type === "start" &&
    typeof m.apiRoot === "string" &&
    typeof m.secret === "string" &&
    typeof m.autoRetry === "boolean" &&
    Array.isArray(m.tokens) &&
    m.tokens.every((t) => typeof t === "string")
  )
}

process.on("message", (msg: unknown) => {
  if (!isStart(msg)) return
  start(msg).then(
    (port) => process.send?.({ type: "ready", port } satisfies PeerReady),
    (e: unknown) => process.send?.({ type: "failed", message: String(e) } satisfies PeerFailed),
  )
})
process.on("disconnect", () => process.exit(0))
