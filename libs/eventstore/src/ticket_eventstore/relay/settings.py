"""The relay's tuning (``RelaySettings``) and what it reports to ``/ready`` (``RelayStatus``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..stream import DEFAULT_STREAM

RELAY_LOCK = 0x5EED_0003  # the PostgreSQL advisory lock whose holder publishes


@dataclass(frozen=True)
class RelaySettings:
    stream: str = DEFAULT_STREAM
    batch_size: int = 500
    poll_interval: float = 1.0  # seconds between rounds when no notification arrives
    election_interval: float = 2.0  # seconds between a standby's attempts to take the lock
    max_backoff: float = 5.0  # ceiling of the retry delay while Redis or Postgres fail
    trim_max_len: int | None = None  # keep at most this many of the latest positions
    trim_max_age: float | None = None  # seconds: drop entries of events older than this
    trim_interval: float = 60.0
    lock_key: int = RELAY_LOCK
    leader_idle_timeout: float = 15.0  # seconds: the server ends a lock session silent this long (a frozen leader)


@dataclass
class RelayStatus:
    """What ``/ready`` reports about the relay of this process."""

    running: bool = False
    leader: bool = False
    published_position: int = 0  # the stream's last entry, as last seen by the leader
    store_position: int = 0
    last_error: str | None = None
    last_round_at: datetime | None = None
    behind_seconds: float = 0.0  # age of the oldest event not yet published, at the last round (0: caught up)
    rounds_failed: int = 0  # rounds that failed since the start (Redis or the store unreachable)

    @property
    def lag(self) -> int:
        return max(0, self.store_position - self.published_position)

    def as_dict(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "role": "leader" if self.leader else "standby",
            "published_position": self.published_position,
            "store_position": self.store_position,
            "lag": self.lag if self.leader else None,
            "last_error": self.last_error,
            "last_round_at": self.last_round_at.isoformat() if self.last_round_at else None,
        }
