/**
 * The registry's writes from bots' objects, gathered by the registry hubs (analytics/registry-hub.ts): facts of a
 * few kinds, each kind written for any number of bots by ONE statement that reads a JSON array (`json_each`), so a
 * hub's flush is one D1 batch of a handful of statements however many bots it speaks for.
 *
 * Every fact is absolute (the hour's counts, the chat's last message time), so writing one twice writes the same row.
 * Facts of a bot deleted meanwhile are dropped (`EXISTS bots`): a late flush never brings a deleted bot's rows back.
 */
import type { Sketch } from "../analytics/sketch"

/** One hour of a bot's numbers as the registry stores them. */
export interface RollupBucket {
  hour: number
  inbound: number
  outbound: number
  failed: number
  rateLimited: number
  failovers: number
  /** Platform API call duration per successful send. */
  sendMs: Sketch
  /** An update's arrival to its reply's successful send. */
  replyMs: Sketch
}

export interface RollupFact extends RollupBucket {
  kind: "rollup"
  botId: string
  businessId: string
  platform: string
}

export interface BotFact {
  kind: "bot"
  botId: string
  queueDepth: number
  lastActive: number | null
}

/** A person who wrote to a bot: their chat becomes an identity of a contact (created the first time). */
export interface PersonFact {
  kind: "person"
  botId: string
  businessId: string
  platform: string
  chatId: string
  /** The contact to create when the registry has no identity for this chat yet. */
  contactId: string
  displayName: string | null
  lastInboundAt: number | null
  optedOut: boolean
  at: number
}

export interface BroadcastFact {
  kind: "broadcast"
  botId: string
  businessId: string
  id: string
  name: string
  status: string
  total: number
  counts: Record<string, number>
  scheduledAt: number | null
  createdAt: number
  at: number
}

export type RegistryFact = RollupFact | BotFact | PersonFact | BroadcastFact
export type FactKind = RegistryFact["kind"]

/** The key a fact replaces its predecessor under (a later report of the same hour, chat or campaign wins). */
export function factKey(fact: RegistryFact): string {
  switch (fact.kind) {
    case "rollup":
      return `r:${fact.botId}:${fact.hour}`
    case "bot":
      return `b:${fact.botId}`
    case "person":
      return `p:${fact.botId}:${fact.chatId}`
    case "broadcast":
      return `c:${fact.id}`
  }
}

const field = (name: string) => `json_extract(value, '$.${name}')`
const rows = (names: Record<string, string>) =>
  `SELECT ${Object.entries(names)
    .map(([column, name]) => `${field(name)} AS ${column}`)
    .join(", ")} FROM json_each(?1)`

const SQL: Record<FactKind, string[]> = {
  rollup: [
    `INSERT INTO bot_rollups (bot_id, business_id, platform, hour, inbound, outbound, failed, rate_limited, failovers,
       send_ms, reply_ms)
     SELECT f.* FROM (${rows({
       bot_id: "botId",
       business_id: "businessId",
       platform: "platform",
       hour: "hour",
       inbound: "inbound",
       outbound: "outbound",
       failed: "failed",
       rate_limited: "rateLimited",
       failovers: "failovers",
       send_ms: "sendMs",
       reply_ms: "replyMs",
     })}) f
     WHERE EXISTS (SELECT 1 FROM bots b WHERE b.id = f.bot_id)
     ON CONFLICT (bot_id, hour) DO UPDATE SET inbound = excluded.inbound, outbound = excluded.outbound,
       failed = excluded.failed, rate_limited = excluded.rate_limited, failovers = excluded.failovers,
       send_ms = excluded.send_ms, reply_ms = excluded.reply_ms`,
  ],
  bot: [
    `UPDATE bots SET queue_depth = f.queue_depth, last_active = COALESCE(f.last_active, bots.last_active)
     FROM (${rows({ id: "botId", queue_depth: "queueDepth", last_active: "lastActive" })}) f
     WHERE bots.id = f.id`,
  ],
  person: [
    `INSERT INTO contacts (id, business_id, name, created_at, updated_at)
     SELECT f.contact_id, f.business_id, COALESCE(f.display_name, ''), f.at, f.at
     FROM (${rows({
       contact_id: "contactId",
       business_id: "businessId",
       display_name: "displayName",
       at: "at",
       bot_id: "botId",
       chat_id: "chatId",
     })}) f
     WHERE EXISTS (SELECT 1 FROM bots b WHERE b.id = f.bot_id)
       AND NOT EXISTS (SELECT 1 FROM contact_identities i WHERE i.bot_id = f.bot_id AND i.chat_id = f.chat_id)
     ON CONFLICT (id) DO NOTHING`,
    `INSERT INTO contact_identities (bot_id, chat_id, business_id, contact_id, platform, display_name, opted_out,
       last_inbound_at, created_at)
     SELECT f.bot_id, f.chat_id, f.business_id, f.contact_id, f.platform, f.display_name, f.opted_out,
       f.last_inbound_at, f.at
     FROM (${rows({
       bot_id: "botId",
       chat_id: "chatId",
       business_id: "businessId",
       contact_id: "contactId",
       platform: "platform",
       display_name: "displayName",
       opted_out: "optedOut",
       last_inbound_at: "lastInboundAt",
       at: "at",
     })}) f
     WHERE EXISTS (SELECT 1 FROM bots b WHERE b.id = f.bot_id)
     ON CONFLICT (bot_id, chat_id) DO UPDATE SET display_name = COALESCE(excluded.display_name, display_name),
       opted_out = excluded.opted_out,
       last_inbound_at = COALESCE(MAX(last_inbound_at, excluded.last_inbound_at), last_inbound_at, excluded.last_inbound_at)`,
  ],
  broadcast: [
    `INSERT INTO broadcasts (id, business_id, bot_id, name, status, total, counts, scheduled_at, created_at, updated_at)
     SELECT f.* FROM (${rows({
       id: "id",
       business_id: "businessId",
       bot_id: "botId",
       name: "name",
       status: "status",
       total: "total",
       counts: "counts",
       scheduled_at: "scheduledAt",
       created_at: "createdAt",
       updated_at: "at",
     })}) f
     WHERE EXISTS (SELECT 1 FROM bots b WHERE b.id = f.bot_id)
     ON CONFLICT (id) DO UPDATE SET status = excluded.status, total = excluded.total, counts = excluded.counts,
       scheduled_at = excluded.scheduled_at, updated_at = excluded.updated_at`,
  ],
}

/** Kinds in the order they are written: a person's contact before its identity, a bot's rows before its summary. */
const ORDER: FactKind[] = ["rollup", "bot", "person", "broadcast"]

/**
 * The statements for facts grouped by kind, each group given as the JSON array text of its facts (the hub keeps
 * them as JSON and never parses them back). `optedOut` is written as JSON true/false, which SQLite reads as 1/0.
 */
export function hubStatements(db: D1Database, groups: Map<FactKind, string[]>): D1PreparedStatement[] {
  return ORDER.flatMap((kind) => {
    const chunks = groups.get(kind) ?? []
    return chunks.flatMap((json) => (SQL[kind] ?? []).map((sql) => db.prepare(sql).bind(json)))
  })
}
