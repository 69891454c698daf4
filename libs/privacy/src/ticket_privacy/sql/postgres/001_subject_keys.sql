-- Data keys per data subject (crypto-shredding), wrapped by the key-encryption key PERSONAL_DATA_KEY.
-- A destroyed key keeps its row (id, subject, times) without its bytes: what it sealed reads as "[erased]".
CREATE TABLE subject_keys (
    key_id       text        PRIMARY KEY,
    subject      text        NOT NULL,
    wrapped      bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    destroyed_at timestamptz,
    CHECK ((wrapped IS NULL) = (destroyed_at IS NOT NULL))
);

-- At most one active key per subject.
CREATE UNIQUE INDEX subject_keys_active_idx ON subject_keys (subject) WHERE destroyed_at IS NULL;
CREATE INDEX subject_keys_subject_idx ON subject_keys (subject);

-- A person's tickets, for the export and the erasure: their creation events by requester.
CREATE INDEX IF NOT EXISTS events_created_requester_idx ON events ((data ->> 'requester')) WHERE type = 'Created';
