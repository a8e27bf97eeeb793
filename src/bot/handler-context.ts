/** What a bot's handler gets to work with (its config, secrets, fetch, the chat's history), and the dry run. */
import { handlers } from "../handlers"
import { DEFAULT_MAX_HISTORY } from "../handlers/ai"
import type { HandlerContext } from "../handlers/types"
import type { UrlPolicy } from "../lib/url-guard"
import type { InboundMessage, OutboundMessage } from "../providers/types"
import type { ChatHistory } from "./chat-history"
import type { UnsealedBot } from "./runtime"

export type DryRun = { ok: true; replies: OutboundMessage[] } | { ok: false; message: string }

export function handlerContext(
  loaded: UnsealedBot,
  chatId: string,
  io: { fetch: typeof fetch; urlPolicy: UrlPolicy; history: ChatHistory },
): HandlerContext {
  const handler = loaded.snapshot.config.handler
  const keep = handler.type === "ai" ? (handler.maxHistory ?? DEFAULT_MAX_HISTORY) : 0
  return {
    bot: { id: loaded.snapshot.id, platform: loaded.snapshot.platform, name: loaded.snapshot.name },
    config: handler,
    secrets: loaded.secrets.handler,
    fetch: io.fetch,
    urlPolicy: io.urlPolicy,
    history: keep > 0 ? io.history.recent(chatId, keep) : [],
  }
}

/** The bot's handler's answer to `text` from `chatId`, as if it had come in; nothing is stored or sent. */
export async function dryRun(loaded: UnsealedBot, text: string, chatId: string, ctx: HandlerContext): Promise<DryRun> {
  const event: InboundMessage = {
    eventId: `test-${Date.now()}`,
    botId: loaded.snapshot.id,
    platform: loaded.snapshot.platform,
    kind: "text",
    messageId: "test",
    chatId,
    conversation: "direct",
    userId: chatId,
    text,
    timestamp: Date.now(),
    metadata: { test: true },
  }
  const result = await handlers[loaded.snapshot.config.handler.type](event, ctx)
  return result.ok ? { ok: true, replies: result.value.replies } : { ok: false, message: result.error.message }
}
