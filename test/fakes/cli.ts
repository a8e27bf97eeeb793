// CLI for the fakes (`npm run sim -- <command>`): `serve` runs every fake until Ctrl-C; `telegram` (or `send`) and
// `whatsapp` post a user's message to the worker's webhook as the platform would, check that a bot took it, and wait
// for the bot's reply at the fake; `discord` does the same through the fake Discord Gateway. A message no bot took
// (deleted, stopped, never created) is an error: exit code 1 and a sentence saying why.
import { parseArgs } from "node:util"
import { devVar } from "../../scripts/dev-vars.ts"
import { telegramTextUpdate, whatsappTextEvent } from "./builders.ts"
import { type DeliverResult, type FakeControl, fakeControl, gatewayMessage, type RecordedRequest } from "./client.ts"
import { startFakes } from "./index.ts"

const proc = process
const workerOrigin = `http://127.0.0.1:${proc.env.PORT ?? 8787}`
const usage = `usage: npm run sim -- <command> [options]
  serve      every fake on its dev port (Telegram 8081, WhatsApp 8082, Slack 8084, Discord 8085; FAKE_LATENCY_MS=0)
  telegram   --token T --chat 42 --text hi [--url U] [--origin http://127.0.0.1:8081] [--wait 10]     (alias: send)
             a Telegram user writes to the bot with token T, through the webhook it registered (or getUpdates)
  whatsapp   --phone-number-id P --text hi [--from 15551234567] [--bot BOT_ID | --url U] [--app-secret S]
             [--origin http://127.0.0.1:8082] [--wait 10]                                          (alias: send-wa)
             a WhatsApp user writes to number P, signed with the app secret (default: .dev.vars), posted to
             ${workerOrigin}/webhooks/whatsapp (the app's URL) or, with --bot, to the bot's own URL
  discord    --token BOT_TOKEN --channel 1100000000000000777 --text hi [--guild G] [--origin http://127.0.0.1:8085]
             [--wait 10]: a MESSAGE_CREATE through the fake Gateway to the bot connected with that token
--wait: seconds to wait for the bot's reply at the fake (0: do not wait). Exit code 1, with the reason, when no bot
took the message or no reply came.`

/** A mistake or a failed round trip, said in one sentence (no stack trace). */
class CliError extends Error {}
/** Wrong arguments: exit code 2. */
class UsageError extends CliError {}

type Spec = Record<string, { type: "string"; default?: string }>
const str = (def?: string) =>
  def === undefined ? { type: "string" as const } : { type: "string" as const, default: def }
const specs: Record<string, Spec> = {
  send: { token: str(), chat: str(), text: str(), url: str(), origin: str(), wait: str("10") },
  whatsapp: {
    "phone-number-id": str(),
    from: str("15551234567"),
    text: str(),
    bot: str(),
    url: str(),
    "app-secret": str(),
    origin: str(),
    wait: str("10"),
  },
  discord: { token: str(), channel: str(), text: str(), guild: str(), origin: str(), wait: str("10") },
}

type Values = Record<string, string | undefined>

function options(command: string, args: string[]): Values {
  const spec = specs[command] ?? {}
  try {
    return parseArgs({ args, options: spec, strict: true, allowPositionals: false }).values
  } catch (err) {
    throw new UsageError(`${err instanceof Error ? err.message : err}\n${usage}`)
  }
}

function need(v: Values, name: string): string {
  const value = v[name]
  if (value === undefined || value === "") throw new UsageError(`missing --${name}\n${usage}`)
  return value
}

function waitMs(v: Values): number {
  const seconds = Number(v.wait ?? 10)
  if (!Number.isFinite(seconds) || seconds < 0) throw new CliError("--wait must be a number of seconds (0 or more)")
  return seconds * 1000
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x)

/** Polls `find` every 100 ms until it returns something or `ms` pass. */
async function poll<T>(ms: number, find: () => Promise<T | undefined>): Promise<T | undefined> {
  const deadline = Date.now() + ms
  for (;;) {
    const found = await find()
    if (found !== undefined || Date.now() >= deadline) return found
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/**
 * The worker's answer to a delivery, checked: reached, 2xx, and at least one event accepted (the worker answers
 * `{ ok, accepted }`; 0 when the bot is stopped, no bot has that account, or the event was a duplicate).
 */
function checkAnswer(result: DeliverResult, posted: string, nobody: string): void {
  if (result.status === 0)
    throw new CliError(`The webhook could not be reached (${result.error ?? "no answer"}): is \`npm run dev\` running?`)
  const answer = `${result.status} ${result.body.slice(0, 300)}`
  if (result.status === 404) throw new CliError(`${posted}: the worker answered ${answer}\n${nobody}`)
  if (result.status === 401)
    throw new CliError(`${posted}: the worker answered ${answer}\nThe signature did not verify: wrong app secret?`)
  if (result.status < 200 || result.status > 299) throw new CliError(`${posted}: the worker answered ${answer}`)
  let accepted: unknown
  try {
    const body: unknown = JSON.parse(result.body)
    accepted = isObject(body) ? body.accepted : undefined
  } catch {
    accepted = undefined
  }
  if (accepted === 0) {
    throw new CliError(
      `${posted}: the worker answered ${answer}, so no bot took it.\n${nobody} Or the bot is stopped (start it: POST /api/bots/{id}/control {"action":"start"}), or this exact message was already delivered.`,
    )
  }
  console.log(`→ ${posted}: ${answer}`)
}

/**
 * Waits for the bot's reply to `chat` at the fake (a send recorded since `since`) and prints it. The echo of `text`
 * wins; any other reply counts after 2 s (a bot that was stopped or polling may first answer older messages).
 */
async function awaitReply(
  control: FakeControl,
  account: string,
  input: { since: number; ms: number; text: string },
  match: (r: RecordedRequest) => string | undefined,
): Promise<void> {
  const { since, ms, text } = input
  if (ms === 0) return
  const reply = await poll(ms, async () => {
    const replies = (await control.requests({ account })).flatMap((r) => {
      const said = r.at >= since ? match(r) : undefined
      return said === undefined ? [] : [{ r, said }]
    })
    return replies.find((x) => x.said === text) ?? (Date.now() - since > 2_000 ? replies.at(-1) : undefined)
  })
  if (!reply) {
    throw new CliError(
      `The bot took the message but sent no reply within ${ms / 1000} s: see its activity (GET /api/bots/{id}/logs) or its page in the dashboard.`,
    )
  }
  console.log(`← the bot replied (${reply.r.method}, ${reply.r.at - since} ms later): ${JSON.stringify(reply.said)}`)
}

async function telegram(v: Values): Promise<void> {
  const control = fakeControl(v.origin ?? `http://127.0.0.1:${proc.env.FAKE_TELEGRAM_PORT ?? 8081}`)
  const token = need(v, "token")
  const text = need(v, "text")
  const chat = Number(need(v, "chat"))
  if (!Number.isSafeInteger(chat)) throw new CliError("--chat must be a Telegram chat id (an integer)")
  const ms = waitMs(v)
  const since = Date.now()
  const result = await control.deliver({
    account: token,
    body: telegramTextUpdate({ chatId: chat, text }),
    ...(v.url ? { url: v.url } : {}),
  })
  const sent: unknown = JSON.parse(result.sent)
  const updateId = isObject(sent) ? Number(sent.update_id) : Number.NaN
  const nobody = "No bot on this server uses that token: it was deleted, or never created."
  if (result.queued) {
    // No webhook is set for the token: only a bot in polling mode would fetch the update, with getUpdates.
    const fetched = await poll(5_000, async () =>
      (await control.requests({ account: token, method: "getUpdates" })).find(
        (r) => r.at >= since && isObject(r.body) && Number(r.body.offset) > updateId,
      ),
    )
    if (!fetched) {
      throw new CliError(
        `The fake Telegram has no webhook for this token, and no bot fetched update ${updateId} with getUpdates.\n${nobody} Or the bot is stopped. (The update stays queued in the fake Telegram.)`,
      )
    }
    console.log(`→ no webhook (polling mode): the bot fetched update ${updateId} with getUpdates`)
  } else {
    checkAnswer(result, `fake Telegram posted update ${updateId} to the bot's webhook`, nobody)
  }
  await awaitReply(control, token, { since, ms, text }, (r) => {
    if (!/^send/i.test(r.method) || /^sendChatAction$/i.test(r.method) || !isObject(r.body)) return undefined
    if (String(r.body.chat_id) !== String(chat)) return undefined
    return String(r.body.text ?? r.body.caption ?? r.method)
  })
}

async function whatsapp(v: Values): Promise<void> {
  const control = fakeControl(v.origin ?? `http://127.0.0.1:${proc.env.FAKE_WHATSAPP_PORT ?? 8082}`)
  const phoneNumberId = need(v, "phone-number-id")
  const from = need(v, "from")
  const text = need(v, "text")
  const appSecret = v["app-secret"] ?? devVar("WHATSAPP_APP_SECRET")
  if (!appSecret)
    throw new CliError("No app secret: pass --app-secret, or run `npm run dev` once (WHATSAPP_APP_SECRET in .dev.vars)")
  const url = v.url ?? (v.bot ? `${workerOrigin}/webhooks/whatsapp/${v.bot}` : `${workerOrigin}/webhooks/whatsapp`)
  const ms = waitMs(v)
  const since = Date.now()
  const result = await control.deliver({
    account: phoneNumberId,
    url,
    appSecret,
    body: whatsappTextEvent({ phoneNumberId, from, text }),
  })
  checkAnswer(
    result,
    `fake WhatsApp posted the message (signed) to ${url}`,
    `No bot on this server has phone number ID ${phoneNumberId}: it was deleted, or never created.`,
  )
  await awaitReply(control, phoneNumberId, { since, ms, text }, (r) => {
    if (r.method !== "messages" || !isObject(r.body) || String(r.body.to) !== from) return undefined
    const body = isObject(r.body.text) ? r.body.text.body : undefined
    return String(body ?? r.body.type)
  })
}

async function discord(v: Values): Promise<void> {
  const origin = v.origin ?? "http://127.0.0.1:8085"
  const token = need(v, "token")
  const channel = need(v, "channel")
  const text = need(v, "text")
  const ms = waitMs(v)
  const since = Date.now()
  const guild = v.guild
  const result = await gatewayMessage(origin, {
    token,
    channelId: channel,
    text,
    ...(guild ? { guildId: guild } : {}),
  })
  if (!result.delivered) {
    throw new CliError(
      `The fake Discord kept MESSAGE_CREATE ${result.id} (s ${result.s}) for the bot's RESUME: no bot is connected to the Gateway with that token right now. It was deleted or stopped, or is reconnecting.`,
    )
  }
  console.log(`→ fake Discord dispatched MESSAGE_CREATE ${result.id} (s ${result.s}) on the bot's Gateway socket`)
  await awaitReply(fakeControl(origin), token, { since, ms, text }, (r) => {
    if (r.method !== "messages" || !r.path.includes(`/channels/${channel}/`) || !isObject(r.body)) return undefined
    return String(r.body.content ?? "(embeds)")
  })
}

async function serve(): Promise<void> {
  const fakes = await startFakes({ ports: "dev", latencyMs: Number(proc.env.FAKE_LATENCY_MS ?? 0) })
  for (const [name, value] of Object.entries(fakes.env)) console.log(`${name}=${value}`)
  const origins = Object.fromEntries(Object.entries(fakes.platforms).map(([p, f]) => [p, f.origin]))
  console.log(`FAKES_ORIGIN=${JSON.stringify({ platforms: origins, endpoints: fakes.endpointsOrigin })}`)
  console.log("fakes running; Ctrl-C to stop")
  const stop = () => {
    void fakes.close().then(() => {
      console.log("fakes stopped")
      // fetch's keep-alive pool (from deliver) would hold the process a few more seconds.
      proc.exit(0)
    })
  }
  proc.on("SIGINT", stop)
  proc.on("SIGTERM", stop)
}

const commands: Record<string, (v: Values) => Promise<void>> = {
  serve: () => serve(),
  send: telegram,
  telegram,
  whatsapp,
  "send-wa": whatsapp,
  discord,
}
const aliases: Record<string, string> = { telegram: "send", "send-wa": "whatsapp" }

async function main(): Promise<void> {
  const [command = "serve", ...rest] = proc.argv.slice(2)
  const run = commands[command]
  if (!run) {
    console.log(usage)
    proc.exitCode = command === "help" || command === "--help" || command === "-h" ? 0 : 2
    return
  }
  await run(options(aliases[command] ?? command, rest))
  // fetch's keep-alive sockets to the fakes would hold the process a few seconds after the answer.
  if (command !== "serve") proc.exit(0)
}

main().catch((err: unknown) => {
  if (err instanceof TypeError && err.message === "fetch failed") {
    const cause = err.cause instanceof Error ? err.cause.message : String(err.cause)
    console.error(`sim: the fake platform did not answer (${cause}): is \`npm run dev\` running?`)
  } else console.error(`sim: ${err instanceof Error ? err.message : String(err)}`)
  proc.exit(err instanceof UsageError ? 2 : 1)
})
