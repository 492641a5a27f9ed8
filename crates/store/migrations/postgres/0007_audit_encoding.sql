-- How an entry's hash input is encoded. Entries written before this migration used
-- serde_json's compact output of the entry's fields in declaration order ('compact');
-- new entries use RFC 8785 (JCS), which no serde feature can change ('jcs'). Old entries
-- keep their hashes and are verified the way they were written.
ALTER TABLE audit_log ADD COLUMN encoding TEXT NOT NULL DEFAULT 'compact';
