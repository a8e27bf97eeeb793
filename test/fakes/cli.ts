// CLI for the fakes: `node test/fakes/cli.ts` serves every fake until Ctrl-C; `send` / `send-wa` deliver a user
// message to a webhook, `discord` dispatches one through the fake Discord Gateway to the bot connected with a token.
import { telegramTextUpdate, whatsappTextEvent } from "./builders.ts"
import { fakeControl, gatewayMessage } from "./client.ts"
import { startFakes } from "./index.ts"

const proc = process
const usage = `usage:
  node test/fakes/cli.ts [serve]        start every fake on its dev port (Telegram 8081, WhatsApp 8082, Slack 8084,
                                        Discord 8085; FAKE_LATENCY_MS=0)
  node test/fakes/cli.ts send --token T --chat 42 --text hi [--url U] [--origin http://127.0.0.1:8081]
  node test/fakes/cli.ts send-wa --phone-number-id P --from 15551234567 --text hi --url U --app-secret S
                                        [--origin http://127.0.0.1:8082]
  node test/fakes/cli.ts discord --token BOT_TOKEN --channel 1100000000000000777 --text hi [--guild G]
                                        [--origin http://127.0.0.1:8085]`

function flags(args: string[]): Map<string, string> {
  const out = new Map<string, string>()
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? ""
    if (!arg.startsWith("--")) continue
    const next = args[i + 1]
    if (next === undefined || next.startsWith("--")) out.set(arg.slice(2), "true")
    else {
      out.set(arg.slice(2), next)
      i++
    }
  }
  return out
}

function need(f: Map<string, string>, name: string): string {
  const v = f.get(name)
  if (v === undefined) throw new Error(`missing --${name}\n${usage}`)
  return v
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

async function main(): Promise<void> {
  const [command = "serve", ...rest] = proc.argv.slice(2)
  const f = flags(rest)
  if (command === "serve") return serve()
  if (command === "send") {
    const control = fakeControl(f.get("origin") ?? `http://127.0.0.1:${proc.env.FAKE_TELEGRAM_PORT ?? 8081}`)
    const url = f.get("url")
    const result = await control.deliver({
      account: need(f, "token"),
      body: telegramTextUpdate({ chatId: Number(need(f, "chat")), text: need(f, "text") }),
      ...(url ? { url } : {}),
    })
    console.log(JSON.stringify(result, null, 2))
    return
  }
  if (command === "send-wa") {
    const control = fakeControl(f.get("origin") ?? `http://127.0.0.1:${proc.env.FAKE_WHATSAPP_PORT ?? 8082}`)
    const phoneNumberId = need(f, "phone-number-id")
    const result = await control.deliver({
      account: phoneNumberId,
      url: need(f, "url"),
      appSecret: need(f, "app-secret"),
      body: whatsappTextEvent({ phoneNumberId, from: need(f, "from"), text: need(f, "text") }),
    })
    console.log(JSON.stringify(result, null, 2))
    return
  }
  if (command === "discord") {
    const origin = f.get("origin") ?? "http://127.0.0.1:8085"
    const guild = f.get("guild")
    const result = await gatewayMessage(origin, {
      token: need(f, "token"),
      channelId: need(f, "channel"),
      text: need(f, "text"),
      ...(guild ? { guildId: guild } : {}),
    })
    console.log(JSON.stringify(result, null, 2))
    if (!result.delivered)
      console.error("The bot is not connected to the fake Gateway right now: the message waits for its RESUME.")
    return
  }
  console.log(usage)
  proc.exitCode = command === "help" || command === "--help" ? 0 : 2
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  proc.exitCode = 1
})
