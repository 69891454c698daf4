"""The relay: publishes committed events, in global order, from the PostgreSQL event store to a Redis stream.

One job per module:

- ``settings``   ``RelaySettings`` (tuning) and ``RelayStatus`` (what ``/ready`` reports)
- ``election``   one active relay: a PostgreSQL session advisory lock, taken over when its holder dies or freezes
- ``publisher``  copies what the stream lacks from the store, idempotently, in position order, without gaps
- ``trimmer``    trims the stream by length and/or age, never below what a consumer group still needs
- ``loop``       ``Relay``: campaigns, and while leading wakes on NOTIFY (or polls), publishes and trims

A brief overlap of two leaders is harmless: explicit entry IDs make the second publisher's entries no-ops.
"""

from .election import LeadershipLost
from .loop import Relay
from .publisher import StreamLost, StreamPublisher
from .settings import RELAY_LOCK, RelaySettings, RelayStatus
from .trimmer import StreamTrimmer

__all__ = [
    "RELAY_LOCK",
    "LeadershipLost",
    "Relay",
    "RelaySettings",
    "RelayStatus",
    "StreamLost",
    "StreamPublisher",
    "StreamTrimmer",
]
