-- A second organisation a record concerns (an assessment's assessor), so that listing the
-- records of an organisation is a query, not a scan of every record of the kind.
ALTER TABLE records ADD COLUMN party_org_id TEXT REFERENCES organisations(id);
UPDATE records SET party_org_id = (data::jsonb) ->> 'assessor_org_id' WHERE kind = 'assessment';
CREATE INDEX records_kind_party ON records(kind, party_org_id);
