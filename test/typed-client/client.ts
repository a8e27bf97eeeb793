// A typed client of the management API made only of what `npm run gen:api-types` generates from /openapi.json
// (public/js/api-types.d.ts): an operation is named by its "METHOD /path" key, its path parameters come from the
// path's {braces}, its body is `RequestBodies[key]` and its answer `Responses[key]` (or the `Error` schema).
// test/typed-client/script.ts uses it; `npm run typecheck` checks both against the generated types.
import type { Error as ApiError, RequestBodies, Responses } from "../../public/js/api-types"

export type Operation = keyof Responses

type PathOf<K extends string> = K extends `${string} ${infer P}` ? P : never
type ParamNames<P extends string> = P extends `${string}{${infer N}}${infer Rest}` ? N | ParamNames<Rest> : never
type Params<K extends Operation> = [ParamNames<PathOf<K>>] extends [never]
  ? { params?: undefined }
  : { params: Record<ParamNames<PathOf<K>>, string> }
type Body<K extends Operation> = K extends keyof RequestBodies ? { body: RequestBodies[K] } : { body?: undefined }

/** What `call` takes: the path's parameters, the operation's body when it has one, and any query parameters. */
export type Input<K extends Operation> = Params<K> & Body<K> & { query?: Record<string, string> }

/** The answer: the operation's success body, or the API's `{ error }`, told apart by `ok`. */
export type Answer<K extends Operation> =
  | { ok: true; status: number; body: Responses[K] }
  | { ok: false; status: number; body: ApiError }

export interface ClientOptions {
  baseUrl: string
  token?: string
  fetch?: (url: string, init: RequestInit) => Promise<Response>
}

export interface Client {
  call<K extends Operation>(operation: K, input: Input<K>): Promise<Answer<K>>
}

export function createClient(options: ClientOptions): Client {
  const send = options.fetch ?? ((url: string, init: RequestInit) => fetch(url, init))
  return {
    async call(operation, input) {
      const [method = "GET", template = "/"] = operation.split(" ")
      const params: Record<string, string> = input.params ?? {}
      const path = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ""))
      const query = input.query ? `?${new URLSearchParams(input.query)}` : ""
      const headers: Record<string, string> = {}
      if (options.token) headers.Authorization = `Bearer ${options.token}`
      if (input.body !== undefined) headers["Content-Type"] = "application/json"
      const res = await send(`${options.baseUrl}${path}${query}`, {
        method,
        headers,
        ...(input.body === undefined ? {} : { body: JSON.stringify(input.body) }),
      })
      const text = await res.text()
      const body: unknown = text === "" ? null : JSON.parse(text)
      // The one unchecked step: the body is trusted to be what the document says (the e2e test checks it is).
      return res.ok
        ? { ok: true, status: res.status, body: body as Responses[typeof operation] }
        : { ok: false, status: res.status, body: body as ApiError }
    },
  }
}
