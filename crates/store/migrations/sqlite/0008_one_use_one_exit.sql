-- An engagement uses one offering and has one exit record: a second written at the same
-- time is a conflict, not a twin. Twins an earlier version let through are kept, renamed
-- `<kind>.superseded` (the oldest stays the engagement's, as the server always read it).
UPDATE records SET kind = kind || '.superseded'
WHERE kind IN ('offering_use', 'exit')
  AND EXISTS (
    SELECT 1 FROM records older
    WHERE older.kind = records.kind
      AND older.engagement_id = records.engagement_id
      AND (older.created_at < records.created_at
           OR (older.created_at = records.created_at AND older.id < records.id))
  );
CREATE UNIQUE INDEX records_one_per_engagement ON records(kind, engagement_id)
WHERE kind IN ('offering_use', 'exit');
