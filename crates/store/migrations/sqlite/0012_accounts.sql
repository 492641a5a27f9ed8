-- Accounts: an organisation administrator disables and re-enables users and resets their
-- passwords (the user then changes it at the next login); API tokens may expire and may
-- be limited to one engagement.
-- A disabled user cannot log in and has no sessions (they are deleted when it is disabled).
ALTER TABLE users ADD COLUMN disabled_at TEXT;
-- Set by an administrator's reset: until the user changes it, a session may only change
-- the password (and log out).
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
-- After this moment the token is refused (401 token_expired), like a revoked one.
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
-- The one engagement the token may act on; NULL: the organisation's. No foreign key: a
-- token whose engagement is deleted stays limited to it (and so reaches nothing).
ALTER TABLE api_tokens ADD COLUMN engagement_id TEXT;
