/**
 * What a bot sent, for the people who run it: its outbound messages newest first (the send queue keeps them 7 days),
 * and the retry of a failed one. Straight to the bot's Durable Object, which checks the business like a send does.
 */
import { createRoute, z } from "@hono/zod-openapi"
import { requireAuth, requireWriter } from "../auth/jwt"
import { messageStatuses } from "../bot/outbox"
import { botStub } from "../bot/stubs"
import { pageCursor } from "../lib/cursor"
import { notFound } from "../lib/domain-error"
import { httpError, orThrow } from "../lib/errors"
import { isId } from "../lib/ids"
import { commonErrors, createOpenApiApp, errorResponse } from "./openapi"

const params = z.object({ id: z.string().min(1).max(64) })
const messageParams = params.extend({ messageId: z.string().min(1).max(64) })

const listQuery = z.object({
  status: z.enum(messageStatuses).optional().openapi({ description: "Only messages in this status" }),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().max(200).optional(),
})

const outboxMessageSchema = z
  .object({
    id: z.string(),
    chatId: z.string(),
    status: z.enum(messageStatuses),
    attempts: z.number().int().openapi({ description: "Platform calls made for it so far" }),
    error: z.string().nullable().openapi({ description: "The last failure (the platform's words), if any" }),
    source: z.string().openapi({
      description:
        "Who queued it: `api` (a send), `reply` (the bot's handler), `contact` (a contact send), `bulk` (a broadcast), `retry`",
    }),
    preview: z.string().openapi({
      description:
        "The text's first 120 characters, or what the message carries instead: `[image] caption`, `[template name]`",
    }),
    retryOf: z.string().nullable().openapi({ description: "The failed message this one retries" }),
    retriedAs: z.string().nullable().openapi({ description: "The message that retried this one" }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("OutboxMessage")

/** Pages end at a message's place in the queue (`seq`): stable while older rows are pruned. */
const cursor = pageCursor("outbox", (seq) => /^[1-9]\d{0,15}$/.test(seq))

const iso = (ms: number) => new Date(ms).toISOString()

export const outboundMessagesApp = createOpenApiApp()
  .openapi(
    createRoute({
      method: "get",
      path: "/{id}/messages",
      operationId: "listBotMessages",
      tags: ["Messages"],
      summary: "The bot's outbound messages, newest first (kept 7 days after they settle), with cursor pagination",
      middleware: [requireAuth],
      request: { params, query: listQuery },
      responses: {
        200: {
          description: "A page of messages",
          content: {
            "application/json": {
              schema: z.object({ messages: z.array(outboxMessageSchema), nextCursor: z.string().nullable() }),
            },
          },
        },
        ...commonErrors,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param")
      if (!isId("bot", id)) throw httpError(notFound())
      const q = c.req.valid("query")
      const beforeSeq = q.cursor ? Number(cursor.decode(q.cursor)) : undefined
      // One more than asked: whether there is a next page.
      const rows = orThrow(
        await botStub(c.env, id).outbound({ limit: q.limit + 1, status: q.status, beforeSeq }, c.var.auth.business_id),
      )
      const page = rows.slice(0, q.limit)
      const last = page.at(-1)
      return c.json(
        {
          messages: page.map(({ seq: _seq, createdAt, updatedAt, ...m }) => ({
            ...m,
            createdAt: iso(createdAt),
            updatedAt: iso(updatedAt),
          })),
          nextCursor: rows.length > q.limit && last ? cursor.encode(String(last.seq)) : null,
        },
        200,
      )
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{id}/messages/{messageId}/retry",
      operationId: "retryMessage",
      tags: ["Messages"],
      summary:
        "Send a failed message again: a copy is queued as a new message (its own id, status and attempts); the " +
        "failed one stays as it was, with `retriedAs` naming the copy. A message is retried at most once",
      middleware: [requireAuth, requireWriter],
      request: { params: messageParams },
      responses: {
        202: {
          description: "The copy was queued",
          content: {
            "application/json": {
              schema: z.object({
                id: z.string().openapi({ description: "The new message" }),
                status: z.enum(messageStatuses),
                retryOf: z.string(),
              }),
            },
          },
        },
        403: errorResponse("Viewers cannot send"),
        ...commonErrors,
        404: errorResponse("No such bot in this business, or no such message (kept 7 days)"),
        409: errorResponse("`not_retryable`: the message did not fail, or was retried already; or `bot_stopped`"),
        422: errorResponse("The platform's rules refuse the message now, or `window_closed` (WhatsApp's 24 hours)"),
      },
    }),
    async (c) => {
      const { id, messageId } = c.req.valid("param")
      if (!isId("bot", id) || !isId("msg", messageId)) throw httpError(notFound(isId("bot", id) ? "Message" : "Bot"))
      const queued = orThrow(await botStub(c.env, id).retry(messageId, c.var.auth.business_id))
      return c.json({ id: queued.id, status: queued.status, retryOf: messageId }, 202)
    },
  )
