"""What an operator does to the projection: status, retry after a fix, skip a poison event, rebuild.

The same :class:`Operations` serves the admin API (``ticket_projector.admin``) in a projector replica or the
embedded app, and the CLI in a process of its own. Everything lives in the database, so any replica or the CLI may
act: a retry clears the recorded halt and a skip moves the checkpoint past the event, and each running projector
sees that in its supervisor round (:mod:`ticket_projector.runtime`); the replica that took the request is told at
once (:class:`Local`). Rebuilds record their progress in the read model and hold a lock while they run
(:mod:`ticket_projector.rebuilds`).
"""

from __future__ import annotations

import contextlib
import getpass
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import asyncpg
import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from ticket_eventstore import stream
from ticket_eventstore.postgres import PostgresEventStore, create_pool
from ticket_eventstore.relay.settings import RELAY_LOCK
from ticket_privacy import MissingDataKey, Privacy, key_encryption_key
from ticket_privacy.postgres import PostgresKeyStore
from ticket_readmodel.alerts import Alert, AlertLog
from ticket_readmodel.alerts_postgres import PostgresAlertLog
from ticket_readmodel.operations import NotHalted, PositionMismatch, ProjectionLog, Skip
from ticket_readmodel.postgres import PostgresReadModel
from ticket_readmodel.read_model import Halt, ReadModel
from ticket_workflow import Event
from ticket_workflow.ports import EventStore, StoreUnavailable

from .erasure import Opener
from .rebuilds import PostgresRebuilder, Rebuilder, Refused, lock_held
from .runtime import Runtime
from .settings import ProjectorSettings
from .sla_timer import SLA_TIMER_LOCK, SlaTimer

__all__ = [
    "PROJECTION",
    "Local",
    "Operations",
    "Refused",
    "TimerWatch",
    "Transport",
    "connected",
    "default_actor",
    "for_runtime",
]

log = logging.getLogger("ticket_projector.operations")

PROJECTION = "tickets"  # the one projection, by the name the admin API gives it
SKIPS_SHOWN = 20


class Local(Protocol):
    """The projection running in this process, told at once of what an operator did."""

    def state(self) -> str:
        """running, starting, retrying or halted, as this process sees it."""
        ...

    def halt(self) -> Halt | None: ...

    async def resume(self, *, retry: bool) -> None:
        """Try the halted event again now (``retry``), or go on past it (after a skip)."""
        ...


@dataclass(frozen=True)
class Transport:
    """The Redis stream and consumer group the projector reads."""

    redis: aioredis.Redis
    stream: str
    group: str


@dataclass(frozen=True)
class TimerWatch:
    """Where the status finds the service-level timer: its alerts, their stream, its lock, this process's timer."""

    alerts: AlertLog
    stream: str | None = None  # where the alerts are published; None: nowhere (the embedded mode)
    lock_pool: asyncpg.Pool | None = None  # the read model's PostgreSQL, where the replicas' timer holds its lock
    timer: SlaTimer | None = None  # this process's timer; None: it runs none (the CLI, or SLA_TIMER_ENABLED=false)


@dataclass
class Operations:
    log: ProjectionLog
    read_model: ReadModel
    store: EventStore
    rebuilder: Rebuilder
    sla: TimerWatch
    transport: Transport | None = None  # None in the embedded mode: no relay, no consumer group
    store_pool: asyncpg.Pool | None = None  # the event store's PostgreSQL, where the relay holds its lock
    local: Local | None = None
    opener: Opener | None = None  # opens the halted event's personal values for the admin (else shown sealed)

    async def status(self) -> dict[str, Any]:
        """The whole picture: the store, the relay, the consumer group, the projection and the service-level timer."""
        position = await self.store.last_position()
        return {
            "success": True,
            "generated_at": _now().isoformat(),
            "store_position": position,
            "relay": await self._relay(position),
            "consumer_group": await self._group(),
            "projections": [await self.projection(position)],
            "sla_timer": await self.sla_timer(),
        }

    async def sla_timer(self) -> dict[str, Any]:
        """Who raises the service-level alerts, this process's last round, and the alerts' outbox."""
        watch = self.sla
        status = watch.timer.status if watch.timer is not None else None
        here = status.leader if status is not None else None
        leader = await lock_held(watch.lock_pool, SLA_TIMER_LOCK) if watch.lock_pool is not None else bool(here)
        outbox = await watch.alerts.outbox()
        published = watch.stream is not None
        round_at = status.last_round_at if status is not None else None
        return {
            "leader": leader,
            "leading_here": here,
            "last_round_at": round_at.isoformat() if round_at is not None else None,
            "last_error": status.last_error if status is not None else None,
            "stream": watch.stream,
            "unpublished": outbox.unpublished if published else None,
            "last_raised": _alert(outbox.last_raised),
            "last_published": _alert(outbox.last_published) if published else None,
        }

    async def projection(self, store_position: int | None = None) -> dict[str, Any]:
        position = await self.store.last_position() if store_position is None else store_position
        checkpoint = await self.read_model.checkpoint()
        halt = await self.read_model.recorded_halt()
        rebuild = await self.rebuilder.progress()
        if rebuild is not None and rebuild.state == "running":
            state = "rebuilding"
        elif halt is not None:
            state = "halted"
        else:
            state = self.local.state() if self.local is not None else "running"
            halt = self.local.halt() if state == "halted" and self.local is not None else None
        return {
            "name": PROJECTION,
            "status": state,
            "checkpoint": checkpoint,
            "behind_positions": max(0, position - checkpoint),
            "behind_seconds": await self._age_after(checkpoint, position),
            "halt": await self._halt(halt) if halt is not None else None,
            "rebuild": rebuild.model_dump(mode="json") if rebuild is not None else None,
            "skipped": [s.model_dump(mode="json") for s in await self.log.skips(SKIPS_SHOWN)],
        }

    async def retry(self, actor: str | None = None) -> dict[str, Any]:
        """Forget the halt and try its event again (it halts again if the cause is still there)."""
        cleared = await self.log.clear_halt()
        if cleared is None and (self.local is None or self.local.halt() is None):
            raise Refused(409, "not_halted", "the projection is not halted: there is nothing to retry")
        position = cleared.position if cleared is not None else None
        log.warning("retry of the event at position %s asked by %s", position, actor or "an operator")
        if self.local is not None:
            await self.local.resume(retry=True)
        return await self.projection()

    async def skip(self, position: int, reason: str, actor: str) -> dict[str, Any]:
        """Record the halted event at ``position`` as skipped by ``actor`` and go on past it."""
        if await self.rebuilder.running():
            raise Refused(409, "rebuild_running", "a rebuild is running: skip after it has finished")
        halt = await self.read_model.recorded_halt()
        event = await self._event_at(position) if halt is not None and halt.position == position else None
        try:
            await self.log.skip(
                Skip(
                    position=position,
                    event_id=event.id if event is not None else "",
                    event_type=event.type if event is not None else (halt.event_type if halt else ""),
                    ticket_id=event.stream_id if event is not None else (halt.ticket_id if halt else ""),
                    actor=actor,
                    reason=reason,
                    skipped_at=_now(),
                )
            )
        except NotHalted:
            raise Refused(409, "not_halted", "the projection is not halted: there is nothing to skip") from None
        except PositionMismatch as exc:
            raise Refused(
                409, "position_mismatch", f"{exc}; reload and look again", halt_position=exc.halt.position
            ) from None
        log.warning("event at position %d skipped by %s: %s", position, actor, reason)
        if self.local is not None:
            await self.local.resume(retry=False)
        return await self.projection()

    async def rebuild(self, actor: str | None) -> dict[str, Any]:
        """Start a rebuild in the background; 409 ``rebuild_running`` while one runs anywhere."""
        await self.rebuilder.start(actor)
        log.warning("rebuild started by %s", actor or "an operator")
        return await self.projection()

    async def _halt(self, halt: Halt) -> dict[str, Any]:
        event = await self._event_at(halt.position)
        if event is not None and self.opener is not None:
            try:  # the admin reads the event as the projection would; one that cannot be opened is shown sealed
                [event] = await self.opener.open([event])
            except Exception as exc:  # the event may halt the projection for this very reason
                log.warning("the halted event at position %d could not be opened: %s", halt.position, exc)
        return halt.model_dump(mode="json") | {"event": event.model_dump(mode="json") if event else None}

    async def _event_at(self, position: int) -> Event | None:
        found = await self.store.read_all(position - 1, 1) if position > 0 else []
        return found[0] if found and found[0].position == position else None

    async def _age_after(self, done: int, last: int) -> float:
        """Seconds since the first event after ``done`` was stored (0 when nothing is after it)."""
        if last <= done:
            return 0.0
        found = await self.store.read_all(done, 1)
        return max(0.0, (_now() - found[0].timestamp).total_seconds()) if found else 0.0

    async def _relay(self, position: int) -> dict[str, Any] | None:
        if self.transport is None:
            return None
        published = 0
        try:
            info: Any = await self.transport.redis.xinfo_stream(self.transport.stream)
            last = info.get("last-generated-id", info.get(b"last-generated-id"))
            published = stream.position_of(last) if last else 0
        except ResponseError:  # no stream yet
            published = 0
        except RedisError as exc:
            raise StoreUnavailable(f"Redis is unreachable: {exc}") from None
        leader = await lock_held(self.store_pool, RELAY_LOCK) if self.store_pool is not None else False
        return {
            "stream": self.transport.stream,
            "leader": leader,
            "published_position": published,
            "behind_positions": max(0, position - published),
            "behind_seconds": await self._age_after(published, position),
        }

    async def _group(self) -> dict[str, Any] | None:
        if self.transport is None:
            return None
        found = {"name": self.transport.group, "pending": 0, "consumers": 0}
        try:
            groups: Any = await self.transport.redis.xinfo_groups(self.transport.stream)
        except ResponseError:
            return found
        except RedisError as exc:
            raise StoreUnavailable(f"Redis is unreachable: {exc}") from None
        for group in groups:
            name = group.get("name", group.get(b"name"))
            if (name.decode() if isinstance(name, bytes) else name) == self.transport.group:
                found["pending"] = int(group.get("pending", group.get(b"pending", 0)))
                found["consumers"] = int(group.get("consumers", group.get(b"consumers", 0)))
        return found


@contextlib.asynccontextmanager
async def connected(settings: ProjectorSettings, *, content_hash: bool = False) -> AsyncIterator[Operations]:
    """The operations on the database and Redis of ``settings``, from a process of its own (the CLI)."""
    pool = await create_pool(settings.database_url, max_size=2)
    store_pool = pool if settings.store_url == settings.database_url else await create_pool(settings.store_url)
    redis = aioredis.from_url(settings.redis_url)
    read_model = PostgresReadModel(pool, settings.read_model_schema)
    try:
        await read_model.migrate()
        yield Operations(
            log=read_model.operations(),
            read_model=read_model,
            store=PostgresEventStore(store_pool),
            rebuilder=PostgresRebuilder.of(pool, settings, content_hash=content_hash),
            sla=TimerWatch(PostgresAlertLog.of(read_model), settings.sla_alert_stream, pool),
            transport=Transport(redis, settings.event_stream, settings.projector_group),
            store_pool=store_pool,
            opener=_opener(settings, store_pool),
        )
    finally:
        await redis.aclose()
        await pool.close()
        if store_pool is not pool:
            await store_pool.close()


def _opener(settings: ProjectorSettings, store_pool: asyncpg.Pool) -> Privacy | None:
    """The CLI opens personal values with the data key when it has one; without it, they are shown sealed."""
    try:
        return Privacy(key_encryption_key(debug=settings.debug), PostgresKeyStore(store_pool))
    except MissingDataKey:
        return None


def _alert(alert: Alert | None) -> dict[str, Any] | None:
    if alert is None:
        return None
    return alert.as_json() | {"published_at": alert.published_at.isoformat() if alert.published_at else None}


def default_actor() -> str:
    """Who runs the CLI: the operating system's user."""
    try:
        return getpass.getuser()
    except Exception:  # no user name in a container without a passwd entry
        return "cli"


def _now() -> datetime:
    return datetime.now(UTC)


class RuntimeLocal:
    """A projector replica (:class:`~ticket_projector.runtime.Runtime`) as :class:`Local`."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def state(self) -> str:
        r = self.runtime
        if r.projector.halt is not None:
            # Its recorded halt is gone (the caller looked): a retry was asked, here or on another replica.
            return "retrying" if r.retry_asked or r.projector.halt_recorded else "halted"
        if r.consumer.last_error or r.supervisor_error:
            return "retrying"
        return "running" if r.consuming else "starting"

    def halt(self) -> Halt | None:
        return self.runtime.projector.halt

    async def resume(self, *, retry: bool) -> None:
        self.runtime.wake(retry=retry)


def for_runtime(runtime: Runtime, timer: SlaTimer | None = None) -> Operations:
    """The operations of a started projector replica, on its connections (``timer``: the replica's own)."""
    c, s = runtime.connections, runtime.settings
    if runtime.rebuilder is None:
        raise StoreUnavailable("the projector has not started")
    return Operations(
        log=c.read_model.operations(),
        read_model=c.read_model,
        store=c.store,
        rebuilder=runtime.rebuilder,
        sla=TimerWatch(PostgresAlertLog.of(c.read_model), s.sla_alert_stream, c.pools[0], timer),
        transport=Transport(c.redis, s.event_stream, s.projector_group),
        store_pool=c.store_pool,
        local=RuntimeLocal(runtime),
        opener=c.projector.privacy,
    )
