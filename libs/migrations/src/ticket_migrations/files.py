"""The migration files of a component: ``NNN_name.sql``, shipped as package data."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

_FILE = re.compile(r"^(\d{3})_(\w+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def load(package: str, folder: str) -> list[Migration]:
    """The migrations of ``folder`` in ``package``, in version order: ``load("ticket_eventstore", "sql/sqlite")``."""
    root: Traversable = resources.files(package)
    for part in folder.split("/"):
        root = root / part
    found = []
    for entry in root.iterdir():
        match = _FILE.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text()))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"two migrations of {package}/{folder} have the same number: {sorted(versions)}")
    return sorted(found, key=lambda m: m.version)
