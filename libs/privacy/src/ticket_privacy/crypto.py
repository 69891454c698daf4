"""AES-256-GCM for one value, and for wrapping data keys with the key-encryption key.

A sealed value is ``{"$enc": "v1:<key-id>:<base64 of nonce + ciphertext + tag>"}``. Its associated data is the
event id and the field name, so a value copied into another event or field does not open (:class:`Tampered`).
"""

from __future__ import annotations

import base64
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MARK = "$enc"
VERSION = "v1"
NONCE = 12
KEY_BYTES = 32


class Tampered(ValueError):
    """A sealed value does not open with its key: altered, or moved from another event or field."""


def associated_data(event_id: str, field: str) -> bytes:
    return f"{VERSION}\x1f{event_id}\x1f{field}".encode()


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def seal(cipher: AESGCM, key_id: str, text: str, aad: bytes) -> dict[str, str]:
    nonce = os.urandom(NONCE)
    blob = nonce + cipher.encrypt(nonce, text.encode(), aad)
    return {MARK: f"{VERSION}:{key_id}:{base64.b64encode(blob).decode()}"}


def sealed_parts(value: Any) -> tuple[str, bytes] | None:
    """(key id, blob) of a sealed value; None for anything else."""
    if not isinstance(value, dict) or len(value) != 1 or not isinstance(token := value.get(MARK), str):
        return None
    version, _, rest = token.partition(":")
    key_id, _, encoded = rest.partition(":")
    if version != VERSION or not key_id or not encoded:
        raise Tampered(f"unknown sealed value format {version!r}")
    return key_id, base64.b64decode(encoded)


def open_sealed(cipher: AESGCM, blob: bytes, aad: bytes) -> str:
    try:
        return cipher.decrypt(blob[:NONCE], blob[NONCE:], aad).decode()
    except InvalidTag:
        raise Tampered("a sealed value does not open with its key for this event and field") from None


def wrap(kek: AESGCM, key_id: str, key: bytes) -> bytes:
    nonce = os.urandom(NONCE)
    return nonce + kek.encrypt(nonce, key, f"subject-key\x1f{key_id}".encode())


def unwrap(kek: AESGCM, key_id: str, wrapped: bytes) -> bytes:
    try:
        return kek.decrypt(wrapped[:NONCE], wrapped[NONCE:], f"subject-key\x1f{key_id}".encode())
    except InvalidTag:
        raise Tampered(
            f"data key {key_id} does not unwrap: PERSONAL_DATA_KEY is not the key it was made with"
        ) from None
