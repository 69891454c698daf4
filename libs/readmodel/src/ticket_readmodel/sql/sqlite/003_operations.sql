-- What operators did to the projection (as sql/postgres/005): events they skipped, never applied by the
-- projection or a rebuild, and the latest rebuild with its progress. A rebuild keeps both tables.
CREATE TABLE rm_skipped (
    projection TEXT NOT NULL, position INTEGER NOT NULL, event_id TEXT NOT NULL, event_type TEXT NOT NULL,
    ticket_id TEXT NOT NULL, actor TEXT NOT NULL, reason TEXT NOT NULL, skipped_at TEXT NOT NULL,
    PRIMARY KEY (projection, position)
);
CREATE TABLE rm_rebuild (
    projection TEXT PRIMARY KEY, state TEXT NOT NULL CHECK (state IN ('running', 'finished', 'failed')),
    done INTEGER NOT NULL, total INTEGER NOT NULL, actor TEXT, started_at TEXT NOT NULL, finished_at TEXT,
    error TEXT
);
