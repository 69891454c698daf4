"""What a service adds to the shell's registry: gauges read at scrape time, the pools once per app however many
installs ask, and values refreshed by a task that outlives a failed read and stops with the app."""

from __future__ import annotations

import asyncio

from prometheus_client.core import GaugeMetricFamily

from tests.support.command_api import serving
from tests.support.metrics import Pool, scrape, value
from ticket_service.metrics import ScrapeCollector, refreshing, registry_of, watch_pools
from ticket_service.shell import add_lifespan, create_shell


async def test_gauges_read_at_scrape_time_and_the_pools_once_per_app() -> None:
    app = create_shell(title="shell", version="0")
    level = {"now": 1.0}
    registry_of(app).register(ScrapeCollector(lambda: [GaugeMetricFamily("level", "a level", value=level["now"])]))
    pools = [Pool("read_model", 3, 10, 2, 0), Pool("event_store", 1, 2, 1, 4)]
    watch_pools(app, lambda: pools)
    watch_pools(app, lambda: pools)  # a second install (the embedded app's) adds nothing
    async with serving(app) as client:
        samples = await scrape(client)
        assert value(samples, "level") == 1
        assert value(samples, "ticket_db_pool_connections", pool="read_model") == 3
        assert value(samples, "ticket_db_pool_connections_max", pool="read_model") == 10
        assert value(samples, "ticket_db_pool_connections_in_use", pool="read_model") == 2
        assert value(samples, "ticket_db_pool_acquires_waiting", pool="event_store") == 4
        level["now"], pools[1].waiting = 5.0, 0
        samples = await scrape(client)
        assert value(samples, "level") == 5
        assert value(samples, "ticket_db_pool_acquires_waiting", pool="event_store") == 0


async def test_a_refresh_runs_at_once_then_again_after_a_failure_and_stops_with_the_app() -> None:
    app = create_shell(title="shell", version="0")
    calls: list[int] = []
    again = asyncio.Event()

    async def refresh() -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise ConnectionError("the database is down")
        again.set()

    add_lifespan(app, refreshing(refresh, 0.01))
    async with serving(app):
        async with asyncio.timeout(5):
            await again.wait()
    stopped = len(calls)
    await asyncio.sleep(0.05)
    assert len(calls) == stopped >= 2
