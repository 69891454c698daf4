"""The retry schedule (bounded, jittered, configurable from the environment) and the secrets at rest."""

from __future__ import annotations

import base64
import random

import pytest

from ticket_webhooks.backoff import attempts_of, retry_delay
from ticket_webhooks.sealing import DEVELOPMENT_KEY, MissingSecretKey, Sealer
from ticket_webhooks.settings import DEFAULT_RETRY_SCHEDULE, WebhooksSettings

pytestmark = pytest.mark.unit


def test_each_delay_follows_the_schedule_within_the_jitter_and_then_none_is_left() -> None:
    schedule = (5.0, 30.0, 120.0, 600.0, 3600.0)
    rng = random.Random(7)
    for failed, base in enumerate(schedule, start=1):
        delays = [retry_delay(failed, schedule, rng) for _ in range(200)]
        assert all(d is not None and 0.8 * base <= d <= 1.2 * base for d in delays)
        assert len({round(d or 0, 6) for d in delays}) > 100  # jittered, not one fixed instant
    assert retry_delay(len(schedule) + 1, schedule, rng) is None
    assert attempts_of(schedule) == 6


def test_the_default_schedule_grows_and_is_bounded() -> None:
    assert list(DEFAULT_RETRY_SCHEDULE) == sorted(DEFAULT_RETRY_SCHEDULE)
    assert sum(DEFAULT_RETRY_SCHEDULE) < 12 * 3600


def test_settings_read_the_schedule_and_hosts_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOKS_RETRY_SCHEDULE", "0.2, 0.5,1")
    monkeypatch.setenv("WEBHOOKS_ALLOWED_HOSTS", "Hooks.Example.com., partner.test")
    settings = WebhooksSettings()
    assert settings.webhooks_retry_schedule == (0.2, 0.5, 1.0)
    assert settings.webhooks_allowed_hosts == ("hooks.example.com", "partner.test")
    monkeypatch.setenv("WEBHOOKS_RETRY_SCHEDULE", "5,-1")
    with pytest.raises(ValueError):
        WebhooksSettings()


def test_a_sealed_secret_opens_only_with_its_key_and_for_its_endpoint() -> None:
    sealer = Sealer(b"k" * 32)
    sealed = sealer.seal("whsec_abc", "ep_1")
    assert b"whsec_abc" not in sealed
    assert sealer.open(sealed, "ep_1") == "whsec_abc"
    assert sealer.seal("whsec_abc", "ep_1") != sealed  # a fresh nonce each time
    with pytest.raises(ValueError):
        sealer.open(sealed, "ep_2")
    with pytest.raises(ValueError):
        Sealer(b"x" * 32).open(sealed, "ep_1")


def test_the_key_is_required_unless_debug() -> None:
    with pytest.raises(MissingSecretKey):
        Sealer.from_setting(None, debug=False)
    with pytest.raises(MissingSecretKey):
        Sealer.from_setting("not base64!", debug=False)
    with pytest.raises(MissingSecretKey):
        Sealer.from_setting(base64.b64encode(b"short").decode(), debug=False)
    development = Sealer.from_setting(None, debug=True)
    assert Sealer.from_setting(DEVELOPMENT_KEY, debug=False).open(development.seal("s", "e"), "e") == "s"
