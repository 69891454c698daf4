"""The key store port: one data key per data subject, kept wrapped by the key-encryption key.

A subject has at most one active key; erasing the subject destroys it (the wrapped bytes are removed, the row
keeps its id, subject and time of destruction). Data the subject gives afterwards gets a new key.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

ERASED_REQUEST = "erased"  # the request hash of a scrubbed Idempotency-Key record: a retry of it is refused
Scrub = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class SubjectKey:
    key_id: str
    subject: str
    wrapped: bytes | None  # None once destroyed
    created_at: datetime | None = None
    destroyed_at: datetime | None = None

    @property
    def destroyed(self) -> bool:
        return self.wrapped is None


class KeyStore(Protocol):
    async def migrate(self) -> None:
        """Create or update the ``subject_keys`` table."""
        ...

    async def active_key(self, subject: str) -> SubjectKey | None:
        """The subject's key that is not destroyed, if any."""
        ...

    async def add_key(self, key: SubjectKey) -> SubjectKey:
        """Store ``key`` unless the subject already has an active key; returns the subject's active key."""
        ...

    async def keys(self, key_ids: Collection[str]) -> dict[str, SubjectKey]:
        """The keys of these ids that exist (destroyed ones included)."""
        ...

    async def subject_keys(self, subject: str) -> list[SubjectKey]:
        """Every key the subject ever had, oldest first."""
        ...

    async def destroy(self, subject: str) -> list[str]:
        """Destroy the subject's active key; returns the ids destroyed now (none when there was none)."""
        ...

    async def tickets_of(self, subject: str) -> list[str]:
        """The ids of the tickets whose requester is ``subject``, oldest first (from the event store's table)."""
        ...

    async def scrub_responses(self, ticket_ids: Collection[str], scrub: Scrub) -> int:
        """Rewrite the recorded Idempotency-Key answers about these tickets with ``scrub``, and forget the
        fingerprints of their requests (:data:`ERASED_REQUEST`); returns how many were rewritten."""
        ...
