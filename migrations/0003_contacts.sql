-- Contacts: one person, reachable through several bots (identities). Business-scoped like bots.
CREATE TABLE contacts (
  id                   TEXT PRIMARY KEY,             -- time-ordered for created ones; derived for auto-created ones
  business_id          TEXT NOT NULL,
  name                 TEXT NOT NULL DEFAULT '',
  attributes           TEXT NOT NULL DEFAULT '{}',   -- JSON object of bounded string key/values
  tags                 TEXT NOT NULL DEFAULT '[]',   -- JSON array of strings
  preferred_platforms  TEXT NOT NULL DEFAULT '[]',   -- JSON array of platform names, most preferred first
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL
);
CREATE INDEX contacts_by_business ON contacts (business_id, id DESC);

-- Where a contact can be reached: a chat of one of the business's bots (the platform is the bot's).
-- Written by the API (explicit identities) and by the bots' objects (people who wrote, batched with their rollups).
CREATE TABLE contact_identities (
  bot_id           TEXT NOT NULL,
  chat_id          TEXT NOT NULL,
  business_id      TEXT NOT NULL,
  contact_id       TEXT NOT NULL,
  platform         TEXT NOT NULL,
  display_name     TEXT,
  opted_out        INTEGER NOT NULL DEFAULT 0,
  last_inbound_at  INTEGER,                          -- unix ms of the last message the person sent here
  created_at       INTEGER NOT NULL,
  PRIMARY KEY (bot_id, chat_id)
);
CREATE INDEX contact_identities_by_contact ON contact_identities (contact_id);
CREATE INDEX contact_identities_by_business_chat ON contact_identities (business_id, chat_id);

-- Per-business settings: smart-routing rules and opt-out keywords (JSON documents, validated by the worker).
CREATE TABLE business_settings (
  business_id  TEXT PRIMARY KEY,
  routing      TEXT NOT NULL DEFAULT '{"rules":[]}',
  opt_out      TEXT NOT NULL DEFAULT '{}',
  updated_at   INTEGER NOT NULL
);
