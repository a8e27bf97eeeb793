// CLI for the fakes: `node test/fakes/cli.ts` serves both until Ctrl-C; `send` / `send-wa` deliver a user message.
import { telegramTextUpdate, whatsappTextEvent } from "./builders.ts"
import { fakeControl } from "./client.ts"
import { startFakes } from "./index.ts"

const proc = process
const usage = `usage:
  node test/fakes/cli.ts [serve]        start both fakes (FAKE_TELEGRAM_PORT=8081, FAKE_WHATSAPP_PORT=8082, FAKE_LATENCY_MS=0)
  node test/fakes/cli.ts send --token T --chat 42 --text hi [--url U] [--origin http://127.0.0.1:8081]
  node test/fakes/cli.ts send-wa --phone-number-id P --from 15551234567 --text hi --url U --app-secret S
                                        [--origin http://127.0.0.1:8082]`

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
  console.log(usage)
  proc.exitCode = command === "help" || command === "--help" ? 0 : 2
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  proc.exitCode = 1
})
