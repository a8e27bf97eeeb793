// Fake third-party endpoints for the handlers: a business's forward URL and an OpenAI-compatible chat-completions API.
// Per `name` (a path segment, one per test) it records calls and can be told to fail the next N of them.
import { type Answer, isRecord, json, type Listening, listen, parseJson } from "./http.ts"

interface Recorded {
  name: string
  kind: "forward" | "ai"
  headers: Record<string, string>
  body: unknown
  raw: string
  at: number
}

interface Behaviour {
  /** Status of the next `times` answers (500, 404, ...) or "timeout" (hold 30 s). */
  fail?: number | "timeout"
  times?: number
  /** Forward: a fixed JSON body to answer with instead of the default echo-like reply. */
  reply?: unknown
}

/** Starts the endpoints server. Forward: `POST /forward/{name}`; AI: `POST /ai/{name}/v1/chat/completions`. */
export async function startEndpointsFake(port = 0): Promise<Listening> {
  const calls: Recorded[] = []
  const behaviours = new Map<string, Behaviour>()

  function failure(name: string): Answer | null {
    const b = behaviours.get(name)
    if (!b?.fail || (b.times ?? 0) <= 0) return null
    b.times = (b.times ?? 1) - 1
    return b.fail === "timeout" ? { hold: 30_000 } : json(b.fail, { error: "injected" })
  }

  return listen(async (req) => {
    const path = req.url.pathname
    if (path === "/__fake/requests") {
      const name = req.url.searchParams.get("name")
      return json(200, { requests: calls.filter((c) => c.name === name) })
    }
    if (path === "/__fake/behave" && req.method === "POST") {
      const params = parseJson(req.text)
      if (!isRecord(params) || typeof params.name !== "string") return json(400, { error: "name required" })
      const b: Behaviour = {}
      if (typeof params.fail === "number" || params.fail === "timeout") b.fail = params.fail
      if (typeof params.times === "number") b.times = params.times
      if (params.reply !== undefined) b.reply = params.reply
      behaviours.set(params.name, b)
      return json(200, { ok: true })
    }
    const forward = /^\/forward\/([\w-]+)$/.exec(path)
    const ai = /^\/ai\/([\w-]+)\/v1\/chat\/completions$/.exec(path)
    const name = forward?.[1] ?? ai?.[1]
    if (!name || req.method !== "POST") return json(404, { error: "not found" })
    const body = parseJson(req.text)
    calls.push({ name, kind: forward ? "forward" : "ai", headers: req.headers, body, raw: req.text, at: Date.now() })
    const failed = failure(name)
    if (failed) return failed
    if (forward) {
      const custom = behaviours.get(name)?.reply
      if (custom !== undefined) return json(200, custom)
      const message = isRecord(body) && isRecord(body.message) ? body.message : {}
      return json(200, { replies: [{ text: `fwd: ${String(message.text ?? "")}` }] })
    }
    // AI: answer with how many messages we were given and the last user line, so tests can check history.
    const messages = isRecord(body) && Array.isArray(body.messages) ? body.messages : []
    const last = messages.at(-1)
    const content = isRecord(last) ? String(last.content ?? "") : ""
    return json(200, {
      id: "chatcmpl-fake",
      object: "chat.completion",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: `AI(${messages.length}): ${content}` },
          finish_reason: "stop",
        },
      ],
    })
  }, port)
}
