-- Hourly per-bot message counts, written by each bot's Durable Object (coalesced), read by lists and overviews.
CREATE TABLE bot_rollups (
  bot_id       TEXT NOT NULL,
  business_id  TEXT NOT NULL,
  platform     TEXT NOT NULL,
  hour         INTEGER NOT NULL,  -- unix hour
  inbound      INTEGER NOT NULL DEFAULT 0,
  outbound     INTEGER NOT NULL DEFAULT 0,
  failed       INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (bot_id, hour)
);
CREATE INDEX bot_rollups_by_business ON bot_rollups (business_id, hour);

-- Open messages in the bot's send queue, as of its last rollup.
ALTER TABLE bots ADD COLUMN queue_depth INTEGER NOT NULL DEFAULT 0;
