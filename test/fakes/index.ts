// Starts both fake platform servers (Telegram Bot API, WhatsApp Cloud API) on 127.0.0.1 for tests, bench and sim.
import { startEndpointsFake } from "./endpoints.ts"
import { startTelegramFake } from "./telegram.ts"
import { startWhatsAppFake } from "./whatsapp.ts"

export interface FakesOptions {
  /** 0 or omitted: a random free port. */
  telegramPort?: number
  whatsappPort?: number
  endpointsPort?: number
  /** Added to every platform API response (the bench uses 100 ms); changeable later with /__fake/latency. */
  latencyMs?: number
}

export interface Fakes {
  /** TELEGRAM_API_BASE, e.g. http://127.0.0.1:P (calls go to {base}/bot{token}/{method}). */
  telegramApiBase: string
  /** WHATSAPP_API_BASE, with the Graph version: http://127.0.0.1:Q/v21.0. */
  whatsappApiBase: string
  /** Origins of the control APIs (/__fake/*). */
  telegramOrigin: string
  whatsappOrigin: string
  /** A business's forward URL (`/forward/{name}`) and an OpenAI-compatible API (`/ai/{name}/v1`), for handler tests. */
  endpointsOrigin: string
  close(): Promise<void>
}

export const whatsappVersion = "v21.0"

export async function startFakes(opts: FakesOptions = {}): Promise<Fakes> {
  const latency = opts.latencyMs ?? 0
  const telegram = await startTelegramFake(opts.telegramPort ?? 0, latency)
  const whatsapp = await startWhatsAppFake(opts.whatsappPort ?? 0, latency).catch(async (err: unknown) => {
    await telegram.close()
    throw err
  })
  const endpoints = await startEndpointsFake(opts.endpointsPort ?? 0)
  return {
    endpointsOrigin: endpoints.origin,
    telegramApiBase: telegram.origin,
    whatsappApiBase: `${whatsapp.origin}/${whatsappVersion}`,
    telegramOrigin: telegram.origin,
    whatsappOrigin: whatsapp.origin,
    close: async () => {
      await Promise.all([telegram.close(), whatsapp.close(), endpoints.close()])
    },
  }
}
