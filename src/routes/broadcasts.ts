/**
 * Broadcasts through one bot: create (recipients in chunks of up to 5,000, or NDJSON), add recipients, list, read
 * live progress, pause / resume / cancel, and each recipient's outcome as CSV.
 */
import { createRoute, z } from "@hono/zod-openapi"
import type { Context } from "hono"
import { requireAuth, requireWriter } from "../auth/jwt"
import type { BroadcastRequest } from "../bot/broadcasts"
import { botStub } from "../bot/stubs"
import type { AppEnv } from "../env"
import { pageCursor } from "../lib/cursor"
import { HttpError, httpError, orThrow } from "../lib/errors"
import { isId, newId } from "../lib/ids"
import { createBotRepository } from "../registry/bot-repository"
import { createBroadcastRepository } from "../registry/broadcast-repository"
import {
  appendBody,
  broadcastSchema,
  createBody,
  csvLine,
  iso,
  ndjsonChunks,
  present,
  summarySchema,
  templated,
} from "./broadcast-io"
import { commonErrors, createOpenApiApp, errorResponse } from "./openapi"

export { NDJSON_BODY_LIMIT, RECIPIENTS_JSON_LIMIT } from "./broadcast-io"

const params = z.object({ id: z.string().min(1).max(64), bid: z.string().min(1).max(64) })
const botParam = z.object({ id: z.string().min(1).max(64) })

const one = z.object({ broadcast: broadcastSchema })
const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
})
const notFoundBroadcast = errorResponse("No such bot or broadcast in this business")

/** The bot must be the business's (404 otherwise) before its object is asked anything. */
async function ownBot(c: Context<AppEnv>, botId: string): Promise<void> {
  if (!isId("bot", botId)) throw httpError({ kind: "not_found", message: "Bot not found" })
  orThrow(await createBotRepository(c.env.DB).get(c.var.auth.business_id, botId))
}

async function ask(c: Context<AppEnv>, botId: string, req: BroadcastRequest) {
  return present(orThrow(await botStub(c.env, botId).broadcast(req, c.var.auth.business_id)))
}

const cursor = pageCursor("broadcast", (id) => isId("bc", id))

const app = createOpenApiApp()

// NDJSON uploads of recipients share the path of the JSON route below (documented there); JSON goes on to it.
app.post("/:id/broadcasts/:bid/recipients", requireAuth, requireWriter, async (c, next) => {
  if (!(c.req.header("content-type") ?? "").startsWith("application/x-ndjson")) return next()
  const { id, bid } = c.req.param()
  await ownBot(c, id)
  const more = c.req.query("more") === "true"
  const chunks = ndjsonChunks(await c.req.text())
  if (chunks.length === 0) throw new HttpError(422, "validation_failed", "The body has no recipients")
  let view: ReturnType<typeof present> | null = null
  for (const [i, chunk] of chunks.entries())
    view = await ask(c, id, { op: "append", id: bid, recipients: chunk, more: more || i < chunks.length - 1 })
  return c.json({ broadcast: view }, 202)
})

export const broadcastsApp = app
  .openapi(
    createRoute({
      method: "post",
      path: "/{id}/broadcasts",
      operationId: "createBroadcast",
      tags: ["Broadcasts"],
      summary: "Start a broadcast: one message to many chats, paced under the platform's limit behind live replies",
      middleware: [requireAuth, requireWriter],
      request: { params: botParam, body: { content: { "application/json": { schema: createBody } }, required: true } },
      responses: {
        202: json(one, "Accepted: running, scheduled, or a draft waiting for more recipients"),
        403: errorResponse("Viewers cannot send"),
        409: errorResponse("`bot_stopped`: the bot is stopped or in error (start it, fix its credentials)"),
        413: errorResponse("Over 2 MB of JSON (send fewer recipients per request) or 16 MB of NDJSON"),
        ...commonErrors,
        404: notFoundBroadcast,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param")
      await ownBot(c, id)
      const { name, recipients, more, scheduledAt, templateId, variables, ...fields } = c.req.valid("json")
      const content =
        templateId === undefined
          ? { kind: "content" as const, content: fields }
          : await templated(c, templateId, variables ?? {}, recipients)
      const broadcastId = newId("bc")
      const view = orThrow(
        await botStub(c.env, id).broadcast(
          {
            op: "create",
            id: broadcastId,
            name,
            content,
            recipients,
            more,
            scheduledAt: scheduledAt ? Date.parse(scheduledAt) : null,
          },
          c.var.auth.business_id,
        ),
      )
      await createBroadcastRepository(c.env.DB).insert(c.var.auth.business_id, id, view, Date.now())
      return c.json({ broadcast: present(view) }, 202)
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{id}/broadcasts/{bid}/recipients",
      operationId: "addBroadcastRecipients",
      tags: ["Broadcasts"],
      summary: "Add recipients to a draft broadcast (JSON chunks of up to 5,000, or NDJSON: one recipient per line)",
      description:
        "With `Content-Type: application/x-ndjson` the body is one `{ chatId, variables? }` per line (up to 16 MB) and `?more=true` keeps the broadcast a draft.",
      middleware: [requireAuth, requireWriter],
      request: {
        params,
        query: z.object({ more: z.enum(["true", "false"]).optional() }),
        body: { content: { "application/json": { schema: appendBody } }, required: true },
      },
      responses: {
        202: json(one, "Added"),
        403: errorResponse("Viewers cannot send"),
        ...commonErrors,
        404: notFoundBroadcast,
      },
    }),
    async (c) => {
      const { id, bid } = c.req.valid("param")
      await ownBot(c, id)
      const { recipients, more, offset } = c.req.valid("json")
      return c.json({ broadcast: await ask(c, id, { op: "append", id: bid, recipients, more, offset }) }, 202)
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{id}/broadcasts",
      operationId: "listBroadcasts",
      tags: ["Broadcasts"],
      summary: "The bot's broadcasts, newest first (summaries; counts lag up to 15 s)",
      middleware: [requireAuth],
      request: {
        params: botParam,
        query: z.object({
          limit: z.coerce.number().int().min(1).max(100).default(25),
          cursor: z.string().max(200).optional(),
        }),
      },
      responses: {
        200: json(z.object({ broadcasts: z.array(summarySchema), nextCursor: z.string().nullable() }), "The list"),
        ...commonErrors,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param")
      await ownBot(c, id)
      const q = c.req.valid("query")
      const { broadcasts, hasMore } = await createBroadcastRepository(c.env.DB).list(
        c.var.auth.business_id,
        id,
        q.limit,
        q.cursor ? cursor.decode(q.cursor) : undefined,
      )
      const last = broadcasts.at(-1)
      return c.json(
        {
          broadcasts: broadcasts.map((b) => ({
            id: b.id,
            name: b.name,
            status: b.status,
            total: b.total,
            counts: b.counts,
            createdAt: new Date(b.createdAt).toISOString(),
            scheduledAt: iso(b.scheduledAt),
            updatedAt: new Date(b.updatedAt).toISOString(),
          })),
          nextCursor: hasMore && last ? cursor.encode(last.id) : null,
        },
        200,
      )
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{id}/broadcasts/{bid}",
      operationId: "getBroadcast",
      tags: ["Broadcasts"],
      summary: "A broadcast's live progress: counts by outcome, rate and ETA",
      middleware: [requireAuth],
      request: { params },
      responses: { 200: json(one, "The broadcast"), ...commonErrors, 404: notFoundBroadcast },
    }),
    async (c) => {
      const { id, bid } = c.req.valid("param")
      await ownBot(c, id)
      return c.json({ broadcast: await ask(c, id, { op: "get", id: bid }) }, 200)
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{id}/broadcasts/{bid}/control",
      operationId: "controlBroadcast",
      tags: ["Broadcasts"],
      summary: "Pause (holds within one send slot), resume, or cancel (counts what was never sent)",
      middleware: [requireAuth, requireWriter],
      request: {
        params,
        body: {
          content: {
            "application/json": { schema: z.object({ action: z.enum(["pause", "resume", "cancel"]) }) },
          },
          required: true,
        },
      },
      responses: {
        200: json(one, "The broadcast after the action"),
        403: errorResponse("Viewers cannot control broadcasts"),
        ...commonErrors,
        404: notFoundBroadcast,
        422: errorResponse("The action does not apply to the broadcast's status (e.g. resume a running one)"),
      },
    }),
    async (c) => {
      const { id, bid } = c.req.valid("param")
      await ownBot(c, id)
      const { action } = c.req.valid("json")
      return c.json({ broadcast: await ask(c, id, { op: "control", id: bid, action }) }, 200)
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{id}/broadcasts/{bid}/results",
      operationId: "getBroadcastResults",
      tags: ["Broadcasts"],
      summary: "Each recipient's outcome as CSV: chatId, status, error, messageId, at",
      middleware: [requireAuth],
      request: { params },
      responses: {
        200: { description: "CSV, streamed", content: { "text/csv": { schema: z.string() } } },
        ...commonErrors,
        404: notFoundBroadcast,
      },
    }),
    async (c) => {
      const { id, bid } = c.req.valid("param")
      await ownBot(c, id)
      const stub = botStub(c.env, id)
      const business = c.var.auth.business_id
      const first = await stub.broadcastResults(bid, business, 0, 1_000)
      if (!first) throw httpError({ kind: "not_found", message: "Broadcast not found" })
      const encoder = new TextEncoder()
      const stream = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(encoder.encode("chatId,status,error,messageId,at\n"))
          let page: Awaited<ReturnType<typeof stub.broadcastResults>> = first
          for (;;) {
            if (!page) break
            for (const r of page.rows)
              controller.enqueue(
                encoder.encode(csvLine([r.chatId, r.status, r.error ?? "", r.messageId, iso(r.at) ?? ""])),
              )
            for (const s of page.skipped)
              controller.enqueue(encoder.encode(csvLine([s.chatId, "skipped", s.reason, "", iso(s.at) ?? ""])))
            const last = page.rows.at(-1)
            if (!last || page.rows.length < 1_000) break
            page = await stub.broadcastResults(bid, business, last.seq, 1_000)
          }
          controller.close()
        },
      })
      return c.body(stream, 200, {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": `attachment; filename="${bid}.csv"`,
      })
    },
  )
