// Number and table formatting shared by the bench's printed sections.
import type { Spread } from "./stats.ts"

/** `v` with thousands separators and exactly `digits` decimals; "n/a" when it is not a finite number. */
export const num = (v: number, digits = 0): string =>
  Number.isFinite(v)
    ? v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : "n/a"

/** A spread as "median (min–max)". */
export const sp = (s: Spread, digits = 0): string =>
  `${num(s.median, digits)} (${num(s.min, digits)}–${num(s.max, digits)})`

/** Cells padded to their widths, one table line. */
export const row = (cells: [string, number][]): string =>
  cells
    .map(([text, width]) => text.padEnd(width))
    .join(" ")
    .trimEnd()
