"""Event store adapters, migrations, the Redis stream contract and the relay.

- ``postgres``    the PostgreSQL event store (global positions in commit order)
- ``sqlite``      its embedded twin on one SQLite file
- ``migrations``  the store's versioned SQL files (``sql/postgres``, ``sql/sqlite``), run by ``ticket_migrations``
- ``stream``      the stream entry format published to Redis
- ``relay``       publishes committed events to the stream, one active relay at a time
"""
