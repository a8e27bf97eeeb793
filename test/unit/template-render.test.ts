// Rendering templates as a pure function: values checked against the declared variables, per-platform escaping,
// WhatsApp's approved template with its parameters, the version recorded, and the template's own consistency rules.
import { describe, expect, it } from "vitest"
import type { DomainError } from "../../src/lib/domain-error"
import type { Result } from "../../src/lib/result"
import { getProvider } from "../../src/providers"
import { slackSendBody } from "../../src/providers/slack.send"
import { whatsappSendBody } from "../../src/providers/whatsapp.send"
import {
  createTemplateBodySchema,
  placeholders,
  type Template,
  templateProblems,
} from "../../src/registry/template-schemas"
import { type RenderableTemplate, renderTemplate, renderText } from "../../src/templates/render"

function template(extra: Partial<Template> = {}): RenderableTemplate {
  return {
    id: "tpl_1",
    version: 3,
    variables: [{ name: "name" }, { name: "order_id", example: "A-42" }],
    body: "Hi {{name}}, order {{ order_id }} shipped",
    whatsapp: null,
    slack: null,
    ...extra,
  }
}

const fields = <T>(r: Result<T, DomainError>) =>
  r.ok || r.error.kind !== "invalid" ? [] : r.error.fields.map((f) => [f.path, f.message])

const values = { name: "Ada", order_id: "42" }

describe("renderTemplate", () => {
  it("fills the body for text platforms and records the template's id and version", () => {
    for (const platform of ["telegram", "whatsapp", "slack", "discord"] as const) {
      const r = renderTemplate(template(), values, platform)
      expect(r.ok && r.value).toEqual({
        content: { text: "Hi Ada, order 42 shipped", templateRef: { id: "tpl_1", version: 3 } },
        templateRef: { id: "tpl_1", version: 3 },
      })
    }
  })

  it("answers 422 naming each missing and each undeclared variable", () => {
    const r = renderTemplate(template(), { name: "Ada", coupon: "X", extra: "Y" }, "telegram")
    expect(r.ok).toBe(false)
    expect(fields(r)).toEqual([
      ["variables.order_id", "required: the template declares it"],
      ["variables.coupon", "not a variable of this template"],
      ["variables.extra", "not a variable of this template"],
    ])
    if (!r.ok) expect(r.error.message).toBe("Invalid body: variables.order_id: required: the template declares it")
  })

  it("refuses values over 1024 characters and values that are not strings", () => {
    const r = renderTemplate(template(), { name: "x".repeat(1025), order_id: 42 }, "telegram")
    expect(fields(r)).toEqual([
      ["variables.name", "at most 1024 characters"],
      ["variables.order_id", "must be a string"],
    ])
  })

  it("does not take inherited names for values", () => {
    const t = template({ variables: [{ name: "constructor" }], body: "x {{constructor}}" })
    expect(fields(renderTemplate(t, {}, "telegram"))).toEqual([
      ["variables.constructor", "required: the template declares it"],
    ])
    const r = renderTemplate(t, { constructor: "y" }, "telegram")
    expect(r.ok && r.value.content.text).toBe("x y")
  })

  it("refuses a rendering that is only whitespace or longer than any message", () => {
    const blank = template({ variables: [{ name: "a" }], body: "{{a}}" })
    expect(fields(renderTemplate(blank, { a: "  " }, "telegram"))).toEqual([
      ["variables", "the rendered text is empty"],
    ])
    const many = Array.from({ length: 9 }, (_, i) => ({ name: `v${i}` }))
    const long = template({ variables: many, body: many.map((v) => `{{${v.name}}}`).join("") })
    const r = renderTemplate(long, Object.fromEntries(many.map((v) => [v.name, "x".repeat(1000)])), "telegram")
    expect(fields(r)).toEqual([["variables", "the rendered text is 9000 characters; at most 8192"]])
  })
})

describe("escaping per platform", () => {
  const t = template({ variables: [{ name: "v" }], body: "*Note*: {{v}} <ok>" })
  const text = (platform: "telegram" | "whatsapp" | "slack" | "discord", v: string) => {
    const r = renderTemplate(t, { v }, platform)
    return r.ok ? r.value.content.text : undefined
  }

  it("leaves Telegram (no parse_mode) and WhatsApp values as written", () => {
    expect(getProvider("telegram").escapeText).toBeUndefined()
    expect(getProvider("whatsapp").escapeText).toBeUndefined()
    expect(text("telegram", "<b>&_*")).toBe("*Note*: <b>&_* <ok>")
    expect(text("whatsapp", "<b>&_*")).toBe("*Note*: <b>&_* <ok>")
  })

  it("escapes &, < and > in Slack values, not in the body the business wrote", () => {
    expect(text("slack", "<!channel> & <https://x|y>")).toBe("*Note*: &lt;!channel&gt; &amp; &lt;https://x|y&gt; <ok>")
  })

  it("sends a Slack form's blocks with each value escaped, the text staying the notification", () => {
    const withBlocks = template({
      variables: [{ name: "v" }],
      body: "Hi {{v}}",
      slack: {
        blocks: [
          { type: "section", text: { type: "mrkdwn", text: "*Hello* {{v}}" } },
          { type: "context", elements: [{ type: "mrkdwn", text: "for {{v}}" }] },
        ],
      },
    })
    const r = renderTemplate(withBlocks, { v: "<!here> & co" }, "slack")
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.value.content.text).toBe("Hi &lt;!here&gt; &amp; co")
    const body = slackSendBody({ ...r.value.content, chatId: "C123" })
    expect(body.ok && body.value.blocks).toEqual([
      { type: "section", text: { type: "mrkdwn", text: "*Hello* &lt;!here&gt; &amp; co" } },
      { type: "context", elements: [{ type: "mrkdwn", text: "for &lt;!here&gt; &amp; co" }] },
    ])
    expect(body.ok && body.value.text).toBe("Hi &lt;!here&gt; &amp; co")
    // Other platforms get the text only.
    const telegram = renderTemplate(withBlocks, { v: "x" }, "telegram")
    expect(telegram.ok && telegram.value.content.slackBlocks).toBeUndefined()
  })

  it("backslash-escapes Discord markdown in values, leaving links intact", () => {
    expect(text("discord", "**bold** _it_ `code` ||spoiler|| [x](y) <@123> ~~s~~ \\")).toBe(
      "*Note*: \\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\|\\|spoiler\\|\\| \\[x\\](y) \\<@123> \\~\\~s\\~\\~ \\\\ <ok>",
    )
    expect(text("discord", "see https://example.com/a_b*c")).toBe("*Note*: see https://example.com/a_b*c <ok>")
    expect(text("discord", "# title\n> quote\n- item\n1. first")).toBe(
      "*Note*: \\# title\n\\> quote\n\\- item\n1\\. first <ok>",
    )
  })

  it("renderText leaves an unknown placeholder as written", () => {
    expect(renderText("{{a}} {{b}}", { a: "1" })).toBe("1 {{b}}")
  })
})

describe("WhatsApp's approved template", () => {
  const form = {
    name: "order_shipped",
    language: "pt_BR",
    body: ["name", "order_id"],
    header: ["order_id"],
    buttons: [{ index: 0, variable: "order_id" }],
  }

  it("becomes a template message with parameters in the declared order, header and button included", () => {
    const r = renderTemplate(template({ whatsapp: form }), values, "whatsapp")
    expect(r.ok && r.value.content).toEqual({
      template: {
        name: "order_shipped",
        language: "pt_BR",
        parameters: ["Ada", "42"],
        headerParameters: ["42"],
        buttonParameters: [{ index: 0, parameter: "42" }],
      },
      templateRef: { id: "tpl_1", version: 3 },
    })
    const built = r.ok ? whatsappSendBody({ chatId: "15550001111", ...r.value.content }) : null
    expect(built?.ok && built.value.template).toEqual({
      name: "order_shipped",
      language: { code: "pt_BR" },
      components: [
        { type: "header", parameters: [{ type: "text", text: "42" }] },
        {
          type: "body",
          parameters: [
            { type: "text", text: "Ada" },
            { type: "text", text: "42" },
          ],
        },
        { type: "button", sub_type: "url", index: "0", parameters: [{ type: "text", text: "42" }] },
      ],
    })
  })

  it("is used on WhatsApp only: other platforms get the text body", () => {
    const r = renderTemplate(template({ whatsapp: form }), values, "telegram")
    expect(r.ok && r.value.content.text).toBe("Hi Ada, order 42 shipped")
  })

  it("refuses parameters Meta would refuse, naming the variable", () => {
    const r = renderTemplate(template({ whatsapp: form }), { name: "Ada\nLovelace", order_id: " " }, "whatsapp")
    expect(fields(r)).toEqual([
      ["variables.name", "WhatsApp template parameters cannot hold line breaks or tabs"],
      ["variables.order_id", "WhatsApp template parameters must not be empty"],
    ])
  })

  it("takes no components when the form names no variables", () => {
    const r = renderTemplate(
      template({ variables: [], body: "Hello", whatsapp: { name: "hello", language: "en_US", body: [] } }),
      {},
      "whatsapp",
    )
    expect(r.ok && r.value.content.template).toEqual({ name: "hello", language: "en_US" })
  })
})

describe("a template's own rules", () => {
  it("finds placeholders, spaces inside allowed", () => {
    expect(placeholders("{{a}} {{ b }} {{}} {c} {{d e}}")).toEqual(["a", "b", "", "d e"])
  })

  it("names each undeclared or malformed placeholder and each undeclared WhatsApp or Slack variable", () => {
    expect(
      templateProblems({
        variables: [{ name: "a" }],
        body: "{{a}} {{b}} {{b}} {{c d}}",
        whatsapp: { name: "t", language: "en_US", body: ["a", "z"], buttons: [{ index: 1, variable: "y" }] },
        slack: { blocks: [{ type: "section", text: { type: "mrkdwn", text: "{{a}} {{s}}" } }] },
      }),
    ).toEqual([
      { path: "body", message: "{{b}} is not a declared variable" },
      { path: "body", message: "{{c d}} is not a placeholder: a variable's name goes inside {{ }}" },
      { path: "slack.blocks.0.text.text", message: "{{s}} is not a declared variable" },
      { path: "whatsapp.body.1", message: "z is not a declared variable" },
      { path: "whatsapp.buttons.0.variable", message: "y is not a declared variable" },
    ])
  })

  it("validates a create body: names, unique variables, bounded Slack blocks", () => {
    const issues = (body: unknown) =>
      createTemplateBodySchema.safeParse(body).error?.issues.map((i) => [i.path.join("."), i.message]) ?? []
    expect(issues({ name: "ok", variables: [{ name: "a" }], body: "{{a}}" })).toEqual([])
    expect(issues({ name: "x", variables: [{ name: "1a" }, { name: "b" }, { name: "b" }], body: "hi" })).toEqual([
      ["variables.0.name", "letters, digits and _, not starting with a digit, 1-40 long"],
      ["variables.2.name", "b is declared twice"],
    ])
    const deep = JSON.parse(`${"[".repeat(20)}1${"]".repeat(20)}`)
    expect(issues({ name: "x", body: "hi", slack: { blocks: [{ type: "section", x: deep }] } })).toEqual([
      ["slack.blocks", "nested too deeply"],
    ])
    const big = { type: "section", text: { type: "mrkdwn", text: "x".repeat(33_000) } }
    expect(issues({ name: "x", body: "hi", slack: { blocks: [big] } })).toEqual([
      ["slack.blocks", "at most 32768 characters of JSON"],
    ])
    expect(issues({ name: "x", body: "{{nope}}" })).toEqual([["body", "{{nope}} is not a declared variable"]])
  })
})
