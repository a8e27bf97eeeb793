// Shared shapes and helpers of the provider tests. Each platform's own case (bot, fixtures, how the platform signs a
// webhook, its error bodies) lives in test/fixtures/<platform>/cases.ts, which the contract suite finds by path.
import type { Platform } from "../src/providers"
import type { BotRuntime, InboundRequest, ProviderErrorKind } from "../src/providers/types"

// The unit tests of each provider read its bot and fixtures from here. These modules import this one back (a cycle):
// everything they call at load time below is a function declaration, which exists before this module runs.
export { TELEGRAM_TOKEN, telegramBodies, telegramBot, telegramErrorBody } from "./fixtures/telegram/cases"
export {
  APP_SECRET,
  graphErrorBody,
  OTHER_PHONE_NUMBER_ID,
  PHONE_NUMBER_ID,
  whatsappBodies,
  whatsappBot,
} from "./fixtures/whatsapp/cases"

/** Fixture name -> raw webhook body: objects as the JSON the platform would POST, strings (form bodies) as they are. */
export function stringifyFixtures(fixtures: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(fixtures).map(([name, f]) => [name, typeof f === "string" ? f : JSON.stringify(f)]),
  )
}

export function body(bodies: Record<string, string>, name: string): string {
  const b = bodies[name]
  if (b === undefined) throw new Error(`no fixture named ${name}`)
  return b
}

/** An InboundRequest whose headers are a real `Headers` (the suite edits them). */
export type SignedRequest = InboundRequest & { headers: Headers }

export function request(path: string, headers: Record<string, string>, method = "POST"): SignedRequest {
  return { method, url: `https://switchboard.test${path}`, headers: new Headers(headers) }
}

/**
 * What each provider gives the contract suite: its bot, fixtures, and how its platform signs a webhook. A platform's
 * `test/fixtures/<platform>/cases.ts` exports one as `cases`; nothing else lists it.
 */
export interface ProviderCase {
  platform: Platform
  bot: BotRuntime
  bodies: Record<string, string>
  /** Fixtures that are valid payloads with nothing to handle (a handshake, the bot's own message, ...). */
  ignored: readonly string[]
  credentialHeader: string
  sign(body: string): Promise<SignedRequest>
  forge(body: string): Promise<SignedRequest>
  /** The platform's answer to a successful send, and the id the provider should report. */
  sendOk: { response: () => Response; platformMessageId: string }
  /** One refusal per HTTP status, in the platform's own error shape, and the kind the provider must classify it as. */
  sendErrors: SendErrorCase[]
}

/** The earlier name of `ProviderCase`. */
export type ContractCase = ProviderCase

export interface SendErrorCase {
  status: number
  /** What the platform means by it, for the test name. */
  meaning: string
  body: unknown
  kind: ProviderErrorKind
  /** Headers of the refusal (e.g. `Retry-After`); none when omitted. */
  headers?: Record<string, string>
}

export interface FetchCall {
  url: string
  method: string
  headers: Headers
  body: unknown
}

/** An injected `fetch` that records each call and answers with canned Responses (shapes from platforms.md). */
export function fakeFetch(respond: (call: FetchCall) => Response | Promise<Response>): {
  fetch: typeof fetch
  calls: FetchCall[]
} {
  const calls: FetchCall[] = []
  const f: typeof fetch = async (input, init) => {
    const text = typeof init?.body === "string" ? init.body : null
    const call: FetchCall = {
      url: input instanceof Request ? input.url : String(input),
      method: init?.method ?? "GET",
      headers: new Headers(init?.headers),
      body: text === null ? null : JSON.parse(text),
    }
    calls.push(call)
    return respond(call)
  }
  return { fetch: f, calls }
}

/** A fetch that never answers: only the provider's timeout can end the call. */
export const hangingFetch: typeof fetch = (_input, init) =>
  new Promise((_resolve, reject) => {
    init?.signal?.addEventListener("abort", () => reject(init.signal?.reason))
  })
