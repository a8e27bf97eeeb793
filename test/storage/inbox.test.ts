// The inbox's storage rules against a real Durable Object's SQLite, with the bot object's own schema.
import { runInDurableObject } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import { Inbox } from "../../src/bot/inbox"
import { migrate } from "../../src/bot/storage"
import type { InboundMessage } from "../../src/providers/types"
import { botStub } from "../messaging-helpers"

const event = (eventId: string, chatId = "1"): InboundMessage => ({
  eventId,
  botId: "bot_test",
  platform: "telegram",
  kind: "text",
  messageId: eventId,
  chatId,
  conversation: "direct",
  userId: chatId,
  text: eventId,
  timestamp: 0,
  metadata: {},
})

const scratchBot = () => botStub(`inbox-${crypto.randomUUID()}`)

describe("Inbox", () => {
  it("prunes handled events older than the cutoff, keeps pending ones and newer ones", async () => {
    await runInDurableObject(scratchBot(), async (_instance, state) => {
      migrate(state.storage.sql)
      const inbox = new Inbox(state.storage.sql)
      inbox.accept([event("old-done"), event("old-pending")], 1_000)
      inbox.accept([event("old-failed")], 2_000)
      inbox.accept([event("new-done")], 5_000)
      const seqOf = (id: string) =>
        state.storage.sql.exec<{ seq: number }>("SELECT rowid AS seq FROM inbox WHERE event_id = ?", id).one().seq
      inbox.done(seqOf("old-done"))
      inbox.fail(seqOf("old-failed"), "gave up")
      inbox.done(seqOf("new-done"))
      inbox.prune(4_000)
      const left = state.storage.sql
        .exec<{ event_id: string }>("SELECT event_id FROM inbox ORDER BY rowid")
        .toArray()
        .map((r) => r.event_id)
      expect(left).toEqual(["old-pending", "new-done"])
      // A pruned id is forgotten (a redelivery that late is new again); a kept one still de-duplicates.
      expect(inbox.accept([event("new-done"), event("old-done")], 6_000).duplicates).toBe(1)
      inbox.prune(10_000)
      expect(inbox.pendingCount()).toBe(2)
    })
  })

  it("hands out due events in arrival order and holds a chat behind its waiting retry", async () => {
    await runInDurableObject(scratchBot(), async (_instance, state) => {
      migrate(state.storage.sql)
      const inbox = new Inbox(state.storage.sql)
      inbox.accept([event("a1", "a"), event("b1", "b")], 1_000)
      inbox.accept([event("a2", "a")], 1_001)
      expect(inbox.due(2_000, 10).map((e) => e.eventId)).toEqual(["a1", "b1", "a2"])
      const a1 = inbox.due(2_000, 10).find((e) => e.eventId === "a1")
      inbox.retry(a1?.seq ?? -1, 9_000, "handler failed")
      const waiting = inbox.waiting(2_000)
      const a2 = inbox.due(2_000, 10).find((e) => e.eventId === "a2")
      expect(a2 && (waiting.get("a") ?? Number.POSITIVE_INFINITY) < a2.seq).toBe(true) // a2 waits behind a1
      expect(waiting.has("b")).toBe(false)
    })
  })

  it("stores ids that hold a lone surrogate as well-formed text, so they are found again (and still de-duplicate)", async () => {
    await runInDurableObject(scratchBot(), async (_instance, state) => {
      migrate(state.storage.sql)
      const inbox = new Inbox(state.storage.sql)
      const odd = { ...event("wamid.\ud800x", "chat\udc00"), text: "odd" }
      expect(inbox.accept([odd], 1_000).fresh.map((e) => [e.eventId, e.chatId])).toEqual([
        ["wamid.\ufffdx", "chat\ufffd"],
      ])
      expect(inbox.accept([odd], 1_001).duplicates).toBe(1)
      const [due] = inbox.due(2_000, 10)
      expect(due?.chatId).toBe("chat\ufffd")
      inbox.done(due?.seq ?? -1)
      expect(inbox.pendingCount()).toBe(0)
    })
  })
})
