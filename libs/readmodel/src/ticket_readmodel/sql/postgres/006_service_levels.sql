-- Service levels (ticket_workflow.sla): each ticket's clocks under the policy that applies to it, and the policy's
-- versions as an admin set them (ServiceLevelPolicySet on $sla-policy). Tickets projected before this version get
-- their clocks from `ticket-projector rebuild` (the resolution clock's spans come from the events).
ALTER TABLE tickets
    ADD COLUMN sla_policy_version            integer,
    ADD COLUMN first_response_target_seconds integer,
    ADD COLUMN first_response_due_at         timestamptz,
    ADD COLUMN first_response_warning_at     timestamptz,
    ADD COLUMN first_response_met_at         timestamptz,
    ADD COLUMN first_response_breached       boolean          NOT NULL DEFAULT false,
    ADD COLUMN resolution_target_seconds     integer,
    ADD COLUMN resolution_due_at             timestamptz,      -- NULL while paused
    ADD COLUMN resolution_warning_at         timestamptz,      -- NULL while paused
    ADD COLUMN resolution_met_at             timestamptz,
    ADD COLUMN resolution_breached           boolean          NOT NULL DEFAULT false,
    ADD COLUMN resolution_paused             boolean          NOT NULL DEFAULT false,
    ADD COLUMN resolution_elapsed_seconds    double precision NOT NULL DEFAULT 0,
    ADD COLUMN resolution_running_since      timestamptz,
    ADD COLUMN sla_warning_at                timestamptz,      -- nearest pending warning; NULL: nothing pending
    ADD COLUMN sla_due_at                    timestamptz      NOT NULL DEFAULT '9999-12-31 00:00:00+00',
    ADD COLUMN sla_intervals                 text             NOT NULL DEFAULT '[]';

-- The timer's question (a warning or a due instant passed, nothing raised yet): only tickets with a pending clock.
CREATE INDEX tickets_sla_pending_idx ON tickets (sla_warning_at) WHERE sla_warning_at IS NOT NULL;
-- sort=sla_due / -sla_due (keyset: the nearest pending due instant, then the id).
CREATE INDEX tickets_sla_due_idx ON tickets (sla_due_at, id);

CREATE TABLE sla_policies (
    version    integer     PRIMARY KEY,
    position   bigint      NOT NULL,
    policy     jsonb       NOT NULL,
    updated_at timestamptz NOT NULL,
    updated_by text        NOT NULL
);
