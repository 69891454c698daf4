"""The endpoints' signing secrets at rest: AES-256-GCM under ``WEBHOOKS_SECRET_KEY`` (base64 of 32 bytes), the
endpoint's id as associated data (a sealed secret copied onto another endpoint does not open).

A secret is shown once, when its endpoint is created; it is stored only sealed and never returned again."""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# Public and only for DEBUG: anyone can open what it seals.
DEVELOPMENT_KEY = base64.b64encode(b"support-ticket-webhooks-dev-key!").decode()
VERSION = b"\x01"


class MissingSecretKey(RuntimeError):
    """No usable key: the service refuses to start (the CLI exits with status 2)."""


class Sealer:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise MissingSecretKey("WEBHOOKS_SECRET_KEY must be the base64 of 32 bytes (`openssl rand -base64 32`)")
        self._aead = AESGCM(key)

    @classmethod
    def from_setting(cls, value: str | None, *, debug: bool) -> Sealer:
        if not value:
            if not debug:
                raise MissingSecretKey(
                    "WEBHOOKS_SECRET_KEY is not set: give the base64 of 32 bytes (`openssl rand -base64 32`), "
                    "or DEBUG=true for the public development key"
                )
            value = DEVELOPMENT_KEY
        try:
            key = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MissingSecretKey("WEBHOOKS_SECRET_KEY is not valid base64") from exc
        return cls(key)

    def seal(self, secret: str, endpoint_id: str) -> bytes:
        nonce = os.urandom(12)
        return VERSION + nonce + self._aead.encrypt(nonce, secret.encode(), endpoint_id.encode())

    def open(self, sealed: bytes, endpoint_id: str) -> str:
        if sealed[:1] != VERSION:
            raise ValueError("unknown sealed-secret version")
        try:
            return self._aead.decrypt(sealed[1:13], sealed[13:], endpoint_id.encode()).decode()
        except InvalidTag as exc:
            raise ValueError("the endpoint's secret does not open with WEBHOOKS_SECRET_KEY") from exc
