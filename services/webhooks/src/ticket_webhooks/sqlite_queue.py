"""The delivery queue in the embedded mode's SQLite file: the twin of :mod:`.queue` for one process.

The file has one connection and one lock, so a claim needs no ``SKIP LOCKED``: the deliveries in flight are
leased in memory (a restart forgets the leases, and what was in flight is attempted again: at least once). Order
per ticket is the same rule: within a lane only the open delivery with the lowest ``seq`` may be claimed."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from ticket_migrations.sqlite import SqliteDatabase
from ticket_workflow import Event
from ticket_workflow.streams import is_system_stream

from .payload import ALERT_TYPES
from .queue import EVENTS, Claimed, Outcome, Policy, alert_message_id, event_message_id, subscribed


def stamp(moment: datetime) -> str:
    """A time as the SQLite tables hold it: UTC, ISO 8601, always with microseconds (so text order is time order)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def now() -> str:
    return stamp(datetime.now(UTC))


class SqliteQueue:
    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db
        self._leased: set[int] = set()

    async def checkpoint(self, source: str = EVENTS) -> int | None:
        async with self.db.reading() as conn:
            rows = list(await conn.execute_fetchall(_POSITION, (source,)))
        return int(rows[0][0]) if rows else None

    async def start_at(self, position: int) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(_START, (EVENTS, position, now()))

    async def alerts_seen(self) -> int:
        """The seq of the last ``sla_alerts`` row turned into deliveries (0: none yet)."""
        async with self.db.reading() as conn:
            rows = list(await conn.execute_fetchall("SELECT entry_id FROM webhook_checkpoints WHERE source='alerts'"))
        return int(rows[0][0]) if rows and rows[0][0] else 0

    async def ingest_events(self, events: Sequence[Event], until: int) -> int:
        async with self.db.transaction() as conn:
            found = list(await conn.execute_fetchall(_POSITION, (EVENTS,)))
            if not found:
                raise RuntimeError("the events checkpoint is not initialised")
            checkpoint = int(found[0][0])
            endpoints = await _enabled(conn)
            rows = []
            for event in events:
                position = event.position or 0
                if position <= checkpoint or is_system_stream(event.stream_id):
                    continue
                for endpoint_id, types, from_position in endpoints:
                    if position > from_position and subscribed(types, event.type):
                        rows.append(
                            (
                                endpoint_id,
                                event_message_id(event),
                                event.stream_id,
                                event.type,
                                position,
                                event.stream_id,
                                None,
                                stamp(event.timestamp),
                            )
                        )
            queued = await _insert(conn, rows)
            if until > checkpoint:
                await conn.execute(_ADVANCE, (until, now(), EVENTS))
        return queued

    async def ingest_alert(self, entry_id: str, fields: Mapping[str, str]) -> int:
        alert_type, ticket = fields.get("type", ""), fields.get("ticket_id", "")
        async with self.db.transaction() as conn:
            rows = []
            if alert_type in ALERT_TYPES and fields.get("id"):
                raised = fields.get("raised_at") or now()
                for endpoint_id, types, _ in await _enabled(conn):
                    if subscribed(types, alert_type):
                        rows.append(
                            (
                                endpoint_id,
                                alert_message_id(fields["id"]),
                                ticket or fields["id"],
                                alert_type,
                                None,
                                ticket or None,
                                json.dumps(dict(fields)),
                                stamp(datetime.fromisoformat(raised)),
                            )
                        )
            queued = await _insert(conn, rows)
            await conn.execute(_ALERT_SEEN, ("alerts", entry_id, now()))
        return queued

    async def claim(self, limit: int, lease_seconds: float) -> list[Claimed]:
        if limit < 1:
            return []
        async with self.db.reading() as conn:
            rows = list(await conn.execute_fetchall(_CLAIM, (now(),)))
        claimed: list[Claimed] = []
        for r in rows:
            if r["seq"] in self._leased:
                continue
            if len(claimed) == limit:
                break
            self._leased.add(r["seq"])
            alert = json.loads(r["alert"]) if r["alert"] else None
            occurred = parse(r["occurred_at"])
            assert occurred is not None
            claimed.append(
                Claimed(
                    r["seq"],
                    r["endpoint_id"],
                    r["url"],
                    bytes(r["secret"]),
                    r["message_id"],
                    r["event_type"],
                    r["position"],
                    r["ticket_id"],
                    alert,
                    occurred,
                    r["attempts"],
                )
            )
        return claimed

    async def record(self, claimed: Claimed, outcome: Outcome, retry_in: float | None, policy: Policy) -> str | None:
        status = "delivered" if outcome.delivered else ("retrying" if retry_in is not None else "failed")
        moment = datetime.now(UTC)
        try:
            async with self.db.transaction() as conn:
                after = stamp(moment + timedelta(seconds=retry_in or 0.0))
                values = (status, outcome.http_status, outcome.latency_ms, outcome.excerpt, stamp(moment))
                await conn.execute(_RECORD, (*values, status, after, claimed.seq))
                if outcome.delivered:
                    await conn.execute(_SUCCEEDED, (stamp(moment), claimed.endpoint_id))
                    return None
                streak = 1 if status == "failed" else 0
                await conn.execute(_FAILED, (streak, stamp(moment), claimed.endpoint_id))
                found = list(await conn.execute_fetchall(_STATE, (claimed.endpoint_id,)))
                if not found or not found[0]["enabled"]:
                    return None
                failing = parse(found[0]["failing_since"]) or moment
                hours = (moment - failing).total_seconds() / 3600.0
                reason = None
                if found[0]["failure_streak"] >= policy.failures:
                    reason = f"{found[0]['failure_streak']} deliveries in a row failed after every retry"
                elif hours >= policy.hours:
                    reason = f"every attempt failed for {hours:.1f} hours"
                if reason is not None:
                    await conn.execute(_DISABLE, (reason, stamp(moment), claimed.endpoint_id))
                return reason
        finally:
            self._leased.discard(claimed.seq)

    async def release(self, claimed: Claimed) -> None:
        self._leased.discard(claimed.seq)

    async def open_count(self) -> int:
        async with self.db.reading() as conn:
            rows = list(await conn.execute_fetchall(_OPEN_COUNT))
        return int(rows[0][0])


async def _enabled(conn: Any) -> list[tuple[str, list[str], int]]:
    rows = await conn.execute_fetchall("SELECT id, event_types, from_position FROM webhook_endpoints WHERE enabled")
    return [(r[0], list(json.loads(r[1])), int(r[2])) for r in rows]


async def _insert(conn: Any, rows: list[tuple[Any, ...]]) -> int:
    """Insert the rows not there yet; returns how many were."""
    queued, created = 0, now()
    for row in rows:
        cursor = await conn.execute(_INSERT, (*row, created, created))
        queued += cursor.rowcount
    return queued


_POSITION = "SELECT position FROM webhook_checkpoints WHERE source = ?"
_START = "INSERT INTO webhook_checkpoints (source, position, updated_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
_ADVANCE = "UPDATE webhook_checkpoints SET position = ?, updated_at = ? WHERE source = ?"
_ALERT_SEEN = """INSERT INTO webhook_checkpoints (source, entry_id, updated_at) VALUES (?, ?, ?)
ON CONFLICT (source) DO UPDATE SET entry_id = excluded.entry_id, updated_at = excluded.updated_at"""
_INSERT = """INSERT INTO webhook_deliveries
    (endpoint_id, message_id, lane, event_type, position, ticket_id, alert, occurred_at, created_at, next_attempt_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (endpoint_id, message_id, replay) DO NOTHING"""
_CLAIM = """
SELECT d.seq, d.endpoint_id, e.url, e.secret, d.message_id, d.event_type, d.position, d.ticket_id, d.alert,
       d.occurred_at, d.attempts
  FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.enabled
 WHERE d.status IN ('pending', 'retrying') AND d.next_attempt_at <= ?
   AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
                    WHERE p.endpoint_id = d.endpoint_id AND p.lane = d.lane AND p.seq < d.seq
                      AND p.status IN ('pending', 'retrying'))
 ORDER BY d.next_attempt_at, d.seq
 LIMIT 1000
"""
_RECORD = """
UPDATE webhook_deliveries
   SET status = ?, attempts = attempts + 1, http_status = ?, latency_ms = ?, response_excerpt = ?,
       last_attempt_at = ?,
       next_attempt_at = CASE WHEN ? = 'retrying' THEN ? ELSE next_attempt_at END
 WHERE seq = ?
"""
_SUCCEEDED = """UPDATE webhook_endpoints SET failure_streak = 0, failing_since = NULL, last_delivery_at = ?
WHERE id = ?"""
_FAILED = """UPDATE webhook_endpoints SET failure_streak = failure_streak + ?,
failing_since = coalesce(failing_since, ?) WHERE id = ?"""
_STATE = "SELECT enabled, failure_streak, failing_since FROM webhook_endpoints WHERE id = ?"
_DISABLE = "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE id = ?"
_OPEN_COUNT = "SELECT count(*) FROM webhook_deliveries WHERE status IN ('pending', 'retrying')"
