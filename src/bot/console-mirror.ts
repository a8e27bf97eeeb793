/**
 * The bot's significant activity, also on the console as structured JSON lines (with its bot and business ids), so
 * `wrangler tail`, Workers Logs and Logpush see a revoked token or a dead letter, not only the bot's own log.
 * Everyday traffic (each message in) stays out, and each event is capped per minute: a flood of refused webhooks
 * becomes a few lines and a count, never a flood of lines.
 */
import { logEvent } from "../lib/log"
import type { LogDetail, LogLevel } from "./activity-log"

/** Lines of one event per window; the rest are counted and reported when the window ends. */
const PER_WINDOW = 20
const WINDOW_MS = 60_000
/** Info events worth a line: the bot's lifecycle and its connection to the platform. */
const LIFECYCLE = /^(bot|config|webhook|poll|gateway)\./

export class ConsoleMirror {
  private readonly windows = new Map<string, { start: number; lines: number; dropped: number }>()

  constructor(private readonly ids: () => { botId: string; businessId: string } | null) {}

  write(level: LogLevel, event: string, message: string, detail: LogDetail = {}, now = Date.now()): void {
    if (level === "info" && !LIFECYCLE.test(event)) return
    const w = this.windows.get(event)
    if (!w || now - w.start >= WINDOW_MS) {
      if (w && w.dropped > 0) logEvent("warn", "log.suppressed", { ...this.who(), of: event, dropped: w.dropped })
      this.windows.set(event, { start: now, lines: 1, dropped: 0 })
    } else if (w.lines >= PER_WINDOW) {
      w.dropped++
      return
    } else w.lines++
    logEvent(level, event, { ...this.who(), message, ...detail })
  }

  private who(): { botId: string | null; businessId: string | null } {
    const ids = this.ids()
    return { botId: ids?.botId ?? null, businessId: ids?.businessId ?? null }
  }
}
