"""The endpoints, their delivery log and manual redelivery in the embedded mode's SQLite file: the twin of
:mod:`.endpoints` (same answers, same views)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ticket_migrations.sqlite import SqliteDatabase
from ticket_workflow import Event
from ticket_workflow.streams import is_system_stream

from .endpoints import Endpoints, delivery_view, endpoint_view
from .queue import event_message_id, subscribed
from .sqlite_queue import now, parse, stamp

_COLUMNS = (
    "id, url, event_types, description, enabled, disabled_reason, failure_streak, created_at, created_by, "
    "last_delivery_at"
)
_TIMES = ("created_at", "last_delivery_at", "last_attempt_at", "next_attempt_at")


def _row(row: Any) -> dict[str, Any]:
    """A row with the PostgreSQL adapter's types: times, booleans and lists."""
    values = dict(zip(row.keys(), tuple(row), strict=True))
    for name in _TIMES:
        if name in values:
            values[name] = parse(values[name])
    if "event_types" in values:
        values["event_types"] = json.loads(values["event_types"])
    if "enabled" in values:
        values["enabled"] = bool(values["enabled"])
    return values


class SqliteEndpoints:
    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    new_id = staticmethod(Endpoints.new_id)

    async def create(
        self,
        *,
        url: str,
        event_types: Sequence[str],
        description: str,
        sealed: Any,
        endpoint_id: str,
        actor: str,
        from_position: int,
    ) -> dict[str, Any]:
        created = now()
        async with self.db.transaction() as conn:
            await conn.execute(
                """INSERT INTO webhook_endpoints (id, url, event_types, description, secret, created_by,
                       from_position, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    endpoint_id,
                    url,
                    json.dumps(list(event_types)),
                    description,
                    sealed,
                    actor,
                    from_position,
                    created,
                    created,
                ),
            )
        made = await self.get(endpoint_id)
        assert made is not None
        return made

    async def all(self) -> list[dict[str, Any]]:
        async with self.db.reading() as conn:
            rows = await conn.execute_fetchall(f"SELECT {_COLUMNS} FROM webhook_endpoints ORDER BY created_at, id")
        return [endpoint_view(_row(r)) for r in rows]

    async def get(self, endpoint_id: str) -> dict[str, Any] | None:
        async with self.db.reading() as conn:
            rows = list(
                await conn.execute_fetchall(f"SELECT {_COLUMNS} FROM webhook_endpoints WHERE id = ?", (endpoint_id,))
            )
        return endpoint_view(_row(rows[0])) if rows else None

    async def update(self, endpoint_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        """Apply ``changes`` (url, event_types, description, enabled); enabling clears the failure record."""
        sets, values = ["updated_at = ?"], [now()]
        for name in ("url", "event_types", "description", "enabled"):
            if name in changes:
                value = changes[name]
                values.append(json.dumps(list(value)) if name == "event_types" else value)
                sets.append(f"{name} = ?")
        if changes.get("enabled") is True:
            sets += ["disabled_reason = NULL", "failure_streak = 0", "failing_since = NULL"]
        elif changes.get("enabled") is False:
            sets.append("disabled_reason = 'disabled by an admin'")
        async with self.db.transaction() as conn:
            await conn.execute(f"UPDATE webhook_endpoints SET {', '.join(sets)} WHERE id = ?", (*values, endpoint_id))
        return await self.get(endpoint_id)

    async def delete(self, endpoint_id: str) -> bool:
        async with self.db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM webhook_endpoints WHERE id = ?", (endpoint_id,))
        return bool(cursor.rowcount == 1)

    async def deliveries(self, endpoint_id: str, limit: int) -> list[dict[str, Any]]:
        async with self.db.reading() as conn:
            rows = await conn.execute_fetchall(
                "SELECT * FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY seq DESC LIMIT ?", (endpoint_id, limit)
            )
        return [delivery_view(_row(r)) for r in rows]

    async def redeliver(self, endpoint_id: str, event_types: Sequence[str], events: Sequence[Event]) -> int:
        """Queue ``events`` (those it is subscribed to) again for the endpoint, as its next replay."""
        chosen = [e for e in events if not is_system_stream(e.stream_id) and subscribed(event_types, e.type)]
        async with self.db.transaction() as conn:
            found = list(
                await conn.execute_fetchall(
                    "SELECT coalesce(max(replay), 0) + 1 FROM webhook_deliveries WHERE endpoint_id = ?", (endpoint_id,)
                )
            )
            replay, created = int(found[0][0]), now()
            for e in chosen:
                await conn.execute(
                    """INSERT INTO webhook_deliveries (endpoint_id, message_id, replay, lane, event_type, position,
                           ticket_id, occurred_at, created_at, next_attempt_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (
                        endpoint_id,
                        event_message_id(e),
                        replay,
                        e.stream_id,
                        e.type,
                        e.position,
                        e.stream_id,
                        stamp(e.timestamp),
                        created,
                        created,
                    ),
                )
        return len(chosen)

    async def disabled_count(self) -> int:
        async with self.db.reading() as conn:
            rows = list(await conn.execute_fetchall("SELECT count(*) FROM webhook_endpoints WHERE NOT enabled"))
        return int(rows[0][0])
