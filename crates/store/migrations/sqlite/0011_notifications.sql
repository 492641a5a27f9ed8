-- Notifications: the outbox and delivery log, one row per message to one channel of an
-- organisation. A row is written in the transaction of the change it tells of (a notice,
-- a scan's findings, a transition …), as a record of kind `notification`; the delivery
-- worker updates it after each attempt. Channels themselves are records of kind
-- `notification_channel` in `records` (an organisation has a handful).
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    -- The organisation the message is for (whose channel it goes to).
    owner_org_id TEXT NOT NULL REFERENCES organisations(id),
    -- The channel (a record of kind `notification_channel`).
    channel_id TEXT NOT NULL,
    -- The engagement it is about, if any; no foreign key, so that the log outlives it.
    engagement_id TEXT,
    -- notice, finding, assessment_expiry, matrix_row, exit_step, transition or test.
    event TEXT NOT NULL,
    -- What the message tells of, so that a periodic sweep does not tell it twice.
    event_key TEXT NOT NULL,
    -- pending, delivered or failed.
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    -- RFC 3339, as every time of the store; the worker takes pending rows due by now.
    next_attempt_at TEXT NOT NULL,
    data TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX notifications_due ON notifications(state, next_attempt_at, id);
CREATE INDEX notifications_org_order ON notifications(owner_org_id, created_at, id);
CREATE INDEX notifications_event_key ON notifications(event_key, channel_id);
