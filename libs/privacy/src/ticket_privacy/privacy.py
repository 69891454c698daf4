"""Sealing and opening the personal fields of events, with a data key per data subject.

``seal(events, subject)`` replaces each personal value (:mod:`.fields`) by a sealed one under the subject's key
(created on first use); ``open(events)`` gives the text back, or :data:`~ticket_workflow.streams.ERASED` when the
key was destroyed. Keys are cached for ``ttl`` seconds (default :data:`KEY_TTL_SECONDS`): a key destroyed in one
process is no longer used by any other process after that long, and at once by the process that destroyed it or
that reads the erasure's event. ``ttl=0`` reads the keys at every call (the webhooks dispatcher: what it sends after
an erasure is erased).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ticket_workflow import Event
from ticket_workflow.streams import ERASED, PERSONAL_DATA_ERASED

from . import crypto
from .fields import personal_fields
from .keys import KeyStore, SubjectKey

log = logging.getLogger("ticket_privacy")

KEY_TTL_SECONDS = 5.0
_MAX_CACHED = 100_000


class KeysUnavailable(RuntimeError):
    """The key store is not open yet."""


class Privacy:
    def __init__(
        self,
        kek: bytes,
        keys: KeyStore | None = None,
        *,
        ttl: float = KEY_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._kek = AESGCM(kek)
        self.keys = keys  # set by the host once the database is open (the embedded app)
        self.ttl = ttl
        self._clock = clock
        self._ciphers: dict[str, tuple[float, str, AESGCM | None]] = {}  # key id -> (until, subject, cipher)
        self._active: dict[str, tuple[float, str]] = {}  # subject -> (until, key id)

    def store(self) -> KeyStore:
        if self.keys is None:
            raise KeysUnavailable("the key store is not open")
        return self.keys

    async def seal(self, events: Sequence[Event], subject: str) -> list[Event]:
        """``events`` with their personal values sealed under ``subject``'s key."""
        sealed: list[Event] = []
        for event in events:
            names = [f for f in personal_fields(event.type) if isinstance(event.data.get(f), str) and event.data[f]]
            if not names:
                sealed.append(event)
                continue
            key_id, cipher = await self._active_cipher(subject)
            data = dict(event.data)
            for name in names:
                data[name] = crypto.seal(cipher, key_id, data[name], crypto.associated_data(event.id, name))
            sealed.append(event.model_copy(update={"data": data}))
        return sealed

    async def open(self, events: Sequence[Event]) -> list[Event]:
        """``events`` with every sealed value opened (:data:`ERASED` where the key is destroyed). An erasure among
        them (``PersonalDataErased``) makes this process forget that subject's keys first."""
        found: list[tuple[int, str, str, bytes]] = []
        for index, event in enumerate(events):
            if event.type == PERSONAL_DATA_ERASED and isinstance(subject := event.data.get("subject"), str):
                self.forget(subject)
            for name, value in event.data.items():
                if (parts := crypto.sealed_parts(value)) is not None:
                    found.append((index, name, *parts))
        if not found:
            return list(events)
        ciphers = await self._ciphers_of({key_id for _, _, key_id, _ in found})
        opened = list(events)
        changed: dict[int, dict[str, Any]] = {}
        for index, name, key_id, blob in found:
            data = changed.setdefault(index, dict(events[index].data))
            cipher = ciphers.get(key_id)
            aad = crypto.associated_data(events[index].id, name)
            data[name] = ERASED if cipher is None else crypto.open_sealed(cipher, blob, aad)
        for index, data in changed.items():
            opened[index] = events[index].model_copy(update={"data": data})
        return opened

    async def erase(self, subject: str) -> list[str]:
        """Destroy ``subject``'s key: everything it sealed reads as :data:`ERASED` from now on."""
        destroyed = await self.store().destroy(subject)
        self.forget(subject)
        return destroyed

    def forget(self, subject: str) -> None:
        """Drop what is cached of ``subject``'s keys (another process destroyed them)."""
        self._active.pop(subject, None)
        for key_id in [k for k, (_, owner, _) in self._ciphers.items() if owner == subject]:
            del self._ciphers[key_id]

    async def _active_cipher(self, subject: str) -> tuple[str, AESGCM]:
        now = self._clock()
        cached = self._active.get(subject)
        if cached is not None and cached[0] > now:
            entry = self._ciphers.get(cached[1])
            if entry is not None and entry[0] > now and entry[2] is not None:
                return cached[1], entry[2]
        store = self.store()
        key = await store.active_key(subject)
        if key is None:
            key_id = str(uuid.uuid4())
            material = crypto.new_key()
            key = await store.add_key(SubjectKey(key_id, subject, crypto.wrap(self._kek, key_id, material)))
        cipher = self._remember(key, now)
        assert cipher is not None  # an active key has its bytes
        self._active[subject] = (now + self.ttl, key.key_id)
        return key.key_id, cipher

    async def _ciphers_of(self, key_ids: Iterable[str]) -> dict[str, AESGCM | None]:
        now = self._clock()
        result: dict[str, AESGCM | None] = {}
        missing = []
        for key_id in key_ids:
            entry = self._ciphers.get(key_id)
            if entry is not None and entry[0] > now:
                result[key_id] = entry[2]
            else:
                missing.append(key_id)
        if missing:
            stored = await self.store().keys(missing)
            for key_id in missing:
                key = stored.get(key_id)
                if key is None:
                    log.warning("data key %s is unknown: its values read as erased", key_id)
                    result[key_id] = None
                else:
                    result[key_id] = self._remember(key, now)
        return result

    def _remember(self, key: SubjectKey, now: float) -> AESGCM | None:
        if len(self._ciphers) >= _MAX_CACHED:
            self._ciphers.clear()
            self._active.clear()
        cipher = None if key.wrapped is None else AESGCM(crypto.unwrap(self._kek, key.key_id, key.wrapped))
        self._ciphers[key.key_id] = (now + self.ttl, key.subject, cipher)
        return cipher
