-- The poison event the projector halted on, kept so that /ready still reports it after a restart, before the
-- event is retried. Advancing the checkpoint past its position deletes it (same transaction).
CREATE TABLE halt (
    projection text        PRIMARY KEY REFERENCES checkpoint (projection),
    position   bigint      NOT NULL,
    reason     text        NOT NULL,
    event_type text        NOT NULL,
    ticket_id  text        NOT NULL,
    halted_at  timestamptz NOT NULL
);
