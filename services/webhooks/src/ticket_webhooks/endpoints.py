"""The endpoints partners registered, their delivery log and manual redelivery: the admin API's storage."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from ticket_workflow import Event
from ticket_workflow.streams import is_system_stream

from .queue import event_message_id, subscribed


def endpoint_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """An endpoint as the API shows it: never its secret."""
    return {
        "id": row["id"],
        "url": row["url"],
        "event_types": list(row["event_types"]),
        "description": row["description"],
        "enabled": row["enabled"],
        "disabled_reason": row["disabled_reason"],
        "failure_streak": row["failure_streak"],
        "created_at": row["created_at"].isoformat(),
        "created_by": row["created_by"],
        "last_delivery_at": _iso(row["last_delivery_at"]),
    }


def delivery_view(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["message_id"],
        "event_type": row["event_type"],
        "position": row["position"],
        "ticket_id": row["ticket_id"],
        "attempts": row["attempts"],
        "status": row["status"],
        "http_status": row["http_status"],
        "latency_ms": row["latency_ms"],
        "response_excerpt": row["response_excerpt"],
        "last_attempt_at": _iso(row["last_attempt_at"]),
        "next_attempt_at": _iso(row["next_attempt_at"]) if row["status"] in ("pending", "retrying") else None,
        "replay": row["replay"],
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


_COLUMNS = (
    "id, url, event_types, description, enabled, disabled_reason, failure_streak, created_at, created_by, "
    "last_delivery_at"
)


class Endpoints:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

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
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"""INSERT INTO webhooks.endpoints
                        (id, url, event_types, description, secret, created_by, from_position)
                    VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {_COLUMNS}""",
                endpoint_id,
                url,
                list(event_types),
                description,
                sealed,
                actor,
                from_position,
            )
        return endpoint_view(row)

    @staticmethod
    def new_id() -> str:
        return f"ep_{uuid.uuid4().hex}"

    async def all(self) -> list[dict[str, Any]]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(f"SELECT {_COLUMNS} FROM webhooks.endpoints ORDER BY created_at, id")
        return [endpoint_view(r) for r in rows]

    async def get(self, endpoint_id: str) -> dict[str, Any] | None:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM webhooks.endpoints WHERE id = $1", endpoint_id)
        return endpoint_view(row) if row is not None else None

    async def update(self, endpoint_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        """Apply ``changes`` (url, event_types, description, enabled); enabling clears the failure record."""
        sets, values = ["updated_at = now()"], [endpoint_id]
        for name in ("url", "event_types", "description", "enabled"):
            if name in changes:
                values.append(changes[name])
                sets.append(f"{name} = ${len(values)}")
        if changes.get("enabled") is True:
            sets += ["disabled_reason = NULL", "failure_streak = 0", "failing_since = NULL"]
        elif changes.get("enabled") is False:
            sets.append("disabled_reason = 'disabled by an admin'")
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"UPDATE webhooks.endpoints SET {', '.join(sets)} WHERE id = $1 RETURNING {_COLUMNS}", *values
            )
        return endpoint_view(row) if row is not None else None

    async def delete(self, endpoint_id: str) -> bool:
        async with self.pool.acquire() as conn:
            done = await conn.execute("DELETE FROM webhooks.endpoints WHERE id = $1", endpoint_id)
        return bool(done.endswith(" 1"))

    async def deliveries(self, endpoint_id: str, limit: int) -> list[dict[str, Any]]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT * FROM webhooks.deliveries WHERE endpoint_id = $1 ORDER BY seq DESC LIMIT $2",
                endpoint_id,
                limit,
            )
        return [delivery_view(r) for r in rows]

    async def redeliver(self, endpoint_id: str, event_types: Sequence[str], events: Sequence[Event]) -> int:
        """Queue ``events`` (those it is subscribed to) again for the endpoint, as its next replay."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT 1 FROM webhooks.endpoints WHERE id = $1 FOR UPDATE", endpoint_id)
            replay = await conn.fetchval(
                "SELECT coalesce(max(replay), 0) + 1 FROM webhooks.deliveries WHERE endpoint_id = $1", endpoint_id
            )
            chosen = [e for e in events if not is_system_stream(e.stream_id) and subscribed(event_types, e.type)]
            if chosen:
                await conn.execute(
                    """INSERT INTO webhooks.deliveries
                           (endpoint_id, message_id, replay, lane, event_type, position, ticket_id, occurred_at)
                       SELECT $1, m, $2, t, y, p, t, o
                         FROM unnest($3::text[], $4::text[], $5::text[], $6::bigint[], $7::timestamptz[])
                              AS x(m, t, y, p, o)""",
                    endpoint_id,
                    replay,
                    [event_message_id(e) for e in chosen],
                    [e.stream_id for e in chosen],
                    [e.type for e in chosen],
                    [e.position for e in chosen],
                    [e.timestamp for e in chosen],
                )
        return len(chosen)

    async def disabled_count(self) -> int:
        async with self.pool.acquire() as conn:
            value: int = await conn.fetchval("SELECT count(*) FROM webhooks.endpoints WHERE NOT enabled")
        return value
