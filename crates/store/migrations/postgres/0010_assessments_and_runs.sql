-- Assessments and scan runs get their own tables, like findings in 0009: what queries
-- ask of them (an offering's published assessment, an organisation's assessments, the
-- controls not satisfied, the engagements granted the details, an engagement's latest
-- run and its counts) are real, indexed columns. Each row keeps its whole document in
-- `data` (what the audit log hashed); the columns and the two child tables are written
-- from it in the same transaction, on every write. The rows move from `records` with
-- their ids, versions and times, so the audit entries that name them still do.
CREATE TABLE assessments (
    id TEXT PRIMARY KEY,
    -- The offering assessed (a record of kind `offering`).
    offering_id TEXT NOT NULL,
    provider_org_id TEXT NOT NULL REFERENCES organisations(id),
    assessor_org_id TEXT NOT NULL REFERENCES organisations(id),
    -- general, enhanced or advanced: the level the assessor was invited to assess.
    level TEXT NOT NULL,
    -- pass or fail, once concluded; its date and validity (YYYY-MM-DD).
    outcome TEXT,
    concluded_on TEXT,
    valid_until TEXT,
    published BOOLEAN NOT NULL,
    data TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX assessments_offering ON assessments(offering_id, published, created_at, id);
CREATE INDEX assessments_provider ON assessments(provider_org_id, created_at, id);
CREATE INDEX assessments_assessor ON assessments(assessor_org_id, created_at, id);

-- The assessor's result per control.
CREATE TABLE assessment_results (
    assessment_id TEXT NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
    control_id TEXT NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (assessment_id, control_id)
);
CREATE INDEX assessment_results_result ON assessment_results(assessment_id, result);

-- The engagements whose customers the provider let read an assessment's details.
CREATE TABLE assessment_grants (
    assessment_id TEXT NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
    engagement_id TEXT NOT NULL,
    PRIMARY KEY (assessment_id, engagement_id)
);
CREATE INDEX assessment_grants_engagement ON assessment_grants(engagement_id);

CREATE TABLE scan_runs (
    id TEXT PRIMARY KEY,
    engagement_id TEXT NOT NULL REFERENCES engagements(id) ON DELETE CASCADE,
    owner_org_id TEXT NOT NULL REFERENCES organisations(id),
    -- upload or server
    source TEXT NOT NULL,
    failed BIGINT NOT NULL,
    passed BIGINT NOT NULL,
    unknown BIGINT NOT NULL,
    resources BIGINT NOT NULL,
    data TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX scan_runs_engagement_order ON scan_runs(engagement_id, created_at, id);

INSERT INTO assessments (id, offering_id, provider_org_id, assessor_org_id, level, outcome, concluded_on, valid_until, published, data, version, created_by, created_at, updated_at)
SELECT r.id, (CAST(r.data AS JSONB) ->> 'offering_id'), r.owner_org_id, (CAST(r.data AS JSONB) ->> 'assessor_org_id'),
       (CAST(r.data AS JSONB) ->> 'level'), (CAST(r.data AS JSONB) -> 'conclusion' ->> 'outcome'),
       (CAST(r.data AS JSONB) -> 'conclusion' ->> 'date'), (CAST(r.data AS JSONB) -> 'conclusion' ->> 'valid_until'),
       COALESCE(CAST(CAST(r.data AS JSONB) ->> 'published' AS BOOLEAN), FALSE), r.data, r.version, r.created_by, r.created_at, r.updated_at
FROM records r
WHERE r.kind = 'assessment';
INSERT INTO assessment_results (assessment_id, control_id, result)
SELECT a.id, j.key, j.value ->> 'result'
FROM assessments a, jsonb_each(COALESCE(CAST(a.data AS JSONB) -> 'results', '{}'::jsonb)) j;
INSERT INTO assessment_grants (assessment_id, engagement_id)
SELECT DISTINCT a.id, j.value
FROM assessments a, jsonb_array_elements_text(COALESCE(CAST(a.data AS JSONB) -> 'grants', '[]'::jsonb)) j;
DELETE FROM records WHERE kind = 'assessment';

INSERT INTO scan_runs (id, engagement_id, owner_org_id, source, failed, passed, unknown, resources, data, version, created_by, created_at, updated_at)
SELECT r.id, r.engagement_id, r.owner_org_id, COALESCE((CAST(r.data AS JSONB) ->> 'source'), 'upload'),
       COALESCE(CAST(CAST(r.data AS JSONB) ->> 'failed' AS BIGINT), 0), COALESCE(CAST(CAST(r.data AS JSONB) ->> 'passed' AS BIGINT), 0),
       COALESCE(CAST(CAST(r.data AS JSONB) ->> 'unknown' AS BIGINT), 0), COALESCE(CAST(CAST(r.data AS JSONB) ->> 'resources' AS BIGINT), 0),
       r.data, r.version, r.created_by, r.created_at, r.updated_at
FROM records r
WHERE r.kind = 'scan_run' AND r.engagement_id IS NOT NULL;
DELETE FROM records WHERE kind = 'scan_run' AND engagement_id IS NOT NULL;
