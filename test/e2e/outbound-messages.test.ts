// What a bot sent, for the people who run it: GET /api/bots/:id/messages (newest first, by status, paged) and
// POST /api/bots/:id/messages/:messageId/retry (a failed message queued again as a new message), against the fake
// Telegram with failures injected.
import { describe, expect, it } from "vitest"
import type { Responses } from "../../public/js/api-types.d.ts"
import { telegramTextUpdate } from "../fakes/builders"
import { api, tokenFor, uniqueBusiness } from "../helpers"
import { createTelegramBot, eventually, fakes, postTelegramUpdate } from "../messaging-helpers"

type Page = Responses["GET /v1/bots/{id}/messages"]

const list = (botId: string, token: string, query = "") =>
  api<Page>("GET", `/api/bots/${botId}/messages${query ? `?${query}` : ""}`, { token })

const send = async (botId: string, token: string, body: Record<string, unknown>) => {
  const res = await api<{ id: string }>("POST", `/api/bots/${botId}/messages`, { token, body })
  expect(res.status, res.text).toBe(202)
  return res.body.id
}

/** Polls the list until message `id` has `status`. */
const settled = (botId: string, token: string, id: string, status: string) =>
  eventually(
    async () => {
      const found = (await list(botId, token)).body.messages.find((m) => m.id === id)
      return found?.status === status ? found : undefined
    },
    10_000,
    `${id} ${status}`,
  )

describe("outbound messages", () => {
  it("lists what the bot sent, newest first, with each message's status, source and preview", async () => {
    const bot = await createTelegramBot()
    const first = await send(bot.id, bot.admin, { chatId: "501", text: "first message" })
    const second = await send(bot.id, bot.admin, { chatId: "502", text: `long ${"x".repeat(200)}` })
    // The echo of an inbound message is the bot's reply: listed too.
    expect((await postTelegramUpdate(bot, telegramTextUpdate({ chatId: 503, text: "echo me" }))).status).toBe(200)
    await fakes.telegram.waitForRequests({ account: bot.token, method: "sendMessage" }, 3)
    const reply = await eventually(async () => {
      const r = (await list(bot.id, bot.admin)).body.messages.find((m) => m.source === "reply")
      return r?.status === "sent" ? r : undefined
    })
    await settled(bot.id, bot.admin, second, "sent")
    const res = await list(bot.id, bot.admin)
    expect(res.status).toBe(200)
    expect(res.body.nextCursor).toBeNull()
    expect(res.body.messages.map((m) => m.id)).toEqual([reply.id, second, first])
    const [, long, short] = res.body.messages
    expect(short).toMatchObject({
      chatId: "501",
      status: "sent",
      attempts: 1,
      error: null,
      source: "api",
      preview: "first message",
      retryOf: null,
      retriedAs: null,
    })
    expect(Date.parse(short?.createdAt ?? "")).toBeGreaterThan(0)
    expect(long?.preview).toBe(`long ${"x".repeat(115)}…`)
    expect(reply).toMatchObject({ chatId: "503", preview: "echo me", source: "reply" })
  })

  it("pages with cursor and nextCursor, and filters by status", async () => {
    const bot = await createTelegramBot()
    const ids: string[] = []
    for (let i = 1; i <= 5; i++) ids.push(await send(bot.id, bot.admin, { chatId: `60${i}`, text: `n${i}` }))
    await settled(bot.id, bot.admin, ids.at(-1) ?? "", "sent")
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const page: Awaited<ReturnType<typeof list>> = await list(
        bot.id,
        bot.admin,
        `limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      )
      expect(page.status).toBe(200)
      expect(page.body.messages.length).toBeLessThanOrEqual(2)
      seen.push(...page.body.messages.map((m) => m.id))
      cursor = page.body.nextCursor
      pages++
    } while (cursor)
    expect(pages).toBe(3)
    expect(seen).toEqual([...ids].reverse())
    expect((await list(bot.id, bot.admin, "status=sent")).body.messages).toHaveLength(5)
    expect((await list(bot.id, bot.admin, "status=failed")).body.messages).toEqual([])
    // A cursor this list did not issue, and a status that is none.
    expect((await list(bot.id, bot.admin, "cursor=Ym90OmZvbw")).status).toBe(400)
    expect((await list(bot.id, bot.admin, "status=lost")).status).toBe(422)
  })

  it("retries a failed message as a new message that is sent, once", async () => {
    const bot = await createTelegramBot()
    await fakes.telegram.fail({ account: bot.token, method: "sendMessage", mode: "400", times: 1 })
    const failedId = await send(bot.id, bot.admin, { chatId: "700", text: "try again" })
    const failed = await settled(bot.id, bot.admin, failedId, "failed")
    expect(failed.error).toMatch(/\S/)
    expect((await list(bot.id, bot.admin, "status=failed")).body.messages.map((m) => m.id)).toEqual([failedId])

    const retried = await api<{ id: string; status: string; retryOf: string }>(
      "POST",
      `/api/bots/${bot.id}/messages/${failedId}/retry`,
      { token: bot.admin },
    )
    expect(retried.status, retried.text).toBe(202)
    expect(retried.body).toMatchObject({ status: "queued", retryOf: failedId })
    expect(retried.body.id).not.toBe(failedId)
    const copy = await settled(bot.id, bot.admin, retried.body.id, "sent")
    expect(copy).toMatchObject({ chatId: "700", preview: "try again", source: "retry", retryOf: failedId, attempts: 1 })
    const sent = await fakes.telegram.requests({ account: bot.token, method: "sendMessage" })
    expect(sent.filter((r) => r.outcome === "ok").map((r) => r.body)).toEqual([
      expect.objectContaining({ text: "try again" }),
    ])
    // The failed one stays failed, naming its retry; it is retried at most once.
    const original = (await list(bot.id, bot.admin, "status=failed")).body.messages[0]
    expect(original).toMatchObject({ id: failedId, status: "failed", retriedAs: retried.body.id })
    const again = await api<{ error: { code: string; message: string } }>(
      "POST",
      `/api/bots/${bot.id}/messages/${failedId}/retry`,
      { token: bot.admin },
    )
    expect(again.status).toBe(409)
    expect(again.body.error).toMatchObject({ code: "not_retryable", message: `Already retried as ${retried.body.id}` })
    // A message that did not fail is not retried.
    const notFailed = await api<{ error: { code: string; message: string } }>(
      "POST",
      `/api/bots/${bot.id}/messages/${retried.body.id}/retry`,
      { token: bot.admin },
    )
    expect(notFailed.status).toBe(409)
    expect(notFailed.body.error.message).toMatch(/only a failed message can be retried; this one is sent/i)
  })

  it("keeps other businesses, viewers and unknown messages out", async () => {
    const business = uniqueBusiness("ops")
    const bot = await createTelegramBot({ admin: await tokenFor(business) })
    await fakes.telegram.fail({ account: bot.token, method: "sendMessage", mode: "403", times: 1 })
    const failedId = await send(bot.id, bot.admin, { chatId: "800", text: "blocked" })
    await settled(bot.id, bot.admin, failedId, "failed")
    const stranger = await tokenFor(uniqueBusiness("other"))
    expect((await list(bot.id, stranger)).status).toBe(404)
    const retry = (token: string, messageId = failedId) =>
      api("POST", `/api/bots/${bot.id}/messages/${messageId}/retry`, { token })
    expect((await retry(stranger)).status).toBe(404)
    const viewer = await tokenFor(business, "viewer")
    expect((await list(bot.id, viewer)).status).toBe(200)
    expect((await retry(viewer)).status).toBe(403)
    expect((await retry(bot.admin, `msg_${"0".repeat(28)}`)).status).toBe(404)
    expect((await retry(bot.admin, "not-an-id")).status).toBe(404)
    expect((await list(`bot_${"0".repeat(28)}`, bot.admin)).status).toBe(404)
    expect((await api("GET", `/api/bots/${bot.id}/messages`)).status).toBe(401)
    // Nothing was retried by any of those.
    const [only] = (await list(bot.id, bot.admin)).body.messages
    expect(only).toMatchObject({ id: failedId, retriedAs: null })
  })

  it("refuses to retry through a stopped bot", async () => {
    const bot = await createTelegramBot()
    await fakes.telegram.fail({ account: bot.token, method: "sendMessage", mode: "400", times: 1 })
    const failedId = await send(bot.id, bot.admin, { chatId: "900", text: "later" })
    await settled(bot.id, bot.admin, failedId, "failed")
    const stopped = await api("POST", `/api/bots/${bot.id}/control`, { token: bot.admin, body: { action: "stop" } })
    expect(stopped.status).toBe(200)
    const res = await api<{ error: { code: string } }>("POST", `/api/bots/${bot.id}/messages/${failedId}/retry`, {
      token: bot.admin,
    })
    expect(res.status).toBe(409)
    expect(res.body.error.code).toBe("bot_stopped")
    expect((await list(bot.id, bot.admin)).body.messages).toHaveLength(1)
  })
})
