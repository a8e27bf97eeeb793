// Shared pieces of the property-based (fast-check) tests in test/fuzz: generators of hostile request bodies and
// headers, the replay switch, and reads of a bot Durable Object's tables.
//
// Replaying a failure: fast-check's error prints `{ seed: S, path: "P", endOnFailure: true }`. Run
//   VITE_FUZZ_SEED=S VITE_FUZZ_PATH=P npx vitest run test/fuzz/<file> -t "<test name>"
// (Vite hands VITE_* variables to code running inside workerd as import.meta.env; plain env vars do not get there.)
// VITE_FUZZ_RUNS=N overrides every property's run count, e.g. for a long soak.
import { runInDurableObject } from "cloudflare:test"
import fc from "fast-check"
import { botStub } from "../messaging-helpers"

// ---- replay and run counts ----

const viteEnv = (import.meta as unknown as { env?: Record<string, string | undefined> }).env ?? {}

/** Longest a single case may take: every case is a handful of local requests, so this only catches a hang. */
const CASE_TIMEOUT_MS = 30_000

/**
 * fast-check's parameters for a property that must finish within its test's `testTimeoutMs`. The run (shrinking
 * included) is cut short well before that, so a failure found on a slow machine is still reported with its
 * counterexample, seed and path instead of vanishing in the test runner's timeout; a case that hangs fails on its own.
 * A run cut short without a failure passes: callers judge their statistics by the cases that did run.
 */
export function fuzzParams<T>(numRuns: number, testTimeoutMs: number): fc.Parameters<T> {
  const params: fc.Parameters<T> = {
    numRuns: Number(viteEnv.VITE_FUZZ_RUNS ?? numRuns),
    verbose: 1,
    plugins: [
      fc.timeout(CASE_TIMEOUT_MS),
      fc.interruptAfterTimeLimit(Math.max(testTimeoutMs - 45_000, testTimeoutMs / 2)),
    ],
  }
  if (viteEnv.VITE_FUZZ_SEED !== undefined) params.seed = Number(viteEnv.VITE_FUZZ_SEED)
  if (viteEnv.VITE_FUZZ_PATH !== undefined) {
    params.path = viteEnv.VITE_FUZZ_PATH
    params.endOnFailure = true
  }
  return params
}

/** How many cases ran, from a property's outcome tally. */
export const casesRun = (outcomes: Record<string, number>): number => Object.values(outcomes).reduce((a, b) => a + b, 0)

// ---- bytes ----

const encoder = new TextEncoder()
/** Non-fatal, like the worker's own decoder (src/lib/encoding.ts): invalid UTF-8 becomes U+FFFD. */
const decoder = new TextDecoder()
export const utf8 = (s: string): Uint8Array => encoder.encode(s)
export const fromUtf8 = (b: Uint8Array): string => decoder.decode(b)

/** A body fit for an error message: length and the first characters. */
export function preview(bytes: Uint8Array | string, max = 400): string {
  const text = typeof bytes === "string" ? bytes : fromUtf8(bytes)
  const len = typeof bytes === "string" ? text.length : bytes.length
  return `(${len} ${typeof bytes === "string" ? "chars" : "bytes"}) ${JSON.stringify(text.slice(0, max))}${text.length > max ? "..." : ""}`
}

// ---- a bot Durable Object's tables ----

export interface DoCounts {
  inbox: number
  outbox: number
}

export async function doCounts(botId: string): Promise<DoCounts> {
  return runInDurableObject(botStub(botId), (_, state) => {
    const sql = state.storage.sql
    const inbox = Number(sql.exec("SELECT COUNT(*) AS n FROM inbox").one().n)
    const outbox = Number(sql.exec("SELECT COUNT(*) AS n FROM outbox").one().n)
    return { inbox, outbox }
  })
}

/** Counts, plus how many of `eventIds` (distinct) the inbox holds. */
export async function doCountsWith(botId: string, eventIds: string[]): Promise<DoCounts & { present: number }> {
  return runInDurableObject(botStub(botId), (_, state) => {
    const sql = state.storage.sql
    const inbox = Number(sql.exec("SELECT COUNT(*) AS n FROM inbox").one().n)
    const outbox = Number(sql.exec("SELECT COUNT(*) AS n FROM outbox").one().n)
    const present =
      eventIds.length === 0
        ? 0
        : Number(
            sql
              .exec(
                "SELECT COUNT(*) AS n FROM inbox WHERE event_id IN (SELECT value FROM json_each(?))",
                JSON.stringify([...new Set(eventIds)]),
              )
              .one().n,
          )
    return { inbox, outbox, present }
  })
}

/** Everything in the object's `meta` table (its config snapshot, pause state): a partial write shows up here. */
export async function doMeta(botId: string): Promise<Record<string, string>> {
  return runInDurableObject(botStub(botId), (_, state) => {
    const rows = state.storage.sql.exec<{ key: string; value: string }>("SELECT key, value FROM meta").toArray()
    return Object.fromEntries(rows.map((r) => [r.key, r.value]))
  })
}

// ---- hostile JSON: structural mutations of real payloads ----

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type Path = (string | number)[]

/**
 * A body to be: JSON text holding markers that `materialize` replaces with text JSON.stringify cannot produce
 * (`"@@RAW<i>@@"` -> raws[i]: 1e400, -0, 2**64 as a literal, 5,000 nested arrays ...) and with the per-case
 * unique ids (`"@@UIDNUM@@"` -> a number, `@@UID@@` -> a token) and routing ids (`@@PNID@@`, `@@PNID2@@`).
 */
export interface BodySpec {
  label: string
  text?: string
  raws?: string[]
  bytes?: Uint8Array
  byteOps?: ByteOp[]
  [fc.toStringMethod]?: () => string
}

export function spec(label: string, parts: Omit<BodySpec, "label">): BodySpec {
  const out: BodySpec = { label, ...parts }
  // Counterexamples print this instead of a (possibly megabytes long) body.
  Object.defineProperty(out, fc.toStringMethod, {
    enumerable: false,
    value: () =>
      `${label}: ${out.text !== undefined ? preview(out.text, 600) : preview(out.bytes ?? new Uint8Array(), 600)}` +
      `${out.raws?.length ? ` raws=${JSON.stringify(out.raws.map((r) => (r.length > 60 ? `${r.slice(0, 60)}...(${r.length})` : r)))}` : ""}` +
      `${out.byteOps?.length ? ` byteOps=${JSON.stringify(out.byteOps.map((o) => ({ ...o, bytes: o.bytes ? Array.from(o.bytes) : undefined })))}` : ""}`,
  })
  return out
}

export interface Ids {
  uid: number
  pnid?: string
  pnid2?: string
}

export function materialize(s: BodySpec, ids: Ids): Uint8Array {
  let bytes: Uint8Array
  if (s.text !== undefined) {
    let text = s.text.replace(/"@@RAW(\d+)@@"/g, (_, i: string) => s.raws?.[Number(i)] ?? "null")
    text = text.replaceAll('"@@UIDNUM@@"', String(ids.uid)).replaceAll("@@UID@@", `u${ids.uid}`)
    text = text.replaceAll("@@PNID@@", ids.pnid ?? "0").replaceAll("@@PNID2@@", ids.pnid2 ?? "1")
    bytes = utf8(text)
  } else bytes = s.bytes ?? new Uint8Array()
  for (const op of s.byteOps ?? []) bytes = applyByteOp(bytes, op)
  return bytes
}

/** Byte-level damage at a relative position (millionths of the length), so the op does not depend on the length. */
export interface ByteOp {
  kind: "truncate" | "insert" | "overwrite" | "duplicate"
  at: number
  bytes?: Uint8Array
}

function applyByteOp(b: Uint8Array, op: ByteOp): Uint8Array {
  const at = Math.floor((op.at / 1_000_000) * b.length)
  const extra = op.bytes ?? new Uint8Array()
  switch (op.kind) {
    case "truncate":
      return b.slice(0, at)
    case "insert": {
      const out = new Uint8Array(b.length + extra.length)
      out.set(b.subarray(0, at))
      out.set(extra, at)
      out.set(b.subarray(at), at + extra.length)
      return out
    }
    case "overwrite": {
      const out = b.slice()
      out.set(extra.subarray(0, Math.max(0, out.length - at)), at)
      return out
    }
    case "duplicate": {
      const part = b.subarray(at, at + Math.max(1, extra.length * 8))
      const out = new Uint8Array(b.length + part.length)
      out.set(b.subarray(0, at + part.length))
      out.set(part, at + part.length)
      out.set(b.subarray(at + part.length), at + 2 * part.length)
      return out
    }
  }
}

export const byteOpArb: fc.Arbitrary<ByteOp> = fc.record({
  kind: fc.constantFrom("truncate", "insert", "overwrite", "duplicate"),
  at: fc.integer({ min: 0, max: 999_999 }),
  bytes: fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 16 }),
    // Bytes that are never valid UTF-8 on their own, and the structural characters of JSON.
    fc.constantFrom(
      new Uint8Array([0xff]),
      new Uint8Array([0xc0, 0x80]),
      new Uint8Array([0xed, 0xa0, 0x80]),
      new Uint8Array([0xf8, 0x88, 0x80, 0x80, 0x80]),
      utf8("}"),
      utf8('"'),
      utf8(","),
      utf8("\\"),
      new Uint8Array([0]),
    ),
  ),
})

/** Number literals JSON.stringify never writes, and nesting deep enough to find a recursive parser. */
export const rawLiteralArb: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      "1e308",
      "-1e308",
      "1e400",
      "-1e400",
      "1e-400",
      "5e-324",
      "-0",
      "-0.0",
      "0.0",
      "1.0",
      "1E2",
      "9007199254740993",
      "-9007199254740993",
      "18446744073709551616",
      "-9223372036854775809",
      "123456789012345678901234567890123456789012345678901234567890",
      "0.1e1",
      '"\\ud800"',
      '"\\u0000"',
      '"\\uDFFF\\uD800"',
    ),
  },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 5_000 }).map((n) => "[".repeat(n) + "]".repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3_000 }).map((n) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`) },
  { weight: 1, arbitrary: fc.constantFrom(100_000).map((n) => "[".repeat(n) + "]".repeat(n)) },
)

/** Values to drop anywhere: every JSON type, huge and odd numbers, awkward strings. */
export const jsonValueArb: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json> },
  {
    weight: 3,
    arbitrary: fc.constantFrom<Json>(
      1e308,
      -1e308,
      Number.MAX_VALUE,
      Number.MIN_VALUE,
      Number.MAX_SAFE_INTEGER,
      Number.MAX_SAFE_INTEGER + 2,
      -Number.MAX_SAFE_INTEGER - 2,
      2 ** 64,
      2 ** 31,
      -(2 ** 31) - 1,
      0.5,
      -1,
      0,
      "",
      " ",
      "0",
      "-1",
      "1e400",
      "null",
      "true",
      "[]",
      "{}",
      "NaN",
      "\u0000",
      "\ud800",
      "wamid.",
      "messages",
      "statuses",
      "whatsapp_business_account",
      "private",
      true,
      false,
      null,
      [],
      {},
      [[]],
      [{}],
      { id: 1 },
      { id: "1" },
    ),
  },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 1_000, max: 300_000 }), fc.constantFrom("x", "é", "😀", "\\", '"'))
      .map(([n, c]) => c.repeat(n)),
  },
)

export type MutationOp = "replace" | "retype" | "delete" | "addKey" | "raw" | "wrap"
export interface Mutation {
  op: MutationOp
  at: number
  value: Json
  key: string
  raw: string
  pick: number
}

export const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom<MutationOp>("replace", "retype", "retype", "delete", "addKey", "raw", "wrap"),
  at: fc.nat(),
  value: jsonValueArb,
  key: fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom("__proto__", "constructor", "toString", "update_id", "message", "id", "text", "entry", "changes"),
  ),
  raw: rawLiteralArb,
  pick: fc.nat(),
})

function allPaths(v: Json, base: Path = [], out: Path[] = []): Path[] {
  out.push(base)
  if (Array.isArray(v)) for (const [i, x] of v.entries()) allPaths(x, [...base, i], out)
  else if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) allPaths(x, [...base, k], out)
  return out
}

function getAt(root: Json, path: Path): Json {
  let cur: Json = root
  for (const k of path) cur = (cur as Record<string | number, Json>)[k] as Json
  return cur
}

/** A value of another JSON type than `cur` (numbers as strings, objects as arrays, ...). */
function retype(cur: Json, pick: number, value: Json): Json {
  const options: Json[] = [
    typeof cur === "number" ? String(cur) : 42,
    typeof cur === "string" ? Number(cur) || 7 : "str",
    typeof cur === "boolean" ? "true" : true,
    null,
    Array.isArray(cur) ? { 0: cur[0] ?? null } : [cur],
    cur !== null && typeof cur === "object" && !Array.isArray(cur) ? Object.values(cur) : {},
    "",
    value,
  ]
  const typeOf = (x: Json) => (x === null ? "null" : Array.isArray(x) ? "array" : typeof x)
  const different = options.filter((o) => typeOf(o) !== typeOf(cur))
  return different[pick % different.length] ?? null
}

/** Applies structural mutations to a copy of `base`; returns JSON text with raw-literal markers. */
export function mutate(base: Json, mutations: Mutation[]): { text: string; raws: string[] } {
  let root: Json = structuredClone(base)
  const raws: string[] = []
  for (const m of mutations) {
    const paths = allPaths(root)
    const path = paths[m.at % paths.length] ?? []
    const cur = getAt(root, path)
    let next: Json | undefined
    switch (m.op) {
      case "replace":
        next = m.value
        break
      case "retype":
        next = retype(cur, m.pick, m.value)
        break
      case "delete":
        next = undefined
        break
      case "addKey":
        if (Array.isArray(cur)) next = [...cur, m.value]
        else if (cur !== null && typeof cur === "object") {
          // defineProperty: a "__proto__" key must become an own property, as JSON.parse makes it.
          const copy: Record<string, Json> = { ...cur }
          Object.defineProperty(copy, m.key, { value: m.value, enumerable: true, configurable: true, writable: true })
          next = copy
        } else next = m.value
        break
      case "raw":
        next = `@@RAW${raws.length}@@`
        raws.push(m.raw)
        break
      case "wrap":
        next = m.pick % 2 === 0 ? [cur] : { value: cur }
        break
    }
    if (path.length === 0) {
      root = next === undefined ? null : next
      continue
    }
    const parent = getAt(root, path.slice(0, -1)) as Record<string | number, Json> | Json[]
    const key = path[path.length - 1] as string | number
    if (next === undefined) {
      if (Array.isArray(parent)) parent.splice(Number(key), 1)
      else delete (parent as Record<string, Json>)[key]
    } else if (Array.isArray(parent)) parent[Number(key)] = next
    else Object.defineProperty(parent, key, { value: next, enumerable: true, configurable: true, writable: true })
  }
  return { text: JSON.stringify(root) ?? "null", raws }
}

/** Fixture payloads mutated 1-4 times at random places, sometimes damaged at the byte level as well. */
export function mutatedArb(fixtures: Record<string, Json>, label = "mutated"): fc.Arbitrary<BodySpec> {
  const names = Object.keys(fixtures)
  return fc
    .tuple(
      fc.constantFrom(...names),
      fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
      fc.oneof(
        { weight: 5, arbitrary: fc.constant<ByteOp[]>([]) },
        { weight: 1, arbitrary: fc.array(byteOpArb, { maxLength: 2 }) },
      ),
    )
    .map(([name, muts, byteOps]) => {
      const { text, raws } = mutate(fixtures[name] ?? null, muts)
      return spec(`${label}(${name}, ${muts.map((m) => m.op).join("+")})`, { text, raws, byteOps })
    })
}

/** The fixtures as they are (with fresh ids): most cases must be payloads that really get stored. */
export function pristineArb(fixtures: Record<string, Json>): fc.Arbitrary<BodySpec> {
  return fc
    .constantFrom(...Object.keys(fixtures))
    .map((name) => spec(`pristine(${name})`, { text: JSON.stringify(fixtures[name]) }))
}

/** Random JSON built from the payloads' own key names, so the schema's paths get random shapes. */
export function keyedJsonArb(fixtures: Record<string, Json>): fc.Arbitrary<BodySpec> {
  const keys = new Set<string>()
  const walk = (v: Json) => {
    if (Array.isArray(v)) v.forEach(walk)
    else if (v !== null && typeof v === "object")
      for (const [k, x] of Object.entries(v)) {
        keys.add(k)
        walk(x)
      }
  }
  for (const f of Object.values(fixtures)) walk(f)
  const keyArb = fc.constantFrom(...keys)
  const { tree } = fc.letrec<{ tree: Json }>((tie) => ({
    tree: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      jsonValueArb,
      fc.dictionary(keyArb, tie("tree"), { maxKeys: 5 }) as fc.Arbitrary<Json>,
      fc.array(tie("tree"), { maxLength: 3 }),
    ),
  }))
  return fc.dictionary(keyArb, tree, { minKeys: 1, maxKeys: 6 }).map((o) => spec("keyed", { text: JSON.stringify(o) }))
}

/** Bodies with no relation to the platform: bytes, text, JSON of any shape, deep nesting, empty. */
export const junkArb: fc.Arbitrary<BodySpec> = fc.oneof(
  fc.uint8Array({ maxLength: 4096 }).map((bytes) => spec("bytes", { bytes })),
  fc.string({ unit: "binary", maxLength: 300 }).map((text) => spec("string", { text })),
  fc.json({ maxDepth: 4 }).map((text) => spec("json", { text })),
  fc.anything({ maxDepth: 3 }).map((v) => {
    let text: string
    try {
      text = JSON.stringify(v) ?? "undefined"
    } catch {
      text = String(v)
    }
    return spec("anything", { text })
  }),
  rawLiteralArb.map((text) => spec("raw", { text })),
  fc
    .constantFrom("", " ", "null", "[]", "{}", "0", '""', "true", "\ufeff{}", "{}{}", "[1,]", '{"a":1,}')
    .map((text) => spec("tiny", { text })),
)

/** Bodies around the 3 MB webhook limit; `wrap` turns padding into a payload. */
export function sizeArb(wrap: (padding: string) => string): fc.Arbitrary<BodySpec> {
  const limit = 3 * 1024 * 1024
  return fc
    .constantFrom(limit + 1, limit - 4096, 2_200_000, 1_100_000)
    .map((n) => spec(`size(~${n})`, { text: wrap("x".repeat(Math.max(0, n - wrap("").length))) }))
}

/** Header values a client can send (no CR/LF/NUL), as random as that allows. */
export const headerValueArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 80 }),
  // Printable ASCII and tabs only: workerd re-encodes anything above 0x7f as UTF-8 (and warns), so the byte
  // values a client could put on the wire past ASCII are not reachable from a test anyway.
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 200 }),
  fc.string({ unit: fc.constantFrom(" ", "\t", ",", "=", ":"), maxLength: 10 }),
  fc.constantFrom("", " ", "null", "undefined", "sha256=", "sha1=", "Bearer x", "\t", "a".repeat(8192)),
)

/** The value a server would see for `value` sent as a header (Headers trims it), or null if fetch refuses it. */
export function sentHeader(value: string): string | null {
  try {
    return new Headers({ x: value }).get("x")
  } catch {
    return null
  }
}

// ---- responses ----

export interface Answer {
  status: number
  text: string
  json: unknown
}

export async function answer(res: Response): Promise<Answer> {
  const text = await res.text()
  let json: unknown = null
  try {
    json = JSON.parse(text)
  } catch {
    json = null
  }
  return { status: res.status, text, json }
}

export function isErrorShape(body: unknown): boolean {
  if (typeof body !== "object" || body === null) return false
  const error = (body as { error?: unknown }).error
  if (typeof error !== "object" || error === null) return false
  const e = error as { code?: unknown; message?: unknown }
  return typeof e.code === "string" && typeof e.message === "string"
}

export class Violation extends Error {
  override name = "Violation"
}

/** Fails the case with everything needed to read it: what was sent and what came back. */
export function violated(what: string, sent: Uint8Array | string, got: Answer, extra: Record<string, unknown> = {}) {
  const detail = Object.entries(extra)
    .map(([k, v]) => `\n  ${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join("")
  return new Violation(`${what}\n  sent: ${preview(sent)}\n  answer: ${got.status} ${got.text.slice(0, 500)}${detail}`)
}

/**
 * The unverified-request invariant every webhook shares: a 4xx in the error shape (never a 5xx), and nothing stored
 * in the bot's inbox or queue. `fail` builds the case's report.
 */
export function checkRefusedAndNothingStored(got: Answer, after: DoCounts, fail: (what: string) => Violation): void {
  if (got.status >= 500) throw fail("5xx")
  if (got.status < 400 || !isErrorShape(got.json)) throw fail("an unverified request must get a 4xx error")
  if (after.inbox !== 0 || after.outbox !== 0) throw fail("an unverified request stored something")
}
