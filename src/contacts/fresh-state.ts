/**
 * The registry learns opt-outs and last-message times in batches; each active bot's object knows them now. Routing
 * asks those objects (one call per bot per 1,000 chats, bots in parallel), so the window and opt-out rules it applies
 * are the ones the bots will enforce. A bot that does not answer leaves the registry's values in place.
 */
import { botStub } from "../bot/stubs"
import type { Env } from "../env"
import type { Contact } from "../registry/contact-schemas"
import type { PlanBot } from "./plan"

const CHATS_PER_CALL = 1_000

type ChatState = { lastInboundAt: number | null; optedOut: boolean }

export async function withFreshState(
  env: Env,
  contacts: Contact[],
  bots: ReadonlyMap<string, PlanBot>,
): Promise<Contact[]> {
  const byBot = new Map<string, string[]>()
  for (const c of contacts)
    for (const i of c.identities) {
      if (bots.get(i.botId)?.status !== "active") continue
      const chats = byBot.get(i.botId)
      if (chats) chats.push(i.chatId)
      else byBot.set(i.botId, [i.chatId])
    }
  const states = new Map<string, Record<string, ChatState>>()
  await Promise.all(
    [...byBot].map(async ([botId, chats]) => {
      const merged: Record<string, ChatState> = {}
      for (let i = 0; i < chats.length; i += CHATS_PER_CALL)
        Object.assign(
          merged,
          await botStub(env, botId)
            .chatStates(chats.slice(i, i + CHATS_PER_CALL))
            .catch(() => ({})),
        )
      states.set(botId, merged)
    }),
  )
  return contacts.map((c) => ({
    ...c,
    identities: c.identities.map((i) => {
      const fresh = states.get(i.botId)?.[i.chatId]
      if (!fresh) return i
      const last = Math.max(i.lastInboundAt ?? 0, fresh.lastInboundAt ?? 0)
      return { ...i, optedOut: fresh.optedOut, lastInboundAt: last > 0 ? last : null }
    }),
  }))
}
