-- Internal notes, search beyond the subject, the staff directory, and stats in the viewer's time zone (as
-- sql/postgres/004). Tickets projected before this version have no notes, and their conversation lacks the
-- resolution and reopen texts: the embedded read model is projected anew from the events to fill both in
-- (services/projector/README.md). The search columns, the buckets and the people are filled below from what
-- the tables already hold, as the projection computes them.

-- notes, the search columns (projection's mapping.search_texts) and a stable key, which the search index refers
-- to (a rowid may change under VACUUM): the tickets table is copied into its new shape
CREATE TABLE rm_tickets_v2 (
    key INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE, version INTEGER NOT NULL, place TEXT NOT NULL, marking TEXT NOT NULL,
    subject TEXT NOT NULL, description TEXT NOT NULL, priority TEXT NOT NULL, priority_rank INTEGER NOT NULL,
    requester TEXT NOT NULL, assignee TEXT, messages TEXT NOT NULL, notes TEXT NOT NULL DEFAULT '[]',
    message_count INTEGER NOT NULL, escalation_reason TEXT, resolution TEXT, reopen_count INTEGER NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, first_response_at TEXT, resolved_at TEXT, closed_at TEXT,
    last_position INTEGER NOT NULL,
    search_public TEXT NOT NULL DEFAULT '', search_staff TEXT NOT NULL DEFAULT ''
);
INSERT INTO rm_tickets_v2 (
    id, version, place, marking, subject, description, priority, priority_rank, requester, assignee, messages,
    message_count, escalation_reason, resolution, reopen_count, created_at, updated_at, first_response_at,
    resolved_at, closed_at, last_position, search_public, search_staff)
SELECT id, version, place, marking, subject, description, priority, priority_rank, requester, assignee, messages,
       message_count, escalation_reason, resolution, reopen_count, created_at, updated_at, first_response_at,
       resolved_at, closed_at, last_position,
       -- public: requester, assignee, subject, description, then each message's body, joined by U+001F
       unicode_lower(requester || char(31) || coalesce(assignee, '') || char(31) || subject || char(31)
           || description || coalesce((SELECT group_concat(part, '') FROM (
               SELECT char(31) || json_extract(m.value, '$.body') AS part FROM json_each(rm_tickets.messages) AS m
                ORDER BY m.key)), '')),
       -- staff only: the notes (none yet) and the escalation reason
       unicode_lower(coalesce(escalation_reason, ''))
  FROM rm_tickets;
DROP TABLE rm_tickets;
ALTER TABLE rm_tickets_v2 RENAME TO rm_tickets;
CREATE INDEX rm_tickets_created_idx ON rm_tickets (created_at, id);
CREATE INDEX rm_tickets_updated_idx ON rm_tickets (updated_at, id);
CREATE INDEX rm_tickets_priority_idx ON rm_tickets (priority_rank, created_at, id);
CREATE INDEX rm_tickets_place_idx ON rm_tickets (place, created_at, id);
CREATE INDEX rm_tickets_assignee_idx ON rm_tickets (assignee, updated_at, id);
CREATE INDEX rm_tickets_requester_idx ON rm_tickets (requester, created_at, id);

-- The search index: trigrams of the search columns (substrings of 3 characters or more), kept in step with the
-- tickets by triggers.
CREATE VIRTUAL TABLE rm_ticket_search USING fts5(search_public, search_staff, content='rm_tickets',
    content_rowid='key', tokenize='trigram case_sensitive 1');
INSERT INTO rm_ticket_search (rm_ticket_search) VALUES ('rebuild');
CREATE TRIGGER rm_tickets_search_insert AFTER INSERT ON rm_tickets BEGIN
    INSERT INTO rm_ticket_search (rowid, search_public, search_staff)
    VALUES (new.key, new.search_public, new.search_staff);
END;
CREATE TRIGGER rm_tickets_search_delete AFTER DELETE ON rm_tickets BEGIN
    INSERT INTO rm_ticket_search (rm_ticket_search, rowid, search_public, search_staff)
    VALUES ('delete', old.key, old.search_public, old.search_staff);
END;
CREATE TRIGGER rm_tickets_search_update AFTER UPDATE ON rm_tickets
WHEN old.search_public IS NOT new.search_public OR old.search_staff IS NOT new.search_staff
  OR old.key IS NOT new.key BEGIN
    INSERT INTO rm_ticket_search (rm_ticket_search, rowid, search_public, search_staff)
    VALUES ('delete', old.key, old.search_public, old.search_staff);
    INSERT INTO rm_ticket_search (rowid, search_public, search_staff)
    VALUES (new.key, new.search_public, new.search_staff);
END;

-- Created and resolved tickets per quarter hour (UTC, stored as the projection stamps times), folded into the
-- days of any zone. Replaces rm_daily_stats (days in UTC only).
CREATE TABLE rm_stats_buckets (
    bucket TEXT PRIMARY KEY, created INTEGER NOT NULL DEFAULT 0, resolved INTEGER NOT NULL DEFAULT 0
);
INSERT INTO rm_stats_buckets (bucket, created, resolved)
SELECT strftime('%Y-%m-%dT%H:', occurred_at)
           || printf('%02d', CAST(strftime('%M', occurred_at) AS INTEGER) / 15 * 15) || ':00.000000+00:00',
       count(*) FILTER (WHERE type = 'Created'),
       count(*) FILTER (WHERE transition IN ('resolve', 'resolve_escalated'))
  FROM rm_history
 WHERE type = 'Created' OR transition IN ('resolve', 'resolve_escalated')
 GROUP BY 1;
DROP TABLE rm_daily_stats;

-- The staff directory: everyone whose event presented roles that make them staff (visibility.sees_everything:
-- agent or a role inheriting it, and no role the workflow does not know), with the roles of their latest such
-- event (a JSON array).
CREATE TABLE rm_people (
    id TEXT PRIMARY KEY, roles TEXT NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
    actions INTEGER NOT NULL
);
CREATE TEMP VIEW staff_events AS
SELECT * FROM rm_history
 WHERE EXISTS (SELECT 1 FROM json_each(roles) WHERE value IN ('agent', 'supervisor', 'admin'))
   AND NOT EXISTS (SELECT 1 FROM json_each(roles) WHERE value NOT IN ('customer', 'agent', 'supervisor', 'admin'));
INSERT INTO rm_people (id, roles, first_seen, last_seen, actions)
SELECT actor,
       (SELECT latest.roles FROM staff_events AS latest WHERE latest.actor = staff_events.actor
         ORDER BY latest.position DESC LIMIT 1),
       min(occurred_at), max(occurred_at), count(*)
  FROM staff_events
 GROUP BY actor;
DROP VIEW staff_events;
