-- The bot registry: businesses and their bots. Secrets are AES-GCM sealed by the worker before they get here.
CREATE TABLE businesses (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);

CREATE TABLE bots (
  id                  TEXT PRIMARY KEY,            -- time-ordered: ORDER BY id is creation order
  business_id         TEXT NOT NULL REFERENCES businesses(id),
  platform            TEXT NOT NULL,
  name                TEXT NOT NULL,
  status              TEXT NOT NULL CHECK (status IN ('active', 'stopped', 'error')),
  status_reason       TEXT,
  created_at          INTEGER NOT NULL,            -- unix ms
  updated_at          INTEGER NOT NULL,
  last_active         INTEGER,
  config              TEXT NOT NULL DEFAULT '{}',  -- JSON: handler choice and non-secret settings
  credentials_enc     TEXT NOT NULL,               -- sealed JSON of platform credentials + handler secrets
  credentials_public  TEXT NOT NULL DEFAULT '{}',  -- JSON of the non-secret credential fields (phoneNumberId)
  webhook_secret_enc  TEXT NOT NULL,               -- sealed per-bot webhook secret (Telegram secret_token)
  routing_key         TEXT                         -- e.g. WhatsApp phone_number_id (one bot per number)
);

-- Cursor pagination walks these indexes newest first for every list filter.
CREATE INDEX bots_by_business ON bots (business_id, id DESC);
CREATE INDEX bots_by_business_platform ON bots (business_id, platform, id DESC);
CREATE INDEX bots_by_business_status ON bots (business_id, status, id DESC);
CREATE UNIQUE INDEX bots_by_routing_key ON bots (platform, routing_key) WHERE routing_key IS NOT NULL;
