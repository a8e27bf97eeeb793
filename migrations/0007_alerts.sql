-- Alerts: where a business is told about its bots' trouble (a bot in error, a deep queue, a high failure rate).
-- Its own table, not columns of business_settings: its writes never race the routing and opt-out documents.
CREATE TABLE alert_settings (
  business_id   TEXT PRIMARY KEY,
  url           TEXT,                               -- null: alerts off
  queue_depth   INTEGER NOT NULL DEFAULT 1000,      -- fires when more than this many messages are queued
  failure_rate  REAL NOT NULL DEFAULT 0.2,          -- failed / attempted sends over 15 minutes, at least this
  min_attempts  INTEGER NOT NULL DEFAULT 20,        -- ... with at least this many attempts in those 15 minutes
  secret_enc    TEXT,                               -- the signing secret, sealed (AES-GCM, aad "alerts:<business>")
  updated_at    INTEGER NOT NULL
);
