"""The event store's streams: one per ticket (its id), and a few system streams of the desk's own events.

A system stream's id starts with ``$``, which no ticket id (a UUID) can: readers tell the two apart without a
lookup. A ticket's stream holds exactly the net's and the conversation's events; what is not about one ticket
(service-level policies, erasures of personal data) is kept in a system stream of its own.
"""

from __future__ import annotations

SYSTEM_PREFIX = "$"
SLA_POLICY_STREAM = "$sla-policy"  # service-level policies and the business-hours calendar
ERASURE_STREAM = "$erasure"  # erasures of a person's data: who asked, when, whose
PERSONAL_DATA_ERASED = "PersonalDataErased"  # on ERASURE_STREAM: {subject, reason, tickets}
ERASED = "[erased]"  # what a personal value reads as once its data subject's key is destroyed


def is_system_stream(stream_id: str) -> bool:
    return stream_id.startswith(SYSTEM_PREFIX)
