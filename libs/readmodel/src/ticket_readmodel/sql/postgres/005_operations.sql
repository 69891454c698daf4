-- What operators did to the projection, kept apart from the projected rows: a rebuild copies both tables into
-- the schema it swaps in.

-- Events an operator skipped (the projection could not apply them): never applied, by the projector or a rebuild.
CREATE TABLE skipped (
    projection text        NOT NULL REFERENCES checkpoint (projection),
    position   bigint      NOT NULL,
    event_id   text        NOT NULL,
    event_type text        NOT NULL,
    ticket_id  text        NOT NULL,
    actor      text        NOT NULL,
    reason     text        NOT NULL,
    skipped_at timestamptz NOT NULL,
    PRIMARY KEY (projection, position)
);

-- The latest rebuild and how far it got (updated every page); a running one holds an advisory lock.
CREATE TABLE rebuild (
    projection  text        PRIMARY KEY REFERENCES checkpoint (projection),
    state       text        NOT NULL CHECK (state IN ('running', 'finished', 'failed')),
    done        bigint      NOT NULL,
    total       bigint      NOT NULL,
    actor       text,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz,
    error       text
);
