// @ts-check
// Hands a broadcast to the API in chunks of up to 5,000 recipients: the first chunk creates it (`more: true` while
// others follow, so it waits as a draft), the others are added in order, the last with `more: false`, which starts it.
// A chunk is also kept under the API's 256 KB limit for a JSON body (5,000 recipients with a few variables are more),
// so it may hold fewer. A failed chunk can be tried again from where it stopped.
import { api } from "./api.js"

/** @typedef {import("./api.js").Broadcast} Broadcast */
/** @typedef {import("./api.js").CreateBroadcast} CreateBroadcast */
/** @typedef {import("./api.js").Recipient} Recipient */

/** Recipients per request: the API's limit for a JSON body. */
export const CHUNK = 5_000
/** Bytes of a JSON request body the API takes (API_BODY_LIMIT in src/app.ts), less room for the rest of the body. */
const BODY_BUDGET = 256 * 1024 - 2 * 1024

const utf8 = new TextEncoder()
/** @param {unknown} value */
const bytes = (value) => utf8.encode(JSON.stringify(value)).length

/**
 * Consecutive chunks of at most CHUNK recipients whose JSON fits the body limit with `base` beside them.
 * @param {Recipient[]} recipients @param {unknown} base
 */
export function chunksOf(recipients, base) {
  const room = BODY_BUDGET - bytes(base)
  const chunks = /** @type {Recipient[][]} */ ([])
  let chunk = /** @type {Recipient[]} */ ([])
  let size = 0
  for (const r of recipients) {
    const n = bytes(r) + 1
    if (chunk.length && (chunk.length === CHUNK || size + n > room)) {
      chunks.push(chunk)
      chunk = []
      size = 0
    }
    chunk.push(r)
    size += n
  }
  if (chunk.length) chunks.push(chunk)
  return chunks
}

/**
 * @param {string} botId
 * @param {Omit<CreateBroadcast, "recipients" | "more">} base  name, content, schedule
 * @param {Recipient[]} recipients
 */
export function chunkedSend(botId, base, recipients) {
  const chunks = chunksOf(recipients, base)
  /** Index in `recipients` of each chunk's first one. */
  const starts = chunks.map((_, i) => chunks.slice(0, i).reduce((n, c) => n + c.length, 0))
  /** @type {Broadcast | null} */
  let broadcast = null
  let next = 0
  return {
    chunks: chunks.length,
    /** The broadcast once its first chunk was taken (a draft until the last one is). */
    broadcast: () => broadcast,
    /** Index in `recipients` of the first recipient of the chunk being sent (or that failed). */
    offset: () => starts[next] ?? recipients.length,
    /**
     * Sends the chunks not yet taken, in order; rejects with the API's error at the first refusal.
     * @param {(added: number) => void} progress  recipients taken so far
     * @returns {Promise<Broadcast>}
     */
    async run(progress) {
      while (next < chunks.length) {
        const part = /** @type {Recipient[]} */ (chunks[next])
        const more = next < chunks.length - 1
        const res = broadcast
          ? await api.addRecipients(botId, broadcast.id, { recipients: part, more })
          : await api.createBroadcast(botId, { ...base, recipients: part, more })
        broadcast = res.broadcast
        next++
        progress(starts[next] ?? recipients.length)
      }
      return /** @type {Broadcast} */ (broadcast)
    },
  }
}
