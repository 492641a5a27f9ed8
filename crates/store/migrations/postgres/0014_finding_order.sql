-- The findings list sorts by severity and filters by rule: both become real, indexed
-- columns, written from each finding's document on every write like state and assignee.
-- `severity_rank` is the severity's place from the most severe (0 critical, 1 high,
-- 2 medium, 3 low, 9 anything else).
ALTER TABLE findings ADD COLUMN rule_id TEXT NOT NULL DEFAULT '';
ALTER TABLE findings ADD COLUMN severity_rank BIGINT NOT NULL DEFAULT 9;
UPDATE findings SET
    rule_id = COALESCE(CAST(data AS JSONB) ->> 'rule_id', ''),
    severity_rank = CASE CAST(data AS JSONB) ->> 'severity'
        WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3
        ELSE 9 END;
CREATE INDEX findings_engagement_severity ON findings(engagement_id, severity_rank, created_at, id);
CREATE INDEX findings_engagement_rule ON findings(engagement_id, rule_id, created_at, id);
