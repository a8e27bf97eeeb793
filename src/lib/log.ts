/**
 * Structured console logs: one JSON line per significant event, so `wrangler tail`, Workers Logs and Logpush can
 * filter on `level` and `event`. Fields are flat values; never a secret (tokens, bodies, headers).
 */
export type Level = "info" | "warn" | "error"

/** Longest string value kept: a field can come from a payload (an unknown account key), never a whole one. */
const MAX_VALUE = 200

export function logEvent(level: Level, event: string, fields: Record<string, string | number | boolean | null> = {}) {
  const kept: Record<string, string | number | boolean | null> = {}
  for (const [key, value] of Object.entries(fields))
    kept[key] = typeof value === "string" && value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE)}…` : value
  const line = JSON.stringify({ level, event, ...kept })
  if (level === "error") console.error(line)
  else if (level === "warn") console.warn(line)
  else console.log(line)
}
