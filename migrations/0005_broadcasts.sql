-- Broadcasts: one row per campaign, its summary only. Recipients and each one's outcome live in the bot's Durable
-- Object; the object writes this row with its rollups (at most every 15 s while the broadcast changes).
CREATE TABLE broadcasts (
  id            TEXT PRIMARY KEY,          -- time-ordered: ORDER BY id is creation order
  business_id   TEXT NOT NULL,
  bot_id        TEXT NOT NULL,
  name          TEXT NOT NULL,
  status        TEXT NOT NULL,             -- draft | scheduled | running | paused | done | cancelled
  total         INTEGER NOT NULL DEFAULT 0,
  counts        TEXT NOT NULL DEFAULT '{}', -- JSON: queued, sent, delivered, read, failed, skipped, cancelled
  scheduled_at  INTEGER,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
CREATE INDEX broadcasts_by_bot ON broadcasts (business_id, bot_id, id DESC);
