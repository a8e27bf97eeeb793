/**
 * D1 SQL for what bots learn about people: each chat a person wrote from becomes an identity of a contact (created
 * for it the first time), with the last time they wrote and their opt-out. Written by bots' objects in batches with
 * their rollups, never per webhook.
 */
export interface LearnedIdentity {
  chatId: string
  /** The contact to create when the registry has no identity for this chat yet (made once by the bot's object). */
  contactId: string
  displayName: string | null
  lastInboundAt: number | null
  optedOut: boolean
}

/** Statements for one batch; repeating them (a flush retried after an eviction) writes the same rows. */
export function identityStatements(
  db: D1Database,
  bot: { id: string; businessId: string; platform: string },
  people: LearnedIdentity[],
  now: number,
): D1PreparedStatement[] {
  if (people.length === 0) return []
  const contact = db.prepare(
    `INSERT INTO contacts (id, business_id, name, created_at, updated_at)
     SELECT ?1, ?2, ?3, ?4, ?4 WHERE NOT EXISTS (SELECT 1 FROM contact_identities WHERE bot_id = ?5 AND chat_id = ?6)
     ON CONFLICT (id) DO NOTHING`,
  )
  const identity = db.prepare(
    `INSERT INTO contact_identities (bot_id, chat_id, business_id, contact_id, platform, display_name, opted_out,
       last_inbound_at, created_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
     ON CONFLICT (bot_id, chat_id) DO UPDATE SET display_name = COALESCE(excluded.display_name, display_name),
       opted_out = excluded.opted_out,
       last_inbound_at = COALESCE(MAX(last_inbound_at, excluded.last_inbound_at), last_inbound_at, excluded.last_inbound_at)`,
  )
  return people.flatMap((p) => [
    contact.bind(p.contactId, bot.businessId, p.displayName ?? "", now, bot.id, p.chatId),
    identity.bind(
      bot.id,
      p.chatId,
      bot.businessId,
      p.contactId,
      bot.platform,
      p.displayName,
      p.optedOut ? 1 : 0,
      p.lastInboundAt,
      now,
    ),
  ])
}
