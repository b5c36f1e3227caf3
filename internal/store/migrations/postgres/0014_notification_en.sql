-- The English wording of a notification the platform writes (a
-- self-check notice), shown on English pages; empty for one written in
-- Chinese only.
ALTER TABLE notifications ADD COLUMN message_en TEXT NOT NULL DEFAULT '';
