-- cloudward schema, SQLite dialect. Times are RFC 3339 UTC strings with milliseconds, so
-- they sort as text. Ids are UUIDs as text.
CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    org_id TEXT REFERENCES organisations(id),
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    platform_admin BOOLEAN NOT NULL,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until TEXT,
    lang TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE engagements (
    id TEXT PRIMARY KEY,
    customer_org_id TEXT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    phase TEXT NOT NULL,
    level TEXT,
    document TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX engagements_customer ON engagements(customer_org_id);

CREATE TABLE engagement_parties (
    engagement_id TEXT NOT NULL REFERENCES engagements(id) ON DELETE CASCADE,
    party TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    PRIMARY KEY (engagement_id, party)
);
CREATE INDEX engagement_parties_org ON engagement_parties(org_id);

CREATE TABLE matrix_confirmations (
    engagement_id TEXT NOT NULL REFERENCES engagements(id) ON DELETE CASCADE,
    element TEXT NOT NULL,
    party TEXT NOT NULL,
    org_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    confirmed_at TEXT NOT NULL,
    PRIMARY KEY (engagement_id, element, party)
);

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    org_id TEXT,
    engagement_id TEXT,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    before_digest TEXT,
    after_digest TEXT,
    alg TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_org ON audit_log(org_id);
CREATE INDEX audit_log_engagement ON audit_log(engagement_id);

-- The product never changes or deletes an audit entry; the database refuses it too.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TABLE audit_checkpoints (
    seq BIGINT PRIMARY KEY,
    hash TEXT NOT NULL,
    at TEXT NOT NULL,
    public_key TEXT NOT NULL,
    signature TEXT NOT NULL
);
