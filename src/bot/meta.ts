/**
 * The bot's small durable state in its `meta` table: the registry snapshot the API pushed (cached in memory) and
 * the bot-wide send pause a 429 set, which must survive an eviction.
 */
import { type BotSnapshot, type BotStatus, botSnapshotSchema } from "../registry/schemas"

const SNAPSHOT_KEY = "snapshot"
const PAUSED_UNTIL_KEY = "paused_until"
const POLL_CURSOR_KEY = "poll_cursor"
const POLL_LAST_KEY = "poll_last"
const SETUP_KEY = "setup_key"
const ROLLUP_PENDING_KEY = "rollup_pending"
const REGISTRY_WRITES_KEY = "registry_writes"

export class BotMeta {
  private cached: BotSnapshot | null | undefined
  private pausedUntilAt = 0

  constructor(private readonly sql: SqlStorage) {}

  /** Reads what must be in memory before anything runs (call once the schema exists). */
  restore(): void {
    const paused = this.read(PAUSED_UNTIL_KEY)
    this.pausedUntilAt = paused === null ? 0 : Number(paused)
  }

  snapshot(): BotSnapshot | null {
    if (this.cached === undefined) {
      const raw = this.read(SNAPSHOT_KEY)
      this.cached = raw === null ? null : botSnapshotSchema.parse(JSON.parse(raw))
    }
    return this.cached
  }

  writeSnapshot(snapshot: BotSnapshot): void {
    this.write(SNAPSHOT_KEY, JSON.stringify(snapshot))
    this.cached = snapshot
  }

  /** Returns whether the status changed. */
  setStatus(status: BotStatus): boolean {
    const snapshot = this.snapshot()
    if (!snapshot || snapshot.status === status) return false
    this.writeSnapshot({ ...snapshot, status })
    return true
  }

  /** Bot-wide send pause (a 429's retry_after). */
  pausedUntil(): number {
    return this.pausedUntilAt
  }

  pauseUntil(at: number): void {
    if (at <= this.pausedUntilAt) return
    this.pausedUntilAt = at
    this.write(PAUSED_UNTIL_KEY, String(at))
  }

  /**
   * Where the bot is in its platform's event stream, confirming every event stored so far (null: start from what the
   * platform has): long polling's offset, or a gateway's session and last sequence number (src/bot/gateway.ts).
   */
  pollCursor(): string | null {
    return this.read(POLL_CURSOR_KEY)
  }

  setPollCursor(cursor: string | null): void {
    if (cursor !== null) this.write(POLL_CURSOR_KEY, cursor)
  }

  /** When the platform last answered a poll (shown on the bot's page). */
  lastPollAt(): number | null {
    const at = this.read(POLL_LAST_KEY)
    return at === null ? null : Number(at)
  }

  notePoll(at: number): void {
    this.write(POLL_LAST_KEY, String(at))
  }

  /** What the last successful setup was for (the single-bot mode sets up once per setting, not per isolate). */
  setupKey(): string | null {
    return this.read(SETUP_KEY)
  }

  setSetupKey(key: string): void {
    this.write(SETUP_KEY, key)
  }

  /** Something was counted or learned that the registry has not heard yet (survives an eviction). */
  rollupPending(): boolean {
    return this.read(ROLLUP_PENDING_KEY) === "1"
  }

  setRollupPending(pending: boolean): void {
    this.write(ROLLUP_PENDING_KEY, pending ? "1" : "0")
  }

  /** D1 batches this bot's object has written, ever (what tests and the bench count: never one per webhook). */
  registryWrites(): number {
    return Number(this.read(REGISTRY_WRITES_KEY) ?? "0")
  }

  noteRegistryWrite(): void {
    this.write(REGISTRY_WRITES_KEY, String(this.registryWrites() + 1))
  }

  /** The object's storage was deleted: forget the cached copies too. */
  forget(): void {
    this.cached = null
    this.pausedUntilAt = 0
  }

  private read(key: string): string | null {
    return this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value ?? null
  }

  private write(key: string, value: string): void {
    this.sql.exec(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      key,
      value,
    )
  }
}
