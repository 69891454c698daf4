"""Checks every event store adapter makes before it writes."""

from __future__ import annotations

from collections.abc import Sequence

from ticket_workflow import Event


def check_versions(stream_id: str, expected_version: int, events: Sequence[Event]) -> None:
    """Events must belong to ``stream_id`` and continue it without gaps from ``expected_version``."""
    for offset, event in enumerate(events, start=1):
        if event.stream_id != stream_id or event.version != expected_version + offset:
            raise ValueError(
                f"event {offset} must be version {expected_version + offset} of {stream_id!r}, "
                f"got version {event.version} of {event.stream_id!r}"
            )
