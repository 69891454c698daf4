"""When a failed delivery is tried again: the configured schedule, each delay with ±20 % jitter so that the
deliveries that failed together do not all come back at once."""

from __future__ import annotations

import random
from collections.abc import Sequence

JITTER = 0.2


def retry_delay(failed_attempts: int, schedule: Sequence[float], rng: random.Random | None = None) -> float | None:
    """Seconds before the next attempt after ``failed_attempts`` failures, or None when none is left."""
    if failed_attempts < 1:
        raise ValueError("a delay follows a failed attempt")
    if failed_attempts > len(schedule):
        return None
    base = schedule[failed_attempts - 1]
    return base * (1 + JITTER * (2 * (rng or random).random() - 1))


def attempts_of(schedule: Sequence[float]) -> int:
    """How many attempts a delivery gets: the first and one per delay."""
    return len(schedule) + 1
