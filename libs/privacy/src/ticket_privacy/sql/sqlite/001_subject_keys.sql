-- The embedded twin of sql/postgres/001: data keys per data subject, wrapped by PERSONAL_DATA_KEY.
CREATE TABLE IF NOT EXISTS subject_keys (
    key_id       TEXT PRIMARY KEY,
    subject      TEXT NOT NULL,
    wrapped      BLOB,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    destroyed_at TEXT,
    CHECK ((wrapped IS NULL) = (destroyed_at IS NOT NULL))
);
CREATE UNIQUE INDEX IF NOT EXISTS subject_keys_active_idx ON subject_keys (subject) WHERE destroyed_at IS NULL;
CREATE INDEX IF NOT EXISTS subject_keys_subject_idx ON subject_keys (subject);
CREATE INDEX IF NOT EXISTS events_created_requester_idx ON events (json_extract(data, '$.requester'))
    WHERE type = 'Created';
