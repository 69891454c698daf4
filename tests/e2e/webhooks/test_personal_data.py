"""Partners get personal values opened (the stream and the store hold them sealed), and ``[erased]`` once their
data subject is erased: a redelivery after the erasure carries no plain personal data."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from .conftest import ADMIN, Desk, wait_for
from .receiver import Receiver

pytestmark = pytest.mark.e2e
MARK = "zq-webhook-personal-zq"


def subjects(receiver: Receiver, secret: str) -> list[str]:
    return [p["data"]["data"]["subject"] for p in receiver.verified(secret) if p["type"] == "Created"]


def test_partners_get_opened_values_then_erased_ones(desk_factory: Callable[..., Desk], receiver: Receiver) -> None:
    desk = desk_factory(WEBHOOKS_ALLOW_PRIVATE="true")
    endpoint, secret = desk.register(receiver.url)
    created = desk.create(MARK)
    wait_for(lambda: subjects(receiver, secret) == [MARK], "the creation, its subject opened")

    erased = httpx.post(
        f"{desk.command}/api/privacy/subjects/alice/erase", headers=ADMIN, json={"reason": "asked"}, timeout=10
    )
    assert erased.status_code == 200, erased.text
    again = desk.api("POST", f"/endpoints/{endpoint}/redeliver", json={"from_position": created["position"]})
    assert again.status_code == 202, again.text
    wait_for(lambda: subjects(receiver, secret) == [MARK, "[erased]"], "the redelivered creation, erased")
    assert not any(MARK.encode() in r.body for r in receiver.received[1:])
