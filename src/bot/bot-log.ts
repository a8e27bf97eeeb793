/**
 * The bot's log: every entry goes to its activity log (the API's and dashboard's), and what an operator watches for
 * (warnings, errors, lifecycle steps) also to the console as one JSON line with the bot and business ids. Entries that
 * quote what users wrote (`message.in`) stay in the activity log only.
 */
import { logEvent } from "../lib/log"
import type { BotSnapshot } from "../registry/schemas"
import type { ActivityLog, LogDetail, LogLevel } from "./activity-log"

export type BotLog = (level: LogLevel, event: string, message: string, detail?: LogDetail) => void

/** Info events worth a console line: the bot's lifecycle on the platform. */
const LIFECYCLE_EVENTS = new Set([
  "config.created",
  "bot.started",
  "bot.stopped",
  "webhook.setup",
  "webhook.teardown",
  "webhook.retired",
  "poll.setup",
])

/** Whether an entry is mirrored to the console: warnings, errors and lifecycle steps. */
export const mirrored = (level: LogLevel, event: string): boolean => level !== "info" || LIFECYCLE_EVENTS.has(event)

/** `snapshot` names the bot (null before the first configure); read at each entry, so a deleted bot's last lines too. */
export function botLog(activity: ActivityLog, snapshot: () => BotSnapshot | null): BotLog {
  return (level, event, message, detail) => {
    activity.append(level, event, message, detail)
    if (!mirrored(level, event)) return
    const bot = snapshot()
    logEvent(level, event, { ...detail, message, botId: bot?.id ?? null, businessId: bot?.businessId ?? null })
  }
}
