-- Message templates: a business's reusable messages with {{variable}} placeholders, rendered per platform at send
-- time (text, a WhatsApp approved template, Slack blocks). `version` grows with every change of content.
CREATE TABLE templates (
  id           TEXT PRIMARY KEY,             -- time-ordered (tpl_...): pages go by id, newest first
  business_id  TEXT NOT NULL,
  name         TEXT NOT NULL,
  version      INTEGER NOT NULL DEFAULT 1,
  variables    TEXT NOT NULL DEFAULT '[]',   -- JSON array of { name, description?, example? }
  body         TEXT NOT NULL,                -- text with {{variable}} placeholders
  whatsapp     TEXT,                         -- JSON { name, language, body, header?, buttons? } or NULL
  slack        TEXT,                         -- JSON { blocks } or NULL
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX templates_by_business_name ON templates (business_id, name);
CREATE INDEX templates_by_business ON templates (business_id, id DESC);
