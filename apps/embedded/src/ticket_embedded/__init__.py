"""The embedded mode: the command routes, the query routes, the projection and the web UI in one process.

Only the adapters differ from the distributed services: the SQLite event store and read model on one file
(``DB_PATH``), and committed events handed to the projector in-process instead of through Redis.
"""
