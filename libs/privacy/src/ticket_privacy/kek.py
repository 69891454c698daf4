"""The key-encryption key: ``PERSONAL_DATA_KEY``, base64 of 32 random bytes (``openssl rand -base64 32``).

Required, with a clear error at startup, unless in debug mode (``DEBUG=true``, ``make run``), where a development
key derived from a public constant is used and a warning says so (the key itself is never logged).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os

ENVIRONMENT = "PERSONAL_DATA_KEY"
DEVELOPMENT_KEY = hashlib.sha256(b"support-ticket: public development key for personal data").digest()

log = logging.getLogger("ticket_privacy")


class MissingDataKey(RuntimeError):
    """No usable key-encryption key outside debug mode."""


def key_encryption_key(value: str | None = None, *, debug: bool = False) -> bytes:
    """The key from ``value`` (default: the environment), or the development key in debug mode."""
    value = os.environ.get(ENVIRONMENT) if value is None else value
    if not value:
        if not debug:
            raise MissingDataKey(
                f"{ENVIRONMENT} is not set: personal data needs a key-encryption key, base64 of 32 random bytes "
                "(openssl rand -base64 32); DEBUG=true uses a development key instead"
            )
        log.warning("%s is not set: personal data is sealed with the public development key (debug mode)", ENVIRONMENT)
        return DEVELOPMENT_KEY
    try:
        key = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise MissingDataKey(f"{ENVIRONMENT} is not valid base64") from None
    if len(key) != 32:
        raise MissingDataKey(f"{ENVIRONMENT} must decode to 32 bytes, got {len(key)}")
    return key
