-- Issue 14: API tokens can be revoked (by hand, or when their user's
-- password changes or the user is disabled) and record their last use.
-- Sessions and tokens are looked up by user to end them.
ALTER TABLE api_tokens ADD COLUMN revoked_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE api_tokens ADD COLUMN revoked_why TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN last_used_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE api_tokens ADD COLUMN last_used_from TEXT NOT NULL DEFAULT '';
CREATE INDEX api_tokens_user ON api_tokens (user_id);
CREATE INDEX sessions_user ON sessions (user_id);
