"""The reference library: the same work done with ``eventsourcing`` and its PostgreSQL persistence, in-process.

Runs in bench/.venv-es (bench/requirements-es.txt), never in the product's environment. ``--threads`` threads
create ticket aggregates for ``--seconds``, then assign the tickets they created for ``--seconds``; the last line
printed is JSON with creates/s and assigns/s. No HTTP, no authentication: the library's own cost only.

    bench/.venv-es/bin/python bench/es_app.py --url postgresql://postgres@127.0.0.1:5432/scratch
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Callable
from urllib.parse import unquote, urlsplit
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event


class Ticket(Aggregate):
    @event("Created")
    def __init__(self, subject: str, priority: str) -> None:
        self.subject = subject
        self.priority = priority
        self.assignee: str | None = None

    @event("Assigned")
    def assign(self, assignee: str) -> None:
        self.assignee = assignee


class HelpDesk(Application[UUID]):
    def open(self, subject: str, priority: str) -> UUID:
        ticket = Ticket(subject, priority)
        self.save(ticket)
        return ticket.id

    def assign(self, ticket_id: UUID, assignee: str) -> None:
        ticket: Ticket = self.repository.get(ticket_id)
        ticket.assign(assignee)
        self.save(ticket)


def environment(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parts.path.lstrip("/"),
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "CREATE_TABLE": "true",
    }


Step = Callable[[int, list[UUID]], bool]


def run_phase(threads: int, seconds: float, work: list[list[UUID]], step: Step) -> tuple[int, float]:
    """Each thread calls ``step(i, mine)`` until time is up or it returns False; (calls, elapsed seconds)."""
    counts = [0] * threads
    errors: list[BaseException] = []
    deadline = time.monotonic() + seconds

    def worker(index: int) -> None:
        try:
            while time.monotonic() < deadline and step(index, work[index]):
                counts[index] += 1
        except BaseException as exc:
            errors.append(exc)

    began = time.monotonic()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    if errors:
        raise errors[0]
    return sum(counts), time.monotonic() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True, help="a scratch PostgreSQL database")
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0, help="per phase (creates, then assigns)")
    args = parser.parse_args()
    desk = HelpDesk(env=environment(args.url))
    created: list[list[UUID]] = [[] for _ in range(args.threads)]

    def create(index: int, mine: list[UUID]) -> bool:
        mine.append(desk.open("Printer on fire", "normal"))
        return True

    def assign(index: int, mine: list[UUID]) -> bool:
        if not mine:
            return False
        desk.assign(mine.pop(), "bob")
        return True

    creates, create_seconds = run_phase(args.threads, args.seconds, created, create)
    assigns, assign_seconds = run_phase(args.threads, args.seconds, created, assign)
    desk.close()
    print(
        json.dumps(
            {
                "threads": args.threads,
                "creates": creates,
                "creates_per_s": creates / create_seconds,
                "assigns": assigns,
                "assigns_per_s": assigns / assign_seconds,
            }
        )
    )


if __name__ == "__main__":
    main()
