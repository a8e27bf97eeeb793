/**
 * Latency distributions that add up: log-spaced buckets of fixed relative width, so any percentile read back is
 * within `RELATIVE_ERROR` of a real observation's value, and two sketches merge by adding counts (an hour's
 * sketches sum into a day's, a bot's into its platform's). Stored sparse, as JSON `{ bucket: count }`.
 *
 * Bucket 0 holds everything up to 1 ms; bucket i > 0 holds (γ^(i-1), γ^i] ms. Reading bucket i gives 2γ^i / (γ + 1),
 * the value whose relative distance to both ends is the same.
 */

/** A bucket index (as a string key, the stored form) to its count. */
export type Sketch = Record<string, number>

const GAMMA = 1.1
const LOG_GAMMA = Math.log(GAMMA)
/** Half a bucket's relative width: (γ − 1) / (γ + 1). */
export const RELATIVE_ERROR = (GAMMA - 1) / (GAMMA + 1)
/** Nothing we time takes longer than a day; a larger reading (a clock jump) lands in the last bucket. */
const MAX_BUCKET = Math.ceil(Math.log(86_400_000) / LOG_GAMMA)

export function bucketOf(ms: number): number {
  if (!(ms > 1)) return 0
  return Math.min(MAX_BUCKET, Math.ceil(Math.log(ms) / LOG_GAMMA - 1e-9))
}

/** The value a bucket stands for (ms). */
export function bucketValue(bucket: number): number {
  return bucket <= 0 ? 1 : (2 * GAMMA ** bucket) / (GAMMA + 1)
}

export function emptySketch(): Sketch {
  return {}
}

export function record(sketch: Sketch, ms: number, n = 1): Sketch {
  const key = String(bucketOf(ms))
  sketch[key] = (sketch[key] ?? 0) + n
  return sketch
}

/** Adds `from` into `into` (mutates and returns `into`). */
export function merge(into: Sketch, from: Sketch | null | undefined): Sketch {
  if (!from) return into
  for (const [key, n] of Object.entries(from)) into[key] = (into[key] ?? 0) + n
  return into
}

export function count(sketch: Sketch): number {
  let n = 0
  for (const v of Object.values(sketch)) n += v
  return n
}

/**
 * The q-quantile (0 < q ≤ 1) by nearest rank: the value of the bucket holding the ⌈q·n⌉-th smallest observation,
 * rounded to 0.1 ms. Null for an empty sketch.
 */
export function quantile(sketch: Sketch, q: number): number | null {
  const total = count(sketch)
  if (total === 0) return null
  const rank = Math.max(1, Math.ceil(q * total))
  const buckets = Object.keys(sketch)
    .map(Number)
    .sort((a, b) => a - b)
  let seen = 0
  for (const b of buckets) {
    seen += sketch[String(b)] ?? 0
    if (seen >= rank) return Math.round(bucketValue(b) * 10) / 10
  }
  return null
}

/** p50 and p95, or null when nothing was timed. */
export function percentiles(sketch: Sketch): { p50: number; p95: number } | null {
  const p50 = quantile(sketch, 0.5)
  const p95 = quantile(sketch, 0.95)
  return p50 === null || p95 === null ? null : { p50, p95 }
}

/** A stored sketch (JSON text, or null) back to a sketch; anything malformed reads as empty. */
export function parseSketch(text: string | null | undefined): Sketch {
  if (!text) return {}
  try {
    const value: unknown = JSON.parse(text)
    if (typeof value !== "object" || value === null || Array.isArray(value)) return {}
    const out: Sketch = {}
    for (const [key, n] of Object.entries(value)) if (typeof n === "number" && n > 0) out[key] = n
    return out
  } catch {
    return {}
  }
}
