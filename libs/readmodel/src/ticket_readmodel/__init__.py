"""The read models of the support-ticket platform: what the projector writes and the query API reads.

- ``projection``  pure projection functions: an event and the current row in, the change out
- ``read_model``  the ReadModel port: ticket queries and search, pages, the staff directory
- ``stats``       stats by the viewer's time zone, folded from quarter-hour counters
- ``mapping``     the one mapping between a ticket's state and its stored row (and the history's, the people's)
- ``queries``     the SQL both adapters run; ``listing`` the keyset-paginated ticket list
- ``digest``      a content hash, to prove a rebuild equals incremental processing
- ``postgres``    the PostgreSQL adapter (a schema of its own), ``bulk`` its multi-row writes
- ``sqlite``      its embedded twin on the shared SQLite file
Schemas: ``sql/postgres`` and ``sql/sqlite``, applied by :mod:`ticket_migrations`.
"""
