-- Read models of the support-ticket projector. Runs with search_path set to the projector's schema, so every
-- table lands there (READ_MODEL_SCHEMA); a rebuild creates the same tables in a fresh schema and swaps it in.

-- The current state of each ticket: the workflow's TicketState, one column per field.
CREATE TABLE tickets (
    id                text        PRIMARY KEY,
    version           integer     NOT NULL,
    place             text        NOT NULL,
    marking           jsonb       NOT NULL,
    subject           text        NOT NULL,
    description       text        NOT NULL,
    priority          text        NOT NULL,
    priority_rank     smallint    NOT NULL,  -- low 0 .. urgent 3, for sorting
    requester         text        NOT NULL,
    assignee          text,
    messages          jsonb       NOT NULL,
    message_count     integer     NOT NULL,
    escalation_reason text,
    resolution        text,
    reopen_count      integer     NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    first_response_at timestamptz,
    resolved_at       timestamptz,
    closed_at         timestamptz,
    last_position     bigint      NOT NULL
);

-- One index per list filter, each ending in the keyset of the sort it serves (see listing.py, bench/).
CREATE INDEX tickets_created_idx           ON tickets (created_at, id);
CREATE INDEX tickets_updated_idx           ON tickets (updated_at, id);
CREATE INDEX tickets_priority_created_idx  ON tickets (priority_rank, created_at, id);
CREATE INDEX tickets_place_created_idx     ON tickets (place, created_at, id);
CREATE INDEX tickets_place_updated_idx     ON tickets (place, updated_at, id);
CREATE INDEX tickets_assignee_created_idx  ON tickets (assignee, created_at, id);
CREATE INDEX tickets_assignee_updated_idx  ON tickets (assignee, updated_at, id);
CREATE INDEX tickets_requester_created_idx ON tickets (requester, created_at, id);
CREATE INDEX tickets_requester_updated_idx ON tickets (requester, updated_at, id);

-- Substring search in subjects (q=...) through trigrams, when the extension is there or may be installed.
DO $$
DECLARE
    trgm_schema name;
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'pg_trgm not installed (%): subject search runs without an index', SQLERRM;
    END;
    SELECT n.nspname INTO trgm_schema
      FROM pg_opclass c JOIN pg_namespace n ON n.oid = c.opcnamespace
     WHERE c.opcname = 'gin_trgm_ops' LIMIT 1;
    IF trgm_schema IS NOT NULL THEN
        EXECUTE format('CREATE INDEX tickets_subject_trgm_idx ON tickets USING gin (subject %I.gin_trgm_ops)',
                       trgm_schema);
    END IF;
END
$$;

-- Every event of every ticket, as recorded: the audit trail, time travel and the live feed read it.
CREATE TABLE history (
    position    bigint      PRIMARY KEY,
    ticket_id   text        NOT NULL,
    version     integer     NOT NULL,
    event_id    text        NOT NULL UNIQUE,
    type        text        NOT NULL,
    transition  text,
    actor       text        NOT NULL,
    roles       jsonb       NOT NULL,
    occurred_at timestamptz NOT NULL,
    data        jsonb       NOT NULL,
    metadata    jsonb       NOT NULL,
    CONSTRAINT history_ticket_version_unique UNIQUE (ticket_id, version)
);

-- Aggregates of the stats endpoint, maintained event by event.
CREATE TABLE daily_stats (
    day      date    PRIMARY KEY,
    created  integer NOT NULL DEFAULT 0,
    resolved integer NOT NULL DEFAULT 0
);

CREATE TABLE place_counts (
    place   text    PRIMARY KEY,
    tickets integer NOT NULL
);

-- How far the projection got: written in the same transaction as the rows it covers.
CREATE TABLE checkpoint (
    projection text   PRIMARY KEY,
    position   bigint NOT NULL CHECK (position >= 0)
);
INSERT INTO checkpoint (projection, position) VALUES ('tickets', 0);
