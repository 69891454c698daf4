"""Unique test data, so that no two tests share state."""

from __future__ import annotations

import uuid


def random_suffix() -> str:
    return uuid.uuid4().hex[:12]


def ticket_id() -> str:
    return str(uuid.uuid4())


def user(prefix: str = "user") -> str:
    return f"{prefix}-{random_suffix()}"
