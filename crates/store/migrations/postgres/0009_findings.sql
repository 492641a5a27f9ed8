-- Tracked findings get their own table: the list filters (state, assignee) and its pages
-- run in SQL on real, indexed columns instead of in memory over every finding's JSON.
-- The rows move from `records` with their ids, versions and times, so the audit entries
-- that name them still do.
CREATE TABLE findings (
    id TEXT PRIMARY KEY,
    engagement_id TEXT NOT NULL REFERENCES engagements(id) ON DELETE CASCADE,
    owner_org_id TEXT NOT NULL REFERENCES organisations(id),
    -- `rule_id|address`: the identity of a finding across scans.
    key TEXT NOT NULL,
    state TEXT NOT NULL,
    assignee TEXT,
    data TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (engagement_id, key)
);
CREATE INDEX findings_engagement_order ON findings(engagement_id, created_at, id);
CREATE INDEX findings_engagement_state ON findings(engagement_id, state, created_at, id);
CREATE INDEX findings_engagement_assignee ON findings(engagement_id, assignee, created_at, id);
-- A key seen twice (two scans that raced, before the key was unique) keeps the oldest as
-- it is; the others are kept under a key of their own.
INSERT INTO findings (id, engagement_id, owner_org_id, key, state, assignee, data, version, created_by, created_at, updated_at)
SELECT r.id, r.engagement_id, r.owner_org_id,
       CASE WHEN EXISTS (
           SELECT 1 FROM records o
           WHERE o.kind = 'finding' AND o.engagement_id = r.engagement_id
             AND (CAST(o.data AS JSONB) ->> 'key') = (CAST(r.data AS JSONB) ->> 'key')
             AND (o.created_at < r.created_at OR (o.created_at = r.created_at AND o.id < r.id))
       ) THEN (CAST(r.data AS JSONB) ->> 'key') || '|duplicate:' || r.id
       ELSE (CAST(r.data AS JSONB) ->> 'key') END,
       (CAST(r.data AS JSONB) ->> 'state'), (CAST(r.data AS JSONB) ->> 'assignee'), r.data, r.version, r.created_by, r.created_at, r.updated_at
FROM records r
WHERE r.kind = 'finding' AND r.engagement_id IS NOT NULL;
DELETE FROM records WHERE kind = 'finding' AND engagement_id IS NOT NULL;
