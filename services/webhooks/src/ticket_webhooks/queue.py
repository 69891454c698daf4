"""The deliveries as a durable queue in PostgreSQL: events and alerts turned into deliveries (with the checkpoint,
in one transaction), the due ones claimed in per-ticket order, and each attempt's outcome recorded.

Order per ticket: within a lane (endpoint, ticket) only the open delivery with the lowest ``seq`` may be claimed,
so a later event waits until the one before it was delivered or finally failed. A claim leases the row for the
length of an attempt; a process that dies mid-attempt leaves a lease that expires, and the delivery is attempted
again (at least once)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from ticket_workflow import Event
from ticket_workflow.streams import is_system_stream

from .payload import ALERT_TYPES

EVENTS, ALERTS = "events", "alerts"
OPEN = ("pending", "retrying")


def subscribed(event_types: Sequence[str], event_type: str) -> bool:
    return "*" in event_types or event_type in event_types


def event_message_id(event: Event) -> str:
    return f"evt_{event.id}"


def alert_message_id(alert_id: str) -> str:
    return f"alert_{uuid.uuid5(uuid.NAMESPACE_URL, 'support-ticket-sla-alert:' + alert_id)}"


@dataclass(frozen=True)
class Claimed:
    """A delivery leased for one attempt, with what sending it needs."""

    seq: int
    endpoint_id: str
    url: str
    secret: bytes
    message_id: str
    event_type: str
    position: int | None
    ticket_id: str | None
    alert: dict[str, Any] | None
    occurred_at: datetime
    attempts: int


@dataclass(frozen=True)
class Outcome:
    """What one attempt gave: ``delivered`` (a 2xx answer), the status, the latency, the start of the answer."""

    delivered: bool
    http_status: int | None
    latency_ms: float | None
    excerpt: str | None


@dataclass(frozen=True)
class Policy:
    """When an endpoint is disabled: after ``failures`` final failures in a row, or failing for ``hours``."""

    failures: int
    hours: float


class Queue:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def checkpoint(self, source: str = EVENTS) -> int | None:
        async with self.pool.acquire() as conn:
            value: int | None = await conn.fetchval("SELECT position FROM webhooks.checkpoints WHERE source=$1", source)
        return value

    async def start_at(self, position: int) -> None:
        """The first start: events after ``position`` (the store's last one) are the dispatcher's to deliver."""
        async with self.pool.acquire() as conn:
            await conn.execute(_START, EVENTS, position)

    async def ingest_events(self, events: Sequence[Event], until: int) -> int:
        """Queue a delivery of each event (above the checkpoint) to each enabled endpoint subscribed to its type,
        and move the checkpoint to ``until``, in one transaction; returns the deliveries queued."""
        async with self.pool.acquire() as conn, conn.transaction():
            checkpoint = await conn.fetchval(_LOCK, EVENTS)
            if checkpoint is None:
                raise RuntimeError("the events checkpoint is not initialised")
            endpoints = await conn.fetch(_ENABLED)
            rows = []
            for event in events:
                position = event.position or 0
                if position <= checkpoint or is_system_stream(event.stream_id):
                    continue
                for endpoint in endpoints:
                    if position > endpoint["from_position"] and subscribed(endpoint["event_types"], event.type):
                        rows.append(
                            (
                                endpoint["id"],
                                event_message_id(event),
                                0,
                                event.stream_id,
                                event.type,
                                position,
                                event.stream_id,
                                None,
                                event.timestamp,
                            )
                        )
            queued = await _insert(conn, rows)
            if until > checkpoint:
                await conn.execute(_ADVANCE, EVENTS, until)
        return queued

    async def ingest_alert(self, entry_id: str, fields: Mapping[str, str]) -> int:
        """Queue an alert to each enabled endpoint subscribed to its type (once: a republished alert is a no-op)."""
        alert_type, ticket = fields.get("type", ""), fields.get("ticket_id", "")
        async with self.pool.acquire() as conn, conn.transaction():
            rows = []
            if alert_type in ALERT_TYPES and fields.get("id"):
                raised = _instant(fields.get("raised_at"))
                for endpoint in await conn.fetch(_ENABLED):
                    if subscribed(endpoint["event_types"], alert_type):
                        rows.append(
                            (
                                endpoint["id"],
                                alert_message_id(fields["id"]),
                                0,
                                ticket or fields["id"],
                                alert_type,
                                None,
                                ticket or None,
                                json.dumps(dict(fields)),
                                raised,
                            )
                        )
            queued = await _insert(conn, rows)
            await conn.execute(_ALERT_SEEN, ALERTS, entry_id)
        return queued

    async def claim(self, limit: int, lease_seconds: float) -> list[Claimed]:
        if limit < 1:
            return []
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(_CLAIM, limit, lease_seconds)
        return [
            Claimed(
                r["seq"],
                r["endpoint_id"],
                r["url"],
                r["secret"],
                r["message_id"],
                r["event_type"],
                r["position"],
                r["ticket_id"],
                _alert(r["alert"]),
                r["occurred_at"],
                r["attempts"],
            )
            for r in rows
        ]

    async def record(self, claimed: Claimed, outcome: Outcome, retry_in: float | None, policy: Policy) -> str | None:
        """Record an attempt: delivered, retrying (``retry_in`` seconds) or finally failed (None). Returns why the
        endpoint was disabled now, if this failure disabled it."""
        status = "delivered" if outcome.delivered else ("retrying" if retry_in is not None else "failed")
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                _RECORD, claimed.seq, status, outcome.http_status, outcome.latency_ms, outcome.excerpt, retry_in or 0.0
            )
            if outcome.delivered:
                await conn.execute(_SUCCEEDED, claimed.endpoint_id)
                return None
            row = await conn.fetchrow(_FAILED, claimed.endpoint_id, status == "failed")
            if row is None or not row["enabled"]:
                return None
            reason = None
            if row["failure_streak"] >= policy.failures:
                reason = f"{row['failure_streak']} deliveries in a row failed after every retry"
            elif row["failing_hours"] >= policy.hours:
                reason = f"every attempt failed for {row['failing_hours']:.1f} hours"
            if reason is not None:
                await conn.execute(_DISABLE, claimed.endpoint_id, reason)
            return reason

    async def release(self, claimed: Claimed) -> None:
        """Give a lease back unattempted (the process is stopping)."""
        async with self.pool.acquire() as conn:
            await conn.execute("UPDATE webhooks.deliveries SET leased_until=NULL WHERE seq=$1", claimed.seq)

    async def open_count(self) -> int:
        async with self.pool.acquire() as conn:
            value: int = await conn.fetchval("SELECT count(*) FROM webhooks.deliveries WHERE status = ANY($1)", OPEN)
        return value


async def _insert(conn: asyncpg.Connection, rows: list[tuple[Any, ...]]) -> int:
    """Insert the rows not there yet; returns how many were."""
    if not rows:
        return 0
    done: str = await conn.execute(_INSERT, *zip(*rows, strict=True))
    return int(done.rsplit(" ", 1)[-1])


def _instant(text: str | None) -> datetime:
    try:
        return datetime.fromisoformat(text) if text else datetime.now().astimezone()
    except ValueError:
        return datetime.now().astimezone()


def _alert(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    return dict(json.loads(value) if isinstance(value, str) else value)


_START = """INSERT INTO webhooks.checkpoints (source, position) VALUES ($1, $2) ON CONFLICT (source) DO NOTHING"""
_LOCK = "SELECT position FROM webhooks.checkpoints WHERE source = $1 FOR UPDATE"
_ADVANCE = "UPDATE webhooks.checkpoints SET position = $2, updated_at = now() WHERE source = $1"
_ALERT_SEEN = """INSERT INTO webhooks.checkpoints (source, entry_id) VALUES ($1, $2)
ON CONFLICT (source) DO UPDATE SET entry_id = excluded.entry_id, updated_at = now()"""
_ENABLED = "SELECT id, event_types, from_position FROM webhooks.endpoints WHERE enabled"
_INSERT = """
INSERT INTO webhooks.deliveries
    (endpoint_id, message_id, replay, lane, event_type, position, ticket_id, alert, occurred_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::bigint[], $7::text[],
                     $8::jsonb[], $9::timestamptz[])
ON CONFLICT (endpoint_id, message_id, replay) DO NOTHING
"""
_CLAIM = """
WITH due AS (
    SELECT d.seq FROM webhooks.deliveries d JOIN webhooks.endpoints e ON e.id = d.endpoint_id AND e.enabled
     WHERE d.status IN ('pending', 'retrying') AND d.next_attempt_at <= now()
       AND (d.leased_until IS NULL OR d.leased_until < now())
       AND NOT EXISTS (SELECT 1 FROM webhooks.deliveries p
                        WHERE p.endpoint_id = d.endpoint_id AND p.lane = d.lane AND p.seq < d.seq
                          AND p.status IN ('pending', 'retrying'))
     ORDER BY d.next_attempt_at, d.seq
     LIMIT $1
       FOR UPDATE OF d SKIP LOCKED
)
UPDATE webhooks.deliveries d SET leased_until = now() + make_interval(secs => $2)
  FROM due, webhooks.endpoints e
 WHERE d.seq = due.seq AND e.id = d.endpoint_id
RETURNING d.seq, d.endpoint_id, e.url, e.secret, d.message_id, d.event_type, d.position, d.ticket_id, d.alert,
          d.occurred_at, d.attempts
"""
_RECORD = """
UPDATE webhooks.deliveries
   SET status = $2, attempts = attempts + 1, http_status = $3, latency_ms = $4, response_excerpt = $5,
       last_attempt_at = now(), leased_until = NULL,
       next_attempt_at = CASE WHEN $2 = 'retrying' THEN now() + make_interval(secs => $6) ELSE next_attempt_at END
 WHERE seq = $1
"""
_SUCCEEDED = """UPDATE webhooks.endpoints SET failure_streak = 0, failing_since = NULL, last_delivery_at = now()
WHERE id = $1"""
_FAILED = """
UPDATE webhooks.endpoints
   SET failure_streak = failure_streak + CASE WHEN $2 THEN 1 ELSE 0 END,
       failing_since = coalesce(failing_since, now())
 WHERE id = $1
RETURNING enabled, failure_streak, (extract(epoch FROM now() - failing_since) / 3600.0)::float8 AS failing_hours
"""
_DISABLE = """UPDATE webhooks.endpoints SET enabled = false, disabled_reason = $2, updated_at = now() WHERE id = $1"""
