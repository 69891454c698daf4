"""The webhooks storage port: the delivery queue the dispatcher works on and the endpoints the admin API keeps.
Two adapters: PostgreSQL (:mod:`.queue`, :mod:`.endpoints`; the distributed service) and SQLite
(:mod:`.sqlite_queue`, :mod:`.sqlite_endpoints`; the embedded mode). The dispatcher's logic is the same on both."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from ticket_workflow import Event

from .queue import Claimed, Outcome, Policy


class DeliveryQueue(Protocol):
    async def checkpoint(self, source: str = ...) -> int | None: ...

    async def start_at(self, position: int) -> None: ...

    async def ingest_events(self, events: Sequence[Event], until: int) -> int: ...

    async def ingest_alert(self, entry_id: str, fields: Mapping[str, str]) -> int: ...

    async def claim(self, limit: int, lease_seconds: float) -> list[Claimed]: ...

    async def record(
        self, claimed: Claimed, outcome: Outcome, retry_in: float | None, policy: Policy
    ) -> str | None: ...

    async def release(self, claimed: Claimed) -> None: ...

    async def open_count(self) -> int: ...


class EndpointStore(Protocol):
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
    ) -> dict[str, Any]: ...

    async def all(self) -> list[dict[str, Any]]: ...

    async def get(self, endpoint_id: str) -> dict[str, Any] | None: ...

    async def update(self, endpoint_id: str, changes: dict[str, Any]) -> dict[str, Any] | None: ...

    async def delete(self, endpoint_id: str) -> bool: ...

    async def deliveries(self, endpoint_id: str, limit: int) -> list[dict[str, Any]]: ...

    async def redeliver(self, endpoint_id: str, event_types: Sequence[str], events: Sequence[Event]) -> int: ...

    async def disabled_count(self) -> int: ...
