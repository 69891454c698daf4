"""A PostgreSQL read model with a day of tickets projected, for the query API's integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from tests.support.scenarios import Ticket, busy_day, interleaved
from ticket_eventstore.postgres import create_pool
from ticket_projector.projector import Projector
from ticket_readmodel.postgres import PostgresReadModel


@dataclass(frozen=True)
class BusyDay:
    read_model: PostgresReadModel  # through its own pool, open for the test
    tickets: list[Ticket]


@pytest.fixture
async def busy(database_url: str) -> AsyncIterator[BusyDay]:
    pool = await create_pool(database_url, max_size=2)
    try:
        model = PostgresReadModel(pool, "read_model")
        await model.migrate()
        tickets = busy_day()
        await Projector(model).apply(interleaved(tickets))
        yield BusyDay(model, tickets)
    finally:
        await pool.close()
