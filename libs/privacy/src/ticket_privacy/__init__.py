"""Personal data of the help desk: sealed per data subject, opened by readers, erased by destroying a key.

- ``fields``    which data fields of which event types are personal (derived from the workflow's schemas)
- ``crypto``    AES-256-GCM of one value (associated data: event id and field) and of wrapped data keys
- ``kek``       the key-encryption key from ``PERSONAL_DATA_KEY``
- ``keys``      the key store port; ``postgres`` and ``sqlite`` its adapters (table ``subject_keys``)
- ``privacy``   :class:`Privacy`: ``seal``, ``open``, ``erase``, with a short-lived key cache
- ``store``     :class:`SealingStore`: an event store decorator that seals appends and opens reads
"""

from ticket_workflow.streams import ERASED, PERSONAL_DATA_ERASED

from .crypto import Tampered
from .fields import NOT_PERSONAL, PERSONAL_FIELDS, personal_fields
from .kek import ENVIRONMENT, MissingDataKey, key_encryption_key
from .keys import KeyStore, SubjectKey
from .privacy import KEY_TTL_SECONDS, KeysUnavailable, Privacy
from .store import SealingStore

__all__ = [
    "ENVIRONMENT",
    "ERASED",
    "KEY_TTL_SECONDS",
    "NOT_PERSONAL",
    "PERSONAL_DATA_ERASED",
    "PERSONAL_FIELDS",
    "KeyStore",
    "KeysUnavailable",
    "MissingDataKey",
    "Privacy",
    "SealingStore",
    "SubjectKey",
    "Tampered",
    "key_encryption_key",
    "personal_fields",
]
