/**
 * Structured console logs: one JSON line per significant event, so `wrangler tail`, Workers Logs and Logpush can
 * filter on `level` and `event`. Fields are flat values; never a secret (tokens, bodies, headers).
 */
export type Level = "info" | "warn" | "error"

export function logEvent(level: Level, event: string, fields: Record<string, string | number | boolean | null> = {}) {
  const line = JSON.stringify({ level, event, ...fields })
  if (level === "error") console.error(line)
  else if (level === "warn") console.warn(line)
  else console.log(line)
}
