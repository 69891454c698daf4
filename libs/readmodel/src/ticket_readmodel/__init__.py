"""The read models of the support-ticket platform: what the projector writes and the query API reads.

- ``projection``  pure projection functions: an event and the current row in, the change out
- ``read_model``  the ReadModel port: ticket queries and search, pages, the staff directory, stats by time zone
- ``listing``     keyset-paginated list queries shared by both adapters
- ``digest``      a content hash, to prove a rebuild equals incremental processing
- ``postgres``    the PostgreSQL adapter (a schema of its own, versioned migrations in ``sql/postgres``)
- ``sqlite``      its embedded twin on the shared SQLite file
"""
