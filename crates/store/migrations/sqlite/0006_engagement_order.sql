-- An organisation's engagements in the order lists show them, so that a page is read
-- from the index rather than sorted out of every engagement.
CREATE INDEX engagements_customer_created ON engagements(customer_org_id, created_at, id);
