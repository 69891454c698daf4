"""Service levels in both read-model adapters: the policy's versions (``sla_policies``), each ticket's clocks
written with its row, open tickets re-measured when the policy changes, and the queries the API and the timer ask.

:func:`clocks_for` and :func:`after_write` are the two halves of a projection transaction's write; the SQL of
each database is a :class:`SlaTables`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, Protocol

import orjson
from pydantic import BaseModel, ConfigDict

from ticket_workflow.sla import STOPPED_IN

from .mapping import SLA_COLUMNS, Codec, SlaValues
from .projection import Effects
from .service_levels import (
    Facts,
    Policies,
    PolicyRecord,
    Tracked,
    follow,
    missing_versions,
    parse_policy,
    policy_events,
    policy_record,
    rows_for,
    sla_row,
    tracked_of,
)

POLICY_COLUMNS = "version, position, policy, updated_at, updated_by"
TRACK_COLUMNS = "id, place, sla_intervals, sla_policy_version"
FACT_COLUMNS = "created_at, priority, first_response_at"
OPEN = "place NOT IN (" + ", ".join(f"'{p}'" for p in sorted(STOPPED_IN)) + ")"
PENDING_COLUMNS = (
    "id, priority, first_response_due_at, first_response_warning_at, first_response_breached, resolution_due_at, "
    "resolution_warning_at, resolution_breached, sla_warning_at"
)


class Pending(BaseModel):
    """A ticket one of whose running clocks reached its warning or due instant (the timer's question)."""

    model_config = ConfigDict(frozen=True)

    id: str
    priority: str
    first_response_due_at: datetime | None
    first_response_warning_at: datetime | None
    first_response_breached: bool
    resolution_due_at: datetime | None
    resolution_warning_at: datetime | None
    resolution_breached: bool
    sla_warning_at: datetime


class SlaTables(Protocol):
    """One database's statements, inside the projection's transaction."""

    codec: Codec

    def json_out(self, value: Any) -> Any:
        """A JSON value as the database's connection takes it."""
        ...

    async def fetch(self, sql: str, *params: Any) -> Sequence[Any]: ...

    async def tracked(self, ids: Collection[str]) -> list[Any]: ...

    async def update(self, rows: dict[str, SlaValues]) -> None: ...

    def table(self, name: str) -> str: ...

    def param(self, n: int) -> str: ...


def record_of(row: Any, codec: Codec) -> PolicyRecord:
    policy = row["policy"]
    text = policy if isinstance(policy, str) else orjson.dumps(policy).decode()
    updated_at = codec.time_in(row["updated_at"])
    assert updated_at is not None
    return PolicyRecord(
        version=row["version"],
        policy=parse_policy(text),
        updated_at=updated_at,
        updated_by=row["updated_by"],
        position=row["position"],
    )


async def latest_policy(db: SlaTables) -> PolicyRecord | None:
    rows = await db.fetch(f"SELECT {POLICY_COLUMNS} FROM {db.table('sla_policies')} ORDER BY version DESC LIMIT 1")
    return record_of(rows[0], db.codec) if rows else None


async def policy_version(db: SlaTables, version: int) -> PolicyRecord | None:
    rows = await db.fetch(
        f"SELECT {POLICY_COLUMNS} FROM {db.table('sla_policies')} WHERE version = {db.param(1)}", version
    )
    return record_of(rows[0], db.codec) if rows else None


async def policies_before(db: SlaTables, position: int) -> list[PolicyRecord]:
    """The versions recorded before the global ``position``, oldest first (the policy in force there is the last)."""
    rows = await db.fetch(
        f"SELECT {POLICY_COLUMNS} FROM {db.table('sla_policies')} WHERE position < {db.param(1)} ORDER BY version",
        position,
    )
    return [record_of(r, db.codec) for r in rows]


async def known_policies(db: SlaTables, tracked: Collection[Tracked] = ()) -> Policies:
    """The latest version, and those the stopped tickets of ``tracked`` were resolved under."""
    policies = Policies()
    if (latest := await latest_policy(db)) is not None:
        policies.add(latest)
    for version in sorted(missing_versions(tracked, policies)):
        if (record := await policy_version(db, version)) is not None:
            policies.by_version[version] = record  # older: the latest stays the latest
    return policies


async def clocks_for(db: SlaTables, effects: Effects) -> tuple[dict[str, SlaValues], Policies]:
    """Each written ticket's service-level columns after ``effects`` (read before its rows are written)."""
    ids = list(effects.tickets)
    if not ids and not policy_events(effects):
        return {}, Policies()
    before = {row["id"]: _tracked(row) for row in await db.tracked(ids)} if ids else {}
    policies = await known_policies(db, before.values())
    after = follow(before, effects, policies)
    for version in sorted(missing_versions(after.values(), policies)):
        if (record := await policy_version(db, version)) is not None:
            policies.by_version[version] = record
    return rows_for(effects.tickets.values(), after, policies), policies


async def after_write(db: SlaTables, effects: Effects, policies: Policies) -> None:
    """Keep the batch's policy versions, and re-measure every open ticket under the latest one."""
    records = [policy_record(e) for e in policy_events(effects)]
    if not records:
        return
    for record in records:
        await db.fetch(
            f"INSERT INTO {db.table('sla_policies')} ({POLICY_COLUMNS}) VALUES "
            f"({', '.join(db.param(n) for n in range(1, 6))}) ON CONFLICT (version) DO NOTHING",
            record.version,
            record.position,
            db.json_out(record.policy.model_dump(mode="json")),
            db.codec.time_out(record.updated_at),
            record.updated_by,
        )
    await reopen_all(db, policies)


async def reopen_all(db: SlaTables, policies: Policies) -> None:
    """Re-measure every open ticket under the latest policy (after a policy change)."""
    rows = await db.fetch(f"SELECT {TRACK_COLUMNS}, {FACT_COLUMNS} FROM {db.table('tickets')} WHERE {OPEN}")
    updates = {}
    for row in rows:
        created_at = db.codec.time_in(row["created_at"])
        assert created_at is not None
        facts = Facts(created_at, row["priority"], db.codec.time_in(row["first_response_at"]))
        updates[row["id"]] = sla_row(facts, _tracked(row), policies)
    if updates:
        await db.update(updates)


def _tracked(row: Any) -> Tracked:
    return tracked_of(row["place"], row["sla_intervals"], row["sla_policy_version"])


async def kept(db: SlaTables, ids: Collection[str]) -> dict[str, SlaValues]:
    """The stored service-level columns of these tickets, to write their rows again unchanged (a re-projection
    that changes no timing, such as an erasure of personal data)."""
    if not ids:
        return {}
    names = ", ".join(UPDATE_NAMES)
    marks = ", ".join(db.param(n) for n in range(1, len(ids) + 1))
    rows = await db.fetch(f"SELECT id, {names} FROM {db.table('tickets')} WHERE id IN ({marks})", *ids)
    return {
        r["id"]: SlaValues(tuple(db.codec.into(c.kind, r[c.name]) for c in SLA_COLUMNS), r["sla_intervals"])
        for r in rows
    }


def pending_sql(db: SlaTables) -> str:
    """Tickets with a warning or due instant at or before $1, nearest first, at most $2 (the partial index)."""
    return (
        f"SELECT {PENDING_COLUMNS} FROM {db.table('tickets')} WHERE sla_warning_at IS NOT NULL "
        f"AND sla_warning_at <= {db.param(1)} ORDER BY sla_warning_at, id LIMIT {db.param(2)}"
    )


def pending_of(row: Any, codec: Codec) -> Pending:
    data = {name: row[name] for name in Pending.model_fields}
    for name in ("first_response_due_at", "first_response_warning_at", "resolution_due_at", "resolution_warning_at"):
        data[name] = codec.time_in(data[name])
    data["sla_warning_at"] = codec.time_in(data["sla_warning_at"])
    return Pending.model_validate(data)


UPDATE_NAMES = [c.name for c in SLA_COLUMNS] + ["sla_intervals"]
