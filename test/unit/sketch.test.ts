// Latency sketches: any percentile read back is within the stated relative error of the exact one, and merging
// sketches is the same as sketching everything at once (what hourly → daily compaction and platform totals rely on).
import { fc, test } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import { bucketOf, merge, percentiles, quantile, RELATIVE_ERROR, record, type Sketch } from "../../src/analytics/sketch"

const latencies = fc.array(fc.double({ min: 1.01, max: 600_000, noNaN: true }), { minLength: 1, maxLength: 300 })
const sketchOf = (values: number[]): Sketch => values.reduce((s, v) => record(s, v), {} as Sketch)
/** The exact nearest-rank quantile. */
const exact = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1] ?? Number.NaN
}

describe("latency sketch", () => {
  test.prop([latencies, fc.double({ min: 0.01, max: 1, noNaN: true })])(
    "a quantile is within the relative error of the exact one",
    (values, q) => {
      const estimate = quantile(sketchOf(values), q) ?? Number.NaN
      const truth = exact(values, q)
      // Rounded to 0.1 ms on the way out.
      expect(Math.abs(estimate - truth)).toBeLessThanOrEqual(truth * RELATIVE_ERROR + 0.05 + 1e-9)
    },
  )

  test.prop([latencies, latencies])("merging two sketches equals sketching both sets", (a, b) => {
    expect(merge(sketchOf(a), sketchOf(b))).toEqual(sketchOf([...a, ...b]))
  })

  it("reads p50 and p95 of known latencies, and nothing from an empty sketch", () => {
    const values = [...Array.from({ length: 90 }, () => 100), ...Array.from({ length: 10 }, () => 400)]
    const p = percentiles(sketchOf(values))
    expect(p?.p50).toBeGreaterThanOrEqual(100 * (1 - RELATIVE_ERROR))
    expect(p?.p50).toBeLessThanOrEqual(100 * (1 + RELATIVE_ERROR))
    expect(p?.p95).toBeGreaterThanOrEqual(400 * (1 - RELATIVE_ERROR))
    expect(p?.p95).toBeLessThanOrEqual(400 * (1 + RELATIVE_ERROR))
    expect(percentiles({})).toBeNull()
    expect(bucketOf(0)).toBe(0)
    expect(bucketOf(Number.POSITIVE_INFINITY)).toBe(bucketOf(86_400_000))
  })
})
