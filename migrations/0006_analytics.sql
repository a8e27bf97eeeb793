-- Analytics: each hourly rollup also counts 429s and failovers and keeps two latency distributions (sketches:
-- JSON { bucket: count } over log-spaced buckets, see src/analytics/sketch.ts) that merge by adding counts.
ALTER TABLE bot_rollups ADD COLUMN rate_limited INTEGER NOT NULL DEFAULT 0;
ALTER TABLE bot_rollups ADD COLUMN failovers INTEGER NOT NULL DEFAULT 0;
ALTER TABLE bot_rollups ADD COLUMN send_ms TEXT;   -- platform API call per successful send
ALTER TABLE bot_rollups ADD COLUMN reply_ms TEXT;  -- an update's arrival to its reply's send

-- Hourly rows are kept 14 days, then compacted into one row per bot and day (kept 400 days) by the hourly cron.
CREATE TABLE bot_rollups_daily (
  bot_id        TEXT NOT NULL,
  business_id   TEXT NOT NULL,
  platform      TEXT NOT NULL,
  day           INTEGER NOT NULL,  -- unix day (days since the epoch, UTC)
  inbound       INTEGER NOT NULL DEFAULT 0,
  outbound      INTEGER NOT NULL DEFAULT 0,
  failed        INTEGER NOT NULL DEFAULT 0,
  rate_limited  INTEGER NOT NULL DEFAULT 0,
  failovers     INTEGER NOT NULL DEFAULT 0,
  send_ms       TEXT,
  reply_ms      TEXT,
  PRIMARY KEY (bot_id, day)
);
CREATE INDEX bot_rollups_daily_by_business ON bot_rollups_daily (business_id, day);
