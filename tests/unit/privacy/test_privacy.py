"""ticket_privacy: the personal-field table, sealing and opening, associated data, erasure, the key cache."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator, Collection
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from ticket_privacy import (
    ERASED,
    NOT_PERSONAL,
    PERSONAL_FIELDS,
    MissingDataKey,
    Privacy,
    SubjectKey,
    Tampered,
    key_encryption_key,
)
from ticket_privacy.fields import SCHEMAS_BY_EVENT, text_fields
from ticket_privacy.keys import Scrub
from ticket_workflow import EVENT_TYPES, Event, EventMetadata
from ticket_workflow.data import DATA_SCHEMAS, ConversationData, CreateTicketData

KEK = bytes(range(32))


class MemoryKeys:
    """The key store port in memory (the adapters have their own contract suite)."""

    def __init__(self) -> None:
        self.rows: dict[str, SubjectKey] = {}
        self.reads = 0

    async def migrate(self) -> None:
        return None

    async def active_key(self, subject: str) -> SubjectKey | None:
        return next((k for k in self.rows.values() if k.subject == subject and not k.destroyed), None)

    async def add_key(self, key: SubjectKey) -> SubjectKey:
        return await self.active_key(key.subject) or self.rows.setdefault(key.key_id, key)

    async def keys(self, key_ids: Collection[str]) -> dict[str, SubjectKey]:
        self.reads += 1
        return {i: self.rows[i] for i in key_ids if i in self.rows}

    async def subject_keys(self, subject: str) -> list[SubjectKey]:
        return [k for k in self.rows.values() if k.subject == subject]

    async def destroy(self, subject: str) -> list[str]:
        ids = [i for i, k in self.rows.items() if k.subject == subject and not k.destroyed]
        for i in ids:
            self.rows[i] = replace(self.rows[i], wrapped=None, destroyed_at=datetime.now(UTC))
        return ids

    async def tickets_of(self, subject: str) -> list[str]:
        return []

    async def scrub_responses(self, ticket_ids: Collection[str], scrub: Scrub) -> int:
        return 0


def event(kind: str = "Created", event_id: str | None = None, **data: Any) -> Event:
    return Event(
        id=event_id or str(uuid.uuid4()),
        stream_id="t-1",
        type=kind,
        version=1,
        timestamp=datetime(2026, 1, 1, tzinfo=UTC),
        data={"aggregate_id": "t-1", "requester": "alice", **data},
        metadata=EventMetadata(actor="alice", roles=("customer",)),
    )


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def privacy() -> AsyncIterator[Privacy]:
    yield Privacy(KEK, MemoryKeys())


def free_text(schema: type[BaseModel]) -> set[str]:
    """The schema's text fields as its published JSON schema says (strings that are not a choice)."""
    found = set()
    for name, spec in schema.model_json_schema()["properties"].items():
        kinds = spec.get("anyOf", [spec])
        if any(k.get("type") == "string" and "enum" not in k and "const" not in k for k in kinds):
            found.add(name)
    return found


def test_every_text_field_of_every_command_schema_is_personal_or_named_not_personal() -> None:
    schemas = [CreateTicketData, ConversationData, *DATA_SCHEMAS.values()]
    for schema in schemas:
        assert text_fields(schema) == free_text(schema), schema.__name__
        for name in free_text(schema):
            personal = all(name in PERSONAL_FIELDS[k] for k, s in SCHEMAS_BY_EVENT.items() if s is schema)
            assert personal != (name in NOT_PERSONAL), f"{schema.__name__}.{name}"
    assert set(EVENT_TYPES) <= set(PERSONAL_FIELDS)  # every event type of a ticket has its entry


def test_the_personal_fields_as_the_workflow_has_them_today() -> None:
    assert PERSONAL_FIELDS["Created"] == {"subject", "description"}
    assert PERSONAL_FIELDS["Assigned"] == {"note"}
    assert PERSONAL_FIELDS["Escalateed"] == {"note", "reason"}
    assert PERSONAL_FIELDS["RequestInfoed"] == PERSONAL_FIELDS["CustomerReplyed"] == {"note", "message"}
    assert PERSONAL_FIELDS["Resolveed"] == PERSONAL_FIELDS["ResolveEscalated"] == {"note", "resolution"}
    assert PERSONAL_FIELDS["Reopened"] == {"note", "reason"}
    assert PERSONAL_FIELDS["ReplyAdded"] == PERSONAL_FIELDS["InternalNoteAdded"] == {"body"}
    assert "PersonalDataErased" not in PERSONAL_FIELDS


async def test_seal_then_open_round_trip(privacy: Privacy) -> None:
    plain = event(subject="VPN down at Ünïcode GmbH", description="since 9:00", priority="high")
    [sealed] = await privacy.seal([plain], "alice")
    assert "VPN" not in sealed.model_dump_json() and "9:00" not in sealed.model_dump_json()
    assert sealed.data["subject"]["$enc"].startswith("v1:")
    assert (sealed.data["priority"], sealed.data["requester"]) == ("high", "alice")  # not personal: in the clear
    assert await privacy.open([sealed]) == [plain]


async def test_empty_and_absent_values_are_left_as_they_are(privacy: Privacy) -> None:
    plain = event(subject="", description="")
    assert await privacy.seal([plain], "alice") == [plain]


async def test_a_value_moved_to_another_event_or_field_does_not_open(privacy: Privacy) -> None:
    [first, second] = await privacy.seal([event(subject="a", description="b"), event(subject="c")], "alice")
    moved_field = first.model_copy(update={"data": {**first.data, "subject": first.data["description"]}})
    with pytest.raises(Tampered):
        await privacy.open([moved_field])
    moved_event = second.model_copy(update={"data": {**second.data, "subject": first.data["subject"]}})
    with pytest.raises(Tampered):
        await privacy.open([moved_event])


async def test_a_destroyed_key_opens_to_erased_and_other_subjects_stay(privacy: Privacy) -> None:
    [alice] = await privacy.seal([event(subject="alice's", description="secret")], "alice")
    [bob] = await privacy.seal([event(subject="bob's")], "bob")
    assert await privacy.erase("alice")
    [opened_alice, opened_bob] = await privacy.open([alice, bob])
    assert (opened_alice.data["subject"], opened_alice.data["description"]) == (ERASED, ERASED)
    assert opened_bob.data["subject"] == "bob's"
    assert await privacy.erase("alice") == []  # nothing left to destroy
    [later] = await privacy.seal([event(subject="new text")], "alice")  # a new key for what comes later
    assert (await privacy.open([later]))[0].data["subject"] == "new text"


async def test_another_process_forgets_a_destroyed_key_within_the_ttl() -> None:
    keys, clock = MemoryKeys(), Clock()
    writer, reader = Privacy(KEK, keys, ttl=5, clock=clock), Privacy(KEK, keys, ttl=5, clock=clock)
    [sealed] = await writer.seal([event(subject="text")], "alice")
    assert (await reader.open([sealed]))[0].data["subject"] == "text"
    await writer.erase("alice")
    clock.now = 4.9
    assert (await reader.open([sealed]))[0].data["subject"] == "text"  # cached, within the documented TTL
    clock.now = 5.1
    assert (await reader.open([sealed]))[0].data["subject"] == ERASED
    reads = keys.reads
    await reader.open([sealed])
    assert keys.reads == reads  # a destroyed key is cached too


async def test_reading_an_erasure_forgets_the_subjects_keys_at_once() -> None:
    keys, clock = MemoryKeys(), Clock()
    writer, reader = Privacy(KEK, keys, clock=clock), Privacy(KEK, keys, clock=clock)
    [sealed] = await writer.seal([event(subject="text")], "alice")
    assert (await reader.open([sealed]))[0].data["subject"] == "text"
    await writer.erase("alice")
    erasure = event("PersonalDataErased", subject="alice", reason="asked", tickets=["t-1"])
    assert (await reader.open([erasure, sealed]))[1].data["subject"] == ERASED  # well within the TTL


async def test_data_keys_are_stored_wrapped_and_need_the_same_kek() -> None:
    keys = MemoryKeys()
    [sealed] = await Privacy(KEK, keys).seal([event(subject="text")], "alice")
    [stored] = keys.rows.values()
    assert stored.wrapped is not None and len(stored.wrapped) == 12 + 32 + 16
    with pytest.raises(Tampered):
        await Privacy(bytes(32), keys).open([sealed])


def test_the_key_encryption_key_from_the_environment(monkeypatch: pytest.MonkeyPatch, caplog: Any) -> None:
    assert key_encryption_key(base64.b64encode(KEK).decode()) == KEK
    for bad in ("not base64!", base64.b64encode(b"short").decode()):
        with pytest.raises(MissingDataKey):
            key_encryption_key(bad)
    monkeypatch.delenv("PERSONAL_DATA_KEY", raising=False)
    with pytest.raises(MissingDataKey, match="PERSONAL_DATA_KEY"):
        key_encryption_key()
    development = key_encryption_key(debug=True)
    assert len(development) == 32
    assert "development key" in caplog.text and base64.b64encode(development).decode() not in caplog.text
