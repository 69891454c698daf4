"""Versioned SQL migrations, one runner per database, and the SQLite file the embedded stores share.

Each component (the event store, each read model) ships numbered ``NNN_name.sql`` files as package data, one
folder per database (``sql/postgres``, ``sql/sqlite``); applied versions are recorded in ``schema_migrations``
by component.

- ``files``     :class:`Migration` and :func:`load`: the files of a component
- ``postgres``  applies them under a session advisory lock, safe when several processes migrate at once
- ``sqlite``    :class:`SqliteDatabase` (one connection, one lock) and applies them on it
"""

from .files import Migration, load

__all__ = ["Migration", "load"]
