/** Time units and the hour buckets counters and rollups share. */
export const HOUR_MS = 3_600_000

/** The unix hour (hours since the epoch) `now` falls in. */
export const unixHour = (now: number): number => Math.floor(now / HOUR_MS)

export const DAY_MS = 24 * HOUR_MS

/** The unix day (UTC days since the epoch) `now` falls in. */
export const unixDay = (now: number): number => Math.floor(now / DAY_MS)
