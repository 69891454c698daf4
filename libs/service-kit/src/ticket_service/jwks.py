"""The identity provider's signing keys (JWKS), fetched rarely.

Keys are kept by ``kid``. A token naming a ``kid`` the set does not hold (a rotated key, or a forged one) may
trigger a refetch, but at most one per ``refresh_floor`` seconds for all tokens together: until then the unknown
``kid`` is refused from memory, so a flood of made-up ``kid`` values costs the provider nothing. A failed fetch
is remembered for ``retry_seconds``, so a provider that is down is not asked once per request either.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import jwt

REFRESH_FLOOR = 60.0  # seconds between two fetches: at most one a minute
RETRY_SECONDS = 5.0  # after a failed fetch, 503 without asking again for this long
FETCH_TIMEOUT = 5.0


class KeysNeeded(Exception):
    """Verifying this token needs a fetch from the provider (the caller moves it off the event loop)."""


class UnknownKey(Exception):
    """The token is not signed by a published key: a 401."""


class KeysUnavailable(Exception):
    """The provider's keys cannot be fetched: a 503, since the token may well be valid."""


class JwksCache:
    def __init__(
        self,
        url: str,
        *,
        refresh_floor: float = REFRESH_FLOOR,
        retry_seconds: float = RETRY_SECONDS,
        timeout: float = FETCH_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = jwt.PyJWKClient(url, cache_keys=False, cache_jwk_set=False, timeout=timeout)
        self._floor, self._retry, self._clock = refresh_floor, retry_seconds, clock
        self._keys: dict[str | None, Any] = {}
        self._next_fetch = 0.0  # monotonic time before which no fetch happens
        self._failure: str | None = None
        self._fetching = threading.Lock()  # one fetch at a time; the others wait for its keys
        self.fetches = 0

    def key_for(self, token: str, *, may_fetch: bool = True) -> Any:
        """The public key that signed ``token``; :class:`KeysNeeded` when only a fetch can tell and ``may_fetch``
        is false; :class:`UnknownKey` for an unknown ``kid``; :class:`KeysUnavailable` when the keys cannot be had."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise UnknownKey(str(exc)) from None
        if not isinstance(kid, str | None):
            raise UnknownKey("`kid` must be a string")
        key = self._known(kid)
        if key is not None:
            return key
        if self._clock() >= self._next_fetch:
            if not may_fetch:
                raise KeysNeeded
            with self._fetching:
                if self._clock() >= self._next_fetch:  # not fetched meanwhile by another thread
                    self._fetch()
            key = self._known(kid)
            if key is not None:
                return key
        if self._failure is not None:
            raise KeysUnavailable(self._failure)
        raise UnknownKey("no published signing key has this `kid`")

    def _known(self, kid: str | None) -> Any:
        keys = self._keys
        if kid is None and len(keys) == 1:
            return next(iter(keys.values()))
        return keys.get(kid) if kid is not None else None

    def _fetch(self) -> None:
        self.fetches += 1
        try:
            signing = self._client.get_signing_keys(refresh=True)
        except (jwt.PyJWKClientConnectionError, ValueError) as exc:  # unreachable, or not JSON
            self._failure = str(exc)
            self._next_fetch = self._clock() + self._retry
            return
        except jwt.PyJWTError:  # a set without a usable signing key: no token can be checked against it
            signing = []
        self._keys = {key.key_id: key.key for key in signing}
        self._failure = None
        self._next_fetch = self._clock() + self._floor
