/**
 * Entity tags of the API's answers and the two preconditions that use them (RFC 9110 §8.8.3, §13.1.1-2).
 *
 * A tag is a digest of the JSON served, so a `304` is only ever sent for exactly the bytes the client holds. A
 * resource with live fields (a bot's `queueDepth` and `lastActive`, which move with its traffic) has a tag of two
 * parts, `"<state>.<live>"`: `If-None-Match` compares the whole tag, `If-Match` only the state part, since a write can
 * never overwrite the live fields and a busy bot would otherwise refuse every conditional write.
 */
import { toBase64Url, utf8 } from "./encoding"

/** A tag's digest: the first 96 bits of SHA-256, base64url (16 characters). */
async function digest(text: string): Promise<string> {
  const hash = await crypto.subtle.digest("SHA-256", utf8(text))
  return toBase64Url(new Uint8Array(hash, 0, 12))
}

/** The strong tag of an answer's bytes (lists, stats: anything without live fields). */
export async function textTag(text: string): Promise<string> {
  return `"${await digest(text)}"`
}

/**
 * The strong tag of one resource's answer, `{ [key]: resource }`: the resource without `live` is its state, the
 * `live` fields (when it has some) the second part.
 */
export async function resourceTag(key: string, resource: Record<string, unknown>, live: readonly string[] = []) {
  if (live.length === 0) return textTag(JSON.stringify({ [key]: resource }))
  const state: Record<string, unknown> = {}
  const moving: Record<string, unknown> = {}
  for (const [field, value] of Object.entries(resource)) (live.includes(field) ? moving : state)[field] = value
  return `"${await digest(JSON.stringify({ [key]: state }))}.${await digest(JSON.stringify(moving))}"`
}

interface EntityTag {
  weak: boolean
  opaque: string
}

/** A header's list of entity tags; `null` for `*`. Malformed members are skipped (they match nothing). */
export function parseTags(header: string): EntityTag[] | null {
  if (header.trim() === "*") return null
  const tags: EntityTag[] = []
  for (const match of header.matchAll(/(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"/g))
    tags.push({ weak: match[1] !== undefined, opaque: match[2] ?? "" })
  return tags
}

const statePart = (opaque: string) => opaque.split(".", 1)[0] ?? ""
const opaqueOf = (tag: string) => tag.replace(/^W\//, "").replace(/^"|"$/g, "")

/**
 * `If-Match`: `*`, or a listed strong tag with the current state. Weak tags never match (strong comparison), so a
 * tag this API did not send fails the write rather than slipping past.
 */
export function ifMatchHolds(header: string, current: string): boolean {
  const tags = parseTags(header)
  if (tags === null) return true
  const state = statePart(opaqueOf(current))
  return tags.some((t) => !t.weak && statePart(t.opaque) === state)
}

/** `If-None-Match` on a GET: `*`, or a listed tag equal to the current one (weak comparison). True means `304`. */
export function ifNoneMatchHits(header: string, current: string): boolean {
  const tags = parseTags(header)
  if (tags === null) return true
  const opaque = opaqueOf(current)
  return tags.some((t) => t.opaque === opaque)
}
