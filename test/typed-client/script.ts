// A client script written against the generated API types only (public/js/api-types.d.ts, via ./client.ts): it
// creates a bot, sends a message and reads the message's status. `npm run typecheck` compiles it, so a change of
// the API description that breaks such a script fails there; `misuses` below must NOT compile (each line is
// `@ts-expect-error`, itself an error once the types let that line through). test/e2e/typed-client.test.ts runs
// `createSendAndRead` against the worker.
import type { Bot, Message } from "../../public/js/api-types"
import type { Answer, Client, Operation } from "./client"

/** The answer's body, or a thrown error naming the API's error code. */
function expectOk<K extends Operation>(answer: Answer<K>) {
  if (!answer.ok) {
    const fields = answer.body.error.details?.fields.map((f) => `${f.path}: ${f.message}`).join("; ") ?? ""
    throw new Error(`${answer.status} ${answer.body.error.code}: ${answer.body.error.message} ${fields}`)
  }
  return answer.body
}

export async function createSendAndRead(
  api: Client,
  opts: { botToken: string; chatId: string },
): Promise<{ bot: Bot; queued: Message["status"]; message: Message }> {
  const created = expectOk(
    await api.call("POST /v1/bots", {
      body: {
        platform: "telegram",
        name: "Typed client",
        credentials: { botToken: opts.botToken },
        handler: { type: "echo" },
      },
    }),
  )
  const bot = created.bot
  const sent = expectOk(
    await api.call("POST /v1/bots/{id}/messages", {
      params: { id: bot.id },
      body: { chatId: opts.chatId, text: "Hello from a typed client", idempotencyKey: `typed-${bot.id}` },
    }),
  )
  const message = expectOk(
    await api.call("GET /v1/bots/{id}/messages/{messageId}", { params: { id: bot.id, messageId: sent.id } }),
  )
  return { bot, queued: sent.status, message }
}

/** Calls the types must refuse: never run, only compiled. */
export async function misuses(api: Client): Promise<void> {
  await api.call("POST /v1/bots", {
    // @ts-expect-error Telegram's credentials are a botToken: a WhatsApp bot's fields are not them
    body: { platform: "telegram", name: "x", credentials: { accessToken: "EAAG", phoneNumberId: "1" } },
  })
  await api.call("POST /v1/bots", {
    // @ts-expect-error no such platform
    body: { platform: "signal", name: "x", credentials: { botToken: "1:a" } },
  })
  await api.call("POST /v1/bots", {
    // @ts-expect-error a forward handler needs its url
    body: { platform: "telegram", name: "x", credentials: { botToken: "1:a" }, handler: { type: "forward" } },
  })
  // @ts-expect-error sending needs the bot's id in the path
  await api.call("POST /v1/bots/{id}/messages", { body: { chatId: "1", text: "hi" } })
  // @ts-expect-error sending needs a chat
  await api.call("POST /v1/bots/{id}/messages", { params: { id: "bot_1" }, body: { text: "hi" } })
  // @ts-expect-error no such operation
  await api.call("GET /v1/bots/{id}/message", { params: { id: "bot_1" } })

  const read = await api.call("GET /v1/bots/{id}/messages/{messageId}", { params: { id: "b", messageId: "m" } })
  if (read.ok) {
    // @ts-expect-error a status is one of the documented words
    const status: "lost" = read.body.status
    // @ts-expect-error the message has no `text` (its status, not its content)
    const text: string = read.body.text
    void [status, text]
  } else {
    // @ts-expect-error `details` holds `fields`, each a path and a message
    const where: number = read.body.error.details?.fields[0]?.path
    void where
  }
  const got = await api.call("GET /v1/bots/{id}", { params: { id: "b" } })
  if (got.ok && got.body.bot.handler.type === "forward") {
    const url: string = got.body.bot.handler.url
    // @ts-expect-error the signing secret is write-only: never in an answer
    const secret: string = got.body.bot.handler.signingSecret
    void [url, secret]
  }
}
