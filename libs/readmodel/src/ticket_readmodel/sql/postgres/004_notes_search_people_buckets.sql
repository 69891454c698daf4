-- Internal notes, search beyond the subject, the staff directory, and stats in the viewer's time zone.
--
-- Tickets projected before this version have no notes, and their conversation lacks the resolution and reopen
-- texts (the workflow added them to it since): `ticket-projector rebuild` fills both in from the events. The
-- search columns, the buckets and the people are filled below from what the tables already hold.

-- The staff-only notes of each ticket (TicketState.notes), and its text as the list's q= matches it, lower-cased
-- (projection.search_texts): public (requester, assignee, subject, description, conversation) and staff only
-- (notes, escalation reason), so that a customer's search never matches on what only staff may read.
ALTER TABLE tickets ADD COLUMN notes jsonb NOT NULL DEFAULT '[]';
ALTER TABLE tickets ADD COLUMN search_public text NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN search_staff text NOT NULL DEFAULT '';
UPDATE tickets SET
    search_public = lower(concat_ws(E'\x1f', requester, coalesce(assignee, ''), subject, description,
        (SELECT string_agg(m ->> 'body', E'\x1f' ORDER BY n) FROM jsonb_array_elements(messages) WITH ORDINALITY AS e(m, n)))),
    search_staff = lower(coalesce(escalation_reason, ''));

-- Ticket number search: q= matches a prefix of the id (LIKE 'abc%' needs pattern operators under any collation).
CREATE INDEX tickets_id_prefix_idx ON tickets (id text_pattern_ops);

-- Substring search through trigrams, when the extension is there or may be installed (see 001).
DROP INDEX IF EXISTS tickets_subject_trgm_idx;
DO $$
DECLARE
    trgm_schema name;
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'pg_trgm not installed (%): ticket search runs without an index', SQLERRM;
    END;
    SELECT n.nspname INTO trgm_schema
      FROM pg_opclass c JOIN pg_namespace n ON n.oid = c.opcnamespace
     WHERE c.opcname = 'gin_trgm_ops' LIMIT 1;
    IF trgm_schema IS NOT NULL THEN
        EXECUTE format('CREATE INDEX tickets_search_public_trgm_idx ON tickets USING gin (search_public %I.gin_trgm_ops)',
                       trgm_schema);
        EXECUTE format('CREATE INDEX tickets_search_staff_trgm_idx ON tickets USING gin (search_staff %I.gin_trgm_ops)',
                       trgm_schema);
    END IF;
END
$$;

-- Created and resolved tickets per quarter hour (UTC): every real UTC offset is a multiple of 15 minutes, so
-- the stats fold them into the days of any time zone. Replaces daily_stats (days in UTC only).
CREATE TABLE stats_buckets (
    bucket   timestamptz PRIMARY KEY CHECK (extract(epoch FROM bucket)::numeric % 900 = 0),
    created  integer     NOT NULL DEFAULT 0,
    resolved integer     NOT NULL DEFAULT 0
);
INSERT INTO stats_buckets (bucket, created, resolved)
SELECT to_timestamp((floor(extract(epoch FROM occurred_at) / 900) * 900)::double precision),
       count(*) FILTER (WHERE type = 'Created'),
       count(*) FILTER (WHERE transition IN ('resolve', 'resolve_escalated'))
  FROM history
 WHERE type = 'Created' OR transition IN ('resolve', 'resolve_escalated')
 GROUP BY 1;
DROP TABLE daily_stats;

-- The staff directory: everyone whose event presented roles that make them staff (visibility.sees_everything:
-- agent or a role inheriting it, and no role the workflow does not know), with the roles of their latest event.
CREATE TABLE people (
    id         text        PRIMARY KEY,
    roles      jsonb       NOT NULL,
    first_seen timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL,
    actions    integer     NOT NULL
);
INSERT INTO people (id, roles, first_seen, last_seen, actions)
SELECT actor, (array_agg(roles ORDER BY position DESC))[1], min(occurred_at), max(occurred_at), count(*)
  FROM history
 WHERE roles ?| array['agent', 'supervisor', 'admin']
   AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements_text(roles) AS r(role)
                    WHERE r.role NOT IN ('customer', 'agent', 'supervisor', 'admin'))
 GROUP BY actor;
