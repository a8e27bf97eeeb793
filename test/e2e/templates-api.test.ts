// Message templates end to end: CRUD with versions and cursor pages, 422s naming fields, tenancy and roles, previews,
// and sends by templateId through Telegram and WhatsApp bots (and to a contact) reaching the fakes as rendered.
import { runInDurableObject } from "cloudflare:test"
import { describe, expect, it } from "vitest"
import { finalState, person, received, routePreview, sendToContact } from "../contacts-helpers"
import { api, tokenFor, uniqueBusiness } from "../helpers"
import { botStub, createTelegramBot, createWhatsAppBot, eventually, fakes } from "../messaging-helpers"

interface TemplateBody {
  id: string
  name: string
  version: number
  variables: { name: string; description?: string; example?: string }[]
  body: string
  whatsapp: Record<string, unknown> | null
  slack: Record<string, unknown> | null
  createdAt: string
  updatedAt: string
}
type One = { template: TemplateBody }
type Page = { templates: TemplateBody[]; nextCursor: string | null }
type ErrorShape = {
  error: { code: string; message: string; details?: { fields: { path: string; message: string }[] } }
}

const shipped = {
  name: "order shipped",
  variables: [{ name: "name", example: "Ada" }, { name: "order_id" }],
  body: "Hi {{name}}, order {{order_id}} shipped",
}
const waForm = { name: "order_shipped", language: "en_US", body: ["name", "order_id"] }

const create = (token: string, body: Record<string, unknown>) => api<One>("POST", "/api/templates", { token, body })
const errorOf = (res: { body: unknown }) => (res.body as ErrorShape).error
const paths = (res: { body: unknown }) => errorOf(res).details?.fields.map((f) => f.path) ?? []

async function created(token: string, body: Record<string, unknown> = shipped) {
  const res = await create(token, body)
  expect(res.status, res.text).toBe(201)
  return res.body.template
}

/** The message JSON the bot's queue stored for one of its messages. */
const storedMessage = (botId: string, messageId: string) =>
  runInDurableObject(botStub(botId), (_bot, state) =>
    JSON.parse(
      state.storage.sql.exec<{ message: string }>("SELECT message FROM outbox WHERE id = ?", messageId).one().message,
    ),
  )

describe("templates CRUD", () => {
  it("creates at version 1, reads, lists in cursor pages newest first, and deletes", async () => {
    const admin = await tokenFor(uniqueBusiness("tpl"))
    const first = await created(admin)
    expect(first.id).toMatch(/^tpl_[0-9a-f]{28}$/)
    expect(first).toMatchObject({ ...shipped, version: 1, whatsapp: null, slack: null })
    expect((await api<One>("GET", `/api/templates/${first.id}`, { token: admin })).body.template).toEqual(first)
    const second = await created(admin, { ...shipped, name: "second" })
    const third = await created(admin, { ...shipped, name: "third", whatsapp: waForm })

    const page1 = await api<Page>("GET", "/api/templates?limit=2", { token: admin })
    expect(page1.body.templates.map((t) => t.id)).toEqual([third.id, second.id])
    expect(page1.body.nextCursor).not.toBeNull()
    const page2 = await api<Page>("GET", `/api/templates?limit=2&cursor=${page1.body.nextCursor}`, { token: admin })
    expect(page2.body).toEqual({ templates: [first], nextCursor: null })
    const found = await api<Page>("GET", "/api/templates?q=THI", { token: admin })
    expect(found.body.templates.map((t) => t.name)).toEqual(["third"])
    const bad = await api<ErrorShape>("GET", "/api/templates?cursor=bm9wZQ", { token: admin })
    expect([bad.status, bad.body.error.code]).toEqual([400, "invalid_cursor"])

    expect((await api("DELETE", `/api/templates/${second.id}`, { token: admin })).body).toEqual({ deleted: true })
    expect((await api("GET", `/api/templates/${second.id}`, { token: admin })).status).toBe(404)
    expect((await api("DELETE", `/api/templates/${second.id}`, { token: admin })).status).toBe(404)
  })

  it("answers 422 naming each failing field, and 409 for a name the business already uses", async () => {
    const admin = await tokenFor(uniqueBusiness("tpl"))
    const undeclared = await create(admin, { ...shipped, body: "Hi {{name}}, {{coupon}} and {{bad name}}" })
    expect(undeclared.status).toBe(422)
    expect(errorOf(undeclared).details?.fields).toEqual([
      { path: "body", message: "{{coupon}} is not a declared variable" },
      { path: "body", message: "{{bad name}} is not a placeholder: a variable's name goes inside {{ }}" },
    ])
    const form = await create(admin, { ...shipped, whatsapp: { ...waForm, body: ["name", "total"] } })
    expect(paths(form)).toEqual(["whatsapp.body.1"])
    const shapes = await create(admin, {
      name: "",
      variables: [{ name: "9lives" }, { name: "a" }, { name: "a" }],
      body: "x".repeat(4097),
    })
    expect(paths(shapes).sort()).toEqual(["body", "name", "variables.0.name", "variables.2.name"])
    expect(paths(await create(admin, { ...shipped, slack: { blocks: [] } }))).toEqual(["slack.blocks"])

    const t = await created(admin)
    const dup = await create(admin, shipped)
    expect([dup.status, errorOf(dup).code]).toEqual([409, "template_conflict"])
    const other = await created(admin, { ...shipped, name: "other" })
    const renamed = await api<ErrorShape>("PATCH", `/api/templates/${other.id}`, {
      token: admin,
      body: { name: shipped.name },
    })
    expect([renamed.status, renamed.body.error.code]).toEqual([409, "template_conflict"])
    // A PATCH is checked as merged: dropping a variable the body still uses is refused.
    const dropped = await api("PATCH", `/api/templates/${t.id}`, {
      token: admin,
      body: { variables: [{ name: "name" }] },
    })
    expect([dropped.status, paths(dropped)]).toEqual([422, ["body"]])
  })

  it("bumps the version on a change of content only", async () => {
    const admin = await tokenFor(uniqueBusiness("tpl"))
    const t = await created(admin)
    const patch = (body: Record<string, unknown>) => api<One>("PATCH", `/api/templates/${t.id}`, { token: admin, body })
    expect((await patch({ name: "renamed" })).body.template).toMatchObject({ name: "renamed", version: 1 })
    expect((await patch({ body: shipped.body })).body.template.version).toBe(1)
    expect((await patch({ body: "Order {{order_id}} for {{name}}" })).body.template.version).toBe(2)
    expect((await patch({ whatsapp: waForm })).body.template.version).toBe(3)
    const removed = (await patch({ whatsapp: null })).body.template
    expect([removed.version, removed.whatsapp]).toEqual([4, null])
  })

  it("keeps businesses apart (404) and viewers to reading (403)", async () => {
    const businessId = uniqueBusiness("tpl")
    const admin = await tokenFor(businessId)
    const viewer = await tokenFor(businessId, "viewer")
    const stranger = await tokenFor(uniqueBusiness("tpl"))
    const t = await created(admin)
    const preview = { platform: "telegram", variables: { name: "A", order_id: "1" } }
    for (const [method, path, body] of [
      ["GET", `/api/templates/${t.id}`, undefined],
      ["PATCH", `/api/templates/${t.id}`, { name: "mine" }],
      ["DELETE", `/api/templates/${t.id}`, undefined],
      ["POST", `/api/templates/${t.id}/preview`, preview],
    ] as const)
      expect((await api(method, path, { token: stranger, body })).status, `${method} ${path}`).toBe(404)
    expect((await api<Page>("GET", "/api/templates", { token: stranger })).body.templates).toEqual([])
    expect((await api("GET", "/api/templates/not-an-id", { token: admin })).status).toBe(404)

    expect((await create(viewer, { ...shipped, name: "v" })).status).toBe(403)
    expect((await api("PATCH", `/api/templates/${t.id}`, { token: viewer, body: { name: "v" } })).status).toBe(403)
    expect((await api("DELETE", `/api/templates/${t.id}`, { token: viewer })).status).toBe(403)
    expect((await api("GET", `/api/templates/${t.id}`, { token: viewer })).status).toBe(200)
    expect((await api("POST", `/api/templates/${t.id}/preview`, { token: viewer, body: preview })).status).toBe(200)
    expect((await api("GET", "/api/templates")).status).toBe(401)
  })
})

describe("previews", () => {
  it("renders per platform: escaped text, or WhatsApp's approved template; 422 naming variables", async () => {
    const admin = await tokenFor(uniqueBusiness("tpl"))
    const t = await created(admin, { ...shipped, whatsapp: waForm })
    const preview = (platform: string, variables: Record<string, string>) =>
      api<{ platform: string; content: Record<string, unknown>; templateRef: unknown }>(
        "POST",
        `/api/templates/${t.id}/preview`,
        { token: admin, body: { platform, variables } },
      )
    const slack = await preview("slack", { name: "<Ada & co>", order_id: "*42*" })
    expect(slack.body).toEqual({
      platform: "slack",
      content: { text: "Hi &lt;Ada &amp; co&gt;, order *42* shipped", templateRef: { id: t.id, version: 1 } },
      templateRef: { id: t.id, version: 1 },
    })
    expect((await preview("discord", { name: "Ada", order_id: "*42*" })).body.content.text).toBe(
      "Hi Ada, order \\*42\\* shipped",
    )
    expect((await preview("whatsapp", { name: "Ada", order_id: "42" })).body.content).toEqual({
      template: { name: "order_shipped", language: "en_US", parameters: ["Ada", "42"] },
      templateRef: { id: t.id, version: 1 },
    })
    const bad = await preview("telegram", { name: "Ada", coupon: "x" })
    expect([bad.status, paths(bad)]).toEqual([422, ["variables.order_id", "variables.coupon"]])
    expect(paths(await preview("fax", {}))).toEqual(["platform"])
  })
})

describe("sending by templateId", () => {
  it("sends the rendered text through a Telegram bot and records the template's version on the message", async () => {
    const bot = await createTelegramBot()
    const t = await created(bot.admin)
    const send = (body: Record<string, unknown>) =>
      api<{ id: string }>("POST", `/api/bots/${bot.id}/messages`, { token: bot.admin, body })
    const first = await send({ chatId: "5001", templateId: t.id, variables: { name: "Ada", order_id: "42" } })
    expect(first.status, first.text).toBe(202)
    await fakes.telegram.waitForRequests({ account: bot.token, method: "sendMessage" }, 1)
    const [call] = await fakes.telegram.requests({ account: bot.token, method: "sendMessage" })
    expect(call?.body).toMatchObject({ chat_id: 5001, text: "Hi Ada, order 42 shipped" })
    expect((await storedMessage(bot.id, first.body.id)).templateRef).toEqual({ id: t.id, version: 1 })
    const view = await api<{ status: string; templateRef: unknown }>(
      "GET",
      `/api/bots/${bot.id}/messages/${first.body.id}`,
      { token: bot.admin },
    )
    expect(view.status).toBe(200)
    expect(view.body.templateRef).toEqual({ id: t.id, version: 1 })

    const patched = await api<One>("PATCH", `/api/templates/${t.id}`, {
      token: bot.admin,
      body: { body: "Order {{order_id}} is on its way, {{name}}" },
    })
    expect(patched.body.template.version).toBe(2)
    const second = await send({ chatId: "5001", templateId: t.id, variables: { name: "Ada", order_id: "43" } })
    expect(second.status).toBe(202)
    await fakes.telegram.waitForRequests({ account: bot.token, method: "sendMessage" }, 2)
    const calls = await fakes.telegram.requests({ account: bot.token, method: "sendMessage" })
    expect(calls[1]?.body).toMatchObject({ text: "Order 43 is on its way, Ada" })
    expect((await storedMessage(bot.id, second.body.id)).templateRef).toEqual({ id: t.id, version: 2 })
  })

  it("sends WhatsApp's approved template with its parameters in order", async () => {
    const bot = await createWhatsAppBot()
    const t = await created(bot.admin, { ...shipped, whatsapp: waForm })
    const res = await api<{ id: string }>("POST", `/api/bots/${bot.id}/messages`, {
      token: bot.admin,
      body: { chatId: "15550007777", templateId: t.id, variables: { name: "Ada", order_id: "42" } },
    })
    expect(res.status, res.text).toBe(202)
    const [call] = await fakes.whatsapp.waitForRequests({ account: bot.phoneNumberId, method: "messages" }, 1)
    expect(call?.body).toMatchObject({
      to: "15550007777",
      type: "template",
      template: {
        name: "order_shipped",
        language: { code: "en_US" },
        components: [
          {
            type: "body",
            parameters: [
              { type: "text", text: "Ada" },
              { type: "text", text: "42" },
            ],
          },
        ],
      },
    })
    expect((await storedMessage(bot.id, res.body.id)).templateRef).toEqual({ id: t.id, version: 1 })
  })

  it("refuses bad template sends before queueing anything", async () => {
    const bot = await createTelegramBot()
    const t = await created(bot.admin)
    const other = await created(await tokenFor(uniqueBusiness("tpl")))
    const send = (body: Record<string, unknown>) =>
      api<ErrorShape>("POST", `/api/bots/${bot.id}/messages`, { token: bot.admin, body: { chatId: "5002", ...body } })
    const missing = await send({ templateId: t.id, variables: { name: "Ada", extra: "x" } })
    expect([missing.status, paths(missing)]).toEqual([422, ["variables.order_id", "variables.extra"]])
    expect((await send({ templateId: t.id, text: "both" })).status).toBe(422)
    expect(paths(await send({ text: "hi", variables: { name: "x" } }))).toEqual(["variables"])
    expect(paths(await send({ templateId: t.id, variables: { name: "x".repeat(1025), order_id: "1" } }))).toEqual([
      "variables.name",
    ])
    const foreign = await send({ templateId: other.id, variables: { name: "Ada", order_id: "1" } })
    expect([foreign.status, foreign.body.error.message]).toEqual([404, "Template not found"])
    const stranger = await tokenFor(uniqueBusiness("tpl"))
    const theirs = await created(stranger)
    const notMine = await api("POST", `/api/bots/${bot.id}/messages`, {
      token: stranger,
      body: { chatId: "1", templateId: theirs.id, variables: { name: "A", order_id: "1" } },
    })
    expect(notMine.status).toBe(404)
    expect(await fakes.telegram.requests({ account: bot.token, method: "sendMessage" })).toEqual([])
  })
})

describe("sending a template to a contact", () => {
  it("renders per platform: the same text fails over from Telegram to WhatsApp with the version recorded", async () => {
    const p = await person()
    const t = await created(p.admin)
    await fakes.telegram.fail({ account: p.tg.token, method: "sendMessage", mode: "403", times: 1 })
    const sent = await sendToContact(p.admin, p.contactId, {
      templateId: t.id,
      variables: { name: "Ada", order_id: "77" },
      route: { channels: ["telegram", "whatsapp"] },
    })
    const done = await finalState(p.admin, p.contactId, sent.id, (m) => m.status === "sent" || m.status === "failed")
    expect(done.attempts.map((a) => [a.platform, a.status])).toEqual([
      ["telegram", "failed"],
      ["whatsapp", "sent"],
    ])
    await eventually(async () => ((await received(p, "whatsapp", "order 77 shipped")).length === 1 ? true : undefined))
    const hop = done.attempts[1]?.botMessageId ?? ""
    expect((await storedMessage(p.wa.id, hop)).templateRef).toEqual({ id: t.id, version: 1 })
  })

  it("gives each channel its own rendering: the approved template on WhatsApp, then the text on Telegram", async () => {
    const p = await person()
    const t = await created(p.admin, { ...shipped, whatsapp: waForm })
    const body = { templateId: t.id, variables: { name: "Ada", order_id: "78" } }
    const preview = await routePreview(p, { ...body, route: { channels: ["whatsapp", "telegram"] } })
    expect(preview.kind).toBe("template")
    expect(preview.candidates.map((c) => [c.platform, c.kept])).toEqual([
      ["whatsapp", true],
      ["telegram", true],
    ])
    // WhatsApp refuses the approved template (131026: not a WhatsApp user): Telegram gets the rendered text.
    await fakes.whatsapp.fail({ account: p.wa.phoneNumberId, method: "messages", mode: "wa_code", code: 131026 })
    const sent = await sendToContact(p.admin, p.contactId, { ...body, route: { channels: ["whatsapp", "telegram"] } })
    const done = await finalState(p.admin, p.contactId, sent.id, (m) => m.status === "sent" || m.status === "failed")
    expect(done.attempts.map((a) => [a.platform, a.status])).toEqual([
      ["whatsapp", "failed"],
      ["telegram", "sent"],
    ])
    await eventually(async () => ((await received(p, "telegram", "order 78 shipped")).length === 1 ? true : undefined))
    const telegramHop = done.attempts[1]?.botMessageId ?? ""
    expect((await storedMessage(p.tg.id, telegramHop)).templateRef).toEqual({ id: t.id, version: 1 })
    const missing = await api("POST", `/api/contacts/${p.contactId}/messages`, {
      token: p.admin,
      body: { templateId: t.id, variables: { name: "Ada" } },
    })
    expect([missing.status, paths(missing)]).toEqual([422, ["variables.order_id"]])
  })
})
