"""Latency of typical ticket-list queries on ~1,000,000 tickets (the query API's GET /api/support-ticket).

Creates a fresh database, migrates the read model, fills it with generate_series, then runs each query
through the same adapter the query API uses and prints p50/p95. Not part of the test suite.

    .venv/bin/python bench/list_tickets.py --url postgresql://postgres@127.0.0.1:5432/postgres [--rows 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from ticket_eventstore.postgres import create_pool
from ticket_readmodel.postgres import PostgresReadModel
from ticket_readmodel.read_model import TicketQuery

FILL = """
INSERT INTO read_model.tickets (
    id, version, place, marking, subject, description, priority, priority_rank, requester, assignee, messages,
    message_count, escalation_reason, resolution, reopen_count, created_at, updated_at, first_response_at,
    resolved_at, closed_at, last_position, search_public, search_staff)
SELECT md5(g::text)::uuid::text, 3, p.place, jsonb_build_object(p.place, 1), s.subject,
       '', (ARRAY['low', 'normal', 'high', 'urgent'])[1 + (g / 7) % 4], (g / 7) % 4,
       'customer-' || (g % 50000), CASE WHEN p.place = 'new' THEN NULL ELSE 'agent-' || (g % 200) END,
       '[]', 0, NULL, NULL, 0,
       timestamptz '2024-01-01' + g * interval '1 minute',
       timestamptz '2024-01-01' + g * interval '1 minute' + (g % 1000) * interval '1 hour',
       timestamptz '2024-01-01' + g * interval '1 minute' + interval '10 minutes', NULL, NULL, g,
       -- what projection.search_texts writes: requester, assignee, subject (description and conversation empty)
       lower(concat_ws(E'\x1f', 'customer-' || (g % 50000),
                       CASE WHEN p.place = 'new' THEN '' ELSE 'agent-' || (g % 200) END, s.subject, '')),
       CASE WHEN g % 10 = 0 THEN 'note ' || g ELSE '' END
FROM generate_series(1, $1) AS g,
     LATERAL (SELECT (ARRAY['new', 'assigned', 'in_progress', 'escalated', 'pending_customer', 'resolved',
                            'closed'])[1 + g % 7] AS place) AS p,
     LATERAL (SELECT (ARRAY['Printer on fire', 'VPN drops', 'Password reset', 'Invoice wrong', 'Laptop slow'])
                     [1 + g % 5] || ' #' || g AS subject) AS s
"""

QUERIES: dict[str, dict[str, object]] = {
    "newest first (default)": {},
    "triage queue: place=new, -updated": {"place": "new", "sort": "-updated"},
    "my tickets: assignee, -updated": {"assignee": "agent-7", "sort": "-updated"},
    "customer view: requester": {"requester": "customer-123"},
    "priority=urgent": {"priority": "urgent"},
    "sort=-priority": {"sort": "-priority"},
    "text search q=printer": {"text": "printer"},
    "q=printer, staff (notes too)": {"text": "printer", "include_notes": True},
    "q=#<id prefix> (8 characters)": {"text": "#c4ca4238"},
    "q=rare word (no match)": {"text": "zebra"},
    "q=ab (two characters)": {"text": "ab"},
    "place=in_progress, priority sort": {"place": "in_progress", "sort": "-priority"},
}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    name = f"bench_list_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(args.url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(args.url)._replace(path="/" + name))
    try:
        pool = await create_pool(url, max_size=2)
        read_model = PostgresReadModel(pool, "read_model")
        await read_model.migrate()
        started = time.perf_counter()
        await pool.execute(FILL, args.rows)
        await pool.execute("ANALYZE read_model.tickets")
        print(f"loaded {args.rows:,} tickets in {time.perf_counter() - started:.1f}s")
        print(f"{'query':<40} {'p50 ms':>8} {'p95 ms':>8}   (limit 25, first page and page 2 via cursor)")
        for label, filters in QUERIES.items():
            samples = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                page = await read_model.list_tickets(TicketQuery(**filters))  # type: ignore[arg-type]
                if page.next_cursor:
                    await read_model.list_tickets(TicketQuery(**filters, cursor=page.next_cursor))  # type: ignore[arg-type]
                samples.append((time.perf_counter() - t0) * 1000 / 2)
            p95 = statistics.quantiles(samples, n=20)[18]
            print(f"{label:<40} {statistics.median(samples):>8.2f} {p95:>8.2f}")
        await pool.close()
    finally:
        if not args.keep:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
