/** Time-ordered ids: sorting by id sorts by creation, which gives cursor pagination a stable, indexed order. */
import { toHex } from "./encoding"

let last = 0
let seq = 0

/** `prefix_` + 12 hex digits of milliseconds + 4 of a per-isolate sequence + 12 random. */
export function newId(prefix: string, now = Date.now()): string {
  if (now === last) seq = (seq + 1) & 0xffff
  else {
    last = now
    seq = 0
  }
  const time = now.toString(16).padStart(12, "0")
  const s = seq.toString(16).padStart(4, "0")
  return `${prefix}_${time}${s}${toHex(crypto.getRandomValues(new Uint8Array(6)))}`
}

const idShapes = new Map<string, RegExp>()

/** Whether `id` has the shape `newId` gives (`prefix_` + 28 hex digits): anything else names nothing of ours. */
export function isId(prefix: string, id: string): boolean {
  let shape = idShapes.get(prefix)
  if (!shape) {
    shape = new RegExp(`^${prefix}_[0-9a-f]{28}$`)
    idShapes.set(prefix, shape)
  }
  return shape.test(id)
}
