/** The bot Durable Object's SQLite schema, versioned and applied forward once per object. */

const migrations: string[] = [
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE logs (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at INTEGER NOT NULL,
     level TEXT NOT NULL,
     event TEXT NOT NULL,
     message TEXT NOT NULL,
     detail TEXT
   );
   CREATE TABLE counters (
     hour INTEGER PRIMARY KEY,           -- unix hour bucket
     inbound INTEGER NOT NULL DEFAULT 0,
     outbound INTEGER NOT NULL DEFAULT 0,
     failed INTEGER NOT NULL DEFAULT 0,
     latency_ms_sum INTEGER NOT NULL DEFAULT 0,
     latency_count INTEGER NOT NULL DEFAULT 0
   );`,
  `CREATE TABLE inbox (
     event_id TEXT PRIMARY KEY,          -- the platform's id: a redelivery is a no-op
     received_at INTEGER NOT NULL,
     chat_id TEXT NOT NULL,
     event TEXT NOT NULL,                -- JSON InboundMessage; emptied once handled
     state TEXT NOT NULL,                -- pending | done | failed
     attempts INTEGER NOT NULL DEFAULT 0,
     next_at INTEGER NOT NULL,
     error TEXT
   );
   CREATE INDEX inbox_due ON inbox (state, next_at);
   CREATE INDEX inbox_received ON inbox (received_at);
   CREATE TABLE outbox (
     seq INTEGER PRIMARY KEY AUTOINCREMENT, -- arrival order: per-chat FIFO
     id TEXT NOT NULL UNIQUE,
     chat_id TEXT NOT NULL,
     message TEXT NOT NULL,              -- JSON OutboundMessage
     status TEXT NOT NULL,               -- queued | sending | sent | delivered | read | failed
     attempts INTEGER NOT NULL DEFAULT 0,
     rate_limited INTEGER NOT NULL DEFAULT 0,
     next_at INTEGER NOT NULL,
     last_error TEXT,
     idempotency_key TEXT UNIQUE,
     platform_message_id TEXT,
     source TEXT NOT NULL,               -- api | reply | test
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE INDEX outbox_due ON outbox (status, next_at);
   CREATE INDEX outbox_open_by_chat ON outbox (chat_id, seq) WHERE status IN ('queued', 'sending');
   CREATE INDEX outbox_platform_id ON outbox (platform_message_id);
   CREATE TABLE chats (
     chat_id TEXT PRIMARY KEY,
     free_at INTEGER NOT NULL DEFAULT 0,  -- earliest next send to this chat (pacing, 429s)
     is_group INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE history (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     chat_id TEXT NOT NULL,
     role TEXT NOT NULL,
     content TEXT NOT NULL,
     at INTEGER NOT NULL
   );
   CREATE INDEX history_by_chat ON history (chat_id, id);`,
  // Rows arrive in rowid order, so rowid is arrival order: `due` sorts by it and `prune` finds its cutoff with it.
  // One index less to maintain on every webhook.
  `DROP INDEX inbox_received;`,
  // Only sent messages have a platform id (receipts look them up): queued ones stay out of the index.
  `DROP INDEX outbox_platform_id;
   CREATE INDEX outbox_platform_id ON outbox (platform_message_id) WHERE platform_message_id IS NOT NULL;`,
  // The body a send with an idempotency key was first made with: the same key with another body is a conflict.
  `ALTER TABLE outbox ADD COLUMN idempotency_body TEXT;`,
  // Contacts: who wrote from each chat (batched to the registry with the rollups), opt-outs, the service window;
  // messages a contact send owns report their outcome back to it through `notices` (retried until taken).
  `ALTER TABLE chats ADD COLUMN last_inbound_at INTEGER;
   ALTER TABLE chats ADD COLUMN display_name TEXT;
   ALTER TABLE chats ADD COLUMN contact_id TEXT;
   ALTER TABLE chats ADD COLUMN opted_out INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE chats ADD COLUMN dirty INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX chats_dirty ON chats (dirty) WHERE dirty > 0;
   ALTER TABLE outbox ADD COLUMN owner TEXT;
   CREATE TABLE notices (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     owner TEXT NOT NULL,                -- JSON MessageOwner
     outcome TEXT NOT NULL,              -- JSON SendOutcome
     attempts INTEGER NOT NULL DEFAULT 0,
     next_at INTEGER NOT NULL
   );`,
  // The queue's head index (queue-heads.ts): one row per chat whose oldest open message waits, by lane and ready
  // time, so picking the next sends reads an index range instead of a MIN per chat over the whole outbox.
  `ALTER TABLE outbox ADD COLUMN lane INTEGER NOT NULL DEFAULT 1;
   UPDATE outbox SET lane = 0 WHERE source = 'reply';
   CREATE TABLE heads (
     chat_id TEXT PRIMARY KEY,
     seq INTEGER NOT NULL,
     lane INTEGER NOT NULL,              -- 0 reply, 1 send, 2 bulk
     ready_at INTEGER NOT NULL           -- MAX(message next_at, chat free_at)
   );
   CREATE INDEX heads_by_lane ON heads (lane, ready_at, seq);
   CREATE INDEX heads_by_ready ON heads (ready_at, seq);
   INSERT INTO heads (chat_id, seq, lane, ready_at)
     SELECT o.chat_id, o.seq, o.lane, MAX(o.next_at, COALESCE(c.free_at, 0))
     FROM outbox o LEFT JOIN chats c ON c.chat_id = o.chat_id
     WHERE o.status = 'queued'
       AND o.seq = (SELECT MIN(i.seq) FROM outbox i WHERE i.chat_id = o.chat_id AND i.status IN ('queued', 'sending'));`,
  // Broadcasts (broadcasts.ts): recipients in chunks, fed into the queue's bulk lane a window at a time; each
  // recipient's message is an outbox row tagged with its broadcast (held while paused, cancelled if never sent).
  `CREATE TABLE broadcasts (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     status TEXT NOT NULL,               -- draft | scheduled | running | paused | done | cancelled
     content TEXT NOT NULL,              -- JSON BroadcastContent
     total INTEGER NOT NULL DEFAULT 0,
     fed INTEGER NOT NULL DEFAULT 0,     -- recipients handed to the queue so far (the cursor)
     scheduled_at INTEGER,
     started_at INTEGER,
     finished_at INTEGER,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     dirty INTEGER NOT NULL DEFAULT 1    -- changed since the registry last heard
   );
   CREATE TABLE broadcast_chunks (
     broadcast_id TEXT NOT NULL,
     first INTEGER NOT NULL,             -- index of the chunk's first recipient
     recipients TEXT NOT NULL,           -- JSON Recipient[]
     PRIMARY KEY (broadcast_id, first)
   );
   CREATE TABLE broadcast_skips (
     broadcast_id TEXT NOT NULL,
     chat_id TEXT NOT NULL,
     reason TEXT NOT NULL,
     at INTEGER NOT NULL
   );
   CREATE INDEX broadcast_skips_by_id ON broadcast_skips (broadcast_id);
   ALTER TABLE outbox ADD COLUMN broadcast_id TEXT;
   CREATE INDEX outbox_by_broadcast ON outbox (broadcast_id, status) WHERE broadcast_id IS NOT NULL;`,
  // Analytics: 429s and failovers per hour, latency distributions (send: the platform call; reply: an update's
  // arrival to its reply's send) as sketch buckets, and each reply's origin time.
  `ALTER TABLE counters ADD COLUMN rate_limited INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE counters ADD COLUMN failovers INTEGER NOT NULL DEFAULT 0;
   CREATE TABLE latency (
     hour INTEGER NOT NULL,
     metric TEXT NOT NULL,               -- send | reply
     bucket INTEGER NOT NULL,            -- analytics/sketch.ts bucketOf
     n INTEGER NOT NULL,
     PRIMARY KEY (hour, metric, bucket)
   ) WITHOUT ROWID;
   ALTER TABLE outbox ADD COLUMN origin_at INTEGER;`,
  // Retrying a failed message (outbox-history.ts) queues a copy: each row names the other. Failed rows get their own
  // small index, for the API's `status=failed` list (the rest are found walking back from the newest).
  `ALTER TABLE outbox ADD COLUMN retry_of TEXT;
   ALTER TABLE outbox ADD COLUMN retried_as TEXT;
   CREATE INDEX outbox_failed ON outbox (seq) WHERE status = 'failed';`,
  // Ready heads go by rank (queue-heads.ts): their ready time less a second for each message waiting behind them
  // (up to 59), so a chat with a long backlog is not left to drain alone at its per-chat pace after the rest.
  `ALTER TABLE heads ADD COLUMN rank_at INTEGER NOT NULL DEFAULT 0;
   UPDATE heads SET rank_at = ready_at - 1000 * (MIN(60,
     (SELECT COUNT(*) FROM outbox o WHERE o.chat_id = heads.chat_id AND o.status IN ('queued', 'sending'))) - 1);
   DROP INDEX heads_by_lane;
   CREATE INDEX heads_by_rank ON heads (lane, rank_at, seq);`,
]

/** Whether this object's schema was ever created (it is, on the first configure: never for an unknown id). */
export function hasSchema(sql: SqlStorage): boolean {
  return sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_schema'").toArray().length > 0
}

/** Applies pending migrations, creating the schema if there is none. */
export function migrate(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS _schema (version INTEGER NOT NULL)")
  const row = sql.exec<{ version: number }>("SELECT version FROM _schema").toArray()[0]
  let version = row?.version ?? 0
  if (!row) sql.exec("INSERT INTO _schema (version) VALUES (0)")
  for (; version < migrations.length; version++) {
    const step = migrations[version]
    if (step) sql.exec(step)
    sql.exec("UPDATE _schema SET version = ?", version + 1)
  }
}

export const LOG_LIMIT = 1000
/** Handled inbox ids are kept this long to de-duplicate redeliveries (Meta retries for up to 7 days). */
export const INBOX_RETENTION_MS = 8 * 24 * 3600_000
/** Finished outbox rows stay queryable through `GET /messages/:id` this long. */
export const OUTBOX_RETENTION_MS = 7 * 24 * 3600_000
