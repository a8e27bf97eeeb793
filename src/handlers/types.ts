/** The platform-agnostic reply layer: a handler turns one inbound message into zero or more outbound ones. */
import type { Result } from "../lib/result"
import type { UrlPolicy } from "../lib/url-guard"
import type { InboundMessage, OutboundMessage } from "../providers/types"
import type { BotSecrets, HandlerConfig } from "../registry/schemas"

export interface ChatTurn {
  role: "user" | "assistant"
  content: string
}

export interface HandlerContext {
  bot: { id: string; platform: string; name: string }
  config: HandlerConfig
  secrets: BotSecrets["handler"]
  fetch: typeof fetch
  /** Which endpoint URLs may be called (loopback http only in local development). */
  urlPolicy: UrlPolicy
  /** Earlier turns of this chat, oldest first (kept and trimmed by the bot's DO). */
  history: ChatTurn[]
}

export interface HandlerError {
  /** Transient (network, 5xx, timeout): the DO retries the event later. */
  retryable: boolean
  message: string
}

export interface HandlerOutput {
  replies: OutboundMessage[]
  /** Turns to append to the chat's history (the AI handler's memory). */
  remember?: ChatTurn[]
}

export type Handler = (event: InboundMessage, ctx: HandlerContext) => Promise<Result<HandlerOutput, HandlerError>>
