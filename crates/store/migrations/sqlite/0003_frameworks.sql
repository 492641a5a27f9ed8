-- Imported frameworks (an OSCAL catalog, or a profile resolved against one), kept as the
-- OSCAL catalog cloudward writes for them. `owner_org_id` NULL: imported by the platform
-- administrator for every organisation; otherwise visible to that organisation only.
CREATE TABLE frameworks (
    id TEXT PRIMARY KEY,
    owner_org_id TEXT REFERENCES organisations(id),
    name TEXT NOT NULL,
    title TEXT NOT NULL,
    version TEXT NOT NULL,
    source_model TEXT NOT NULL,
    group_count BIGINT NOT NULL,
    control_count BIGINT NOT NULL,
    document TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
-- A name once per owner (and once among the platform's).
CREATE UNIQUE INDEX frameworks_owner_name ON frameworks(COALESCE(owner_org_id, ''), name);
