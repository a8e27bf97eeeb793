/**
 * Answers with an OpenAI-compatible chat-completions endpoint (`POST {baseUrl}/chat/completions`),
 * with the chat's recent history (kept by the DO) for context.
 */
import { z } from "zod"
import { err, ok } from "../lib/result"
import { callEndpoint } from "./endpoint"
import type { ChatTurn, Handler } from "./types"

const completionSchema = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1),
})

export const DEFAULT_MAX_HISTORY = 20

export const ai: Handler = async (event, ctx) => {
  if (ctx.config.type !== "ai") return err({ retryable: false, message: "ai handler is not configured" })
  const userText = event.text || `[${event.kind}]`
  const maxHistory = ctx.config.maxHistory ?? DEFAULT_MAX_HISTORY
  const messages = [
    ...(ctx.config.systemPrompt ? [{ role: "system", content: ctx.config.systemPrompt }] : []),
    ...ctx.history.slice(-maxHistory),
    { role: "user", content: userText },
  ]
  const headers: Record<string, string> = { "Content-Type": "application/json" }
  if (ctx.secrets.apiKey) headers.Authorization = `Bearer ${ctx.secrets.apiKey}`
  const called = await callEndpoint(
    ctx,
    "AI endpoint",
    `${ctx.config.baseUrl.replace(/\/+$/, "")}/chat/completions`,
    {
      method: "POST",
      headers,
      body: JSON.stringify({
        model: ctx.config.model,
        messages,
        ...(ctx.config.temperature === undefined ? {} : { temperature: ctx.config.temperature }),
        user: `${event.platform}:${event.userId}`,
      }),
    },
    30_000,
  )
  if (!called.ok) return called
  const res = called.value
  if (res.status >= 500 || res.status === 429)
    return err({ retryable: true, message: `AI endpoint answered ${res.status}` })
  if (res.status < 200 || res.status > 299)
    return err({ retryable: false, message: `AI endpoint answered ${res.status}` })
  let json: unknown = null
  try {
    json = JSON.parse(res.text)
  } catch {
    json = null
  }
  const parsed = completionSchema.safeParse(json)
  if (!parsed.success) return err({ retryable: false, message: "AI endpoint's answer has an unknown shape" })
  const content = parsed.data.choices[0]?.message.content?.trim() ?? ""
  const remember: ChatTurn[] = [{ role: "user", content: userText }]
  if (!content) return ok({ replies: [], remember })
  remember.push({ role: "assistant", content })
  return ok({ replies: [{ chatId: event.chatId, text: content.slice(0, 4096) }], remember })
}
