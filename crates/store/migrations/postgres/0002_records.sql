-- Engagement workflow data (offerings, assessments, evidence, scans, findings, notices,
-- exit) as typed JSON documents with the columns access control and listing need. The
-- server owns the shapes (serde types); the store owns versions and the audit.
CREATE TABLE records (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    owner_org_id TEXT NOT NULL REFERENCES organisations(id),
    engagement_id TEXT REFERENCES engagements(id) ON DELETE CASCADE,
    parent_id TEXT,
    data TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX records_kind_owner ON records(kind, owner_org_id);
CREATE INDEX records_kind_engagement ON records(kind, engagement_id);
CREATE INDEX records_kind_parent ON records(kind, parent_id);

-- Evidence files by content (SHA-256). `content` is NULL when the file is kept on disk in
-- the data directory.
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    media_type TEXT NOT NULL,
    content BYTEA,
    created_at TEXT NOT NULL
);
