// Small statistics for the bench: percentiles of one run, min/median/max across rounds, ratios per round.

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN when there are none. */
export function percentile(samples: ArrayLike<number>, p: number): number {
  const n = samples.length
  if (n === 0) return Number.NaN
  const sorted = Float64Array.from(samples).sort()
  const rank = Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))
  return sorted[rank] ?? Number.NaN
}

/** Min, median and max of one figure over the rounds of a run. */
export interface Spread {
  min: number
  median: number
  max: number
}

export function spread(values: number[]): Spread {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  if (finite.length === 0) return { min: Number.NaN, median: Number.NaN, max: Number.NaN }
  const mid = Math.floor(finite.length / 2)
  const median =
    finite.length % 2 === 1 ? (finite[mid] ?? Number.NaN) : ((finite[mid - 1] ?? 0) + (finite[mid] ?? 0)) / 2
  return { min: finite[0] ?? Number.NaN, median, max: finite[finite.length - 1] ?? Number.NaN }
}

/** Ratios of two figures measured in the same round (same minute, same process tree), then their spread. */
export function ratioSpread(numerators: number[], denominators: number[]): Spread {
  return spread(numerators.map((n, i) => n / (denominators[i] ?? Number.NaN)))
}

export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value
  const f = 10 ** digits
  return Math.round(value * f) / f
}

export function roundSpread(s: Spread, digits = 2): Spread {
  return { min: round(s.min, digits), median: round(s.median, digits), max: round(s.max, digits) }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
