/**
 * Who wrote from each direct chat of this bot: the contact the registry knows them by, when they last wrote, and
 * whether they opted out. Kept in the object's `chats` rows and flushed to D1 in batches with the rollups, so a
 * webhook never writes D1 and a send can check opt-out and the service window without it.
 */
import { z } from "zod"
import { newId } from "../lib/ids"
import type { InboundMessage } from "../providers/types"

/** When the person wrote (the platform's time, unless it is in the future or nonsense): starts service windows. */
export function wroteAt(event: InboundMessage, now: number): number {
  return Number.isFinite(event.timestamp) && event.timestamp > 0 ? Math.min(event.timestamp, now) : now
}

export interface PersonRow {
  chatId: string
  contactId: string
  displayName: string | null
  lastInboundAt: number | null
  optedOut: boolean
  /** Change counter at read time: the flush clears it only when nothing changed meanwhile. */
  dirty: number
}

const personRow = z.object({
  chat_id: z.string(),
  contact_id: z.string().nullable(),
  display_name: z.string().nullable(),
  last_inbound_at: z.number().nullable(),
  opted_out: z.number(),
  dirty: z.number(),
})

const stateRow = personRow.pick({ chat_id: true, last_inbound_at: true, opted_out: true })

export class People {
  constructor(private readonly sql: SqlStorage) {}

  /**
   * The person in `chatId` wrote at `at`. The first time, they get a contact id (time-ordered, made here once, so a
   * flush repeated after an eviction names the same contact).
   */
  noteInbound(chatId: string, at: number, displayName: string | undefined): void {
    this.sql.exec(
      `INSERT INTO chats (chat_id, last_inbound_at, display_name, contact_id, dirty) VALUES (?, ?, ?, ?, 1)
       ON CONFLICT (chat_id) DO UPDATE SET last_inbound_at = MAX(COALESCE(last_inbound_at, 0), excluded.last_inbound_at),
         display_name = COALESCE(excluded.display_name, display_name),
         contact_id = COALESCE(contact_id, excluded.contact_id), dirty = dirty + 1`,
      chatId,
      at,
      displayName ?? null,
      newId("ct", at),
    )
  }

  /** Sets the opt-out flag; returns whether it changed (so the acknowledgement is sent once). */
  setOptedOut(chatId: string, optedOut: boolean, now: number): boolean {
    const before = this.optedOut(chatId)
    if (before === optedOut) return false
    this.sql.exec(
      `INSERT INTO chats (chat_id, opted_out, contact_id, dirty) VALUES (?, ?, ?, 1)
       ON CONFLICT (chat_id) DO UPDATE SET opted_out = excluded.opted_out,
         contact_id = COALESCE(contact_id, excluded.contact_id), dirty = dirty + 1`,
      chatId,
      optedOut ? 1 : 0,
      newId("ct", now),
    )
    return true
  }

  optedOut(chatId: string): boolean {
    const row = this.sql.exec<{ o: number }>("SELECT opted_out AS o FROM chats WHERE chat_id = ?", chatId).toArray()[0]
    return row?.o === 1
  }

  lastInboundAt(chatId: string): number | null {
    const row = this.sql
      .exec<{ at: number | null }>("SELECT last_inbound_at AS at FROM chats WHERE chat_id = ?", chatId)
      .toArray()[0]
    return row?.at ?? null
  }

  /** Opt-out and last message time of some chats, as this object knows them now (fresher than the registry). */
  states(chatIds: string[]): Record<string, { lastInboundAt: number | null; optedOut: boolean }> {
    const out: Record<string, { lastInboundAt: number | null; optedOut: boolean }> = {}
    for (const raw of this.sql
      .exec(
        "SELECT chat_id, last_inbound_at, opted_out FROM chats WHERE chat_id IN (SELECT value FROM json_each(?))",
        JSON.stringify(chatIds),
      )
      .toArray()) {
      const r = stateRow.parse(raw)
      out[r.chat_id] = { lastInboundAt: r.last_inbound_at, optedOut: r.opted_out === 1 }
    }
    return out
  }

  /** Chats whose person changed since the last flush. */
  changed(limit: number): PersonRow[] {
    return this.sql
      .exec(
        `SELECT chat_id, contact_id, display_name, last_inbound_at, opted_out, dirty FROM chats
         WHERE dirty > 0 AND contact_id IS NOT NULL LIMIT ?`,
        limit,
      )
      .toArray()
      .map((raw) => {
        const r = personRow.parse(raw)
        return {
          chatId: r.chat_id,
          contactId: r.contact_id ?? "",
          displayName: r.display_name,
          lastInboundAt: r.last_inbound_at,
          optedOut: r.opted_out === 1,
          dirty: r.dirty,
        }
      })
  }

  hasChanges(): boolean {
    return this.sql.exec("SELECT 1 FROM chats WHERE dirty > 0 LIMIT 1").toArray().length > 0
  }

  /** The registry has these rows: clear their flag unless they changed again while the flush was in flight. */
  flushed(rows: PersonRow[]): void {
    for (const r of rows) this.sql.exec("UPDATE chats SET dirty = 0 WHERE chat_id = ? AND dirty = ?", r.chatId, r.dirty)
  }
}
