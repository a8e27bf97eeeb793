// The pieces every results section is made of (bench/results-schema.ts, bench/latency-schema.ts).
import { z } from "zod"

/** A measured figure. JSON has no NaN (a percentile of no samples, a ratio over nothing): it writes null, read as NaN. */
export const figure = z.union([z.number(), z.null().transform(() => Number.NaN)])
/** A count: requests, replies, messages, bots. */
export const count = z.int()

/** Min, median and max of one figure over the rounds of a run. */
export const spread = z.strictObject({ min: figure, median: figure, max: figure })

export const profileSummary = z.strictObject({
  file: z.string(),
  sampledMs: figure,
  byFunction: z.array(z.strictObject({ name: z.string(), file: z.string(), selfPct: figure })),
  byFile: z.array(z.strictObject({ file: z.string(), selfPct: figure })),
})
