"""The AsyncAPI document describes the service-level alerts stream exactly as the projector's timer writes its
entries (``Alert.entry``), for both kinds; the stream's key follows ``SLA_ALERT_STREAM``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from jsonschema import Draft202012Validator

from ticket_command.asyncapi import document
from ticket_readmodel.alerts import Alert

DUE = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("kind", ["warning", "breached"])
def test_every_alert_entry_matches_its_message(kind: str) -> None:
    alert = Alert("t-1", "resolution", kind, DUE, DUE - timedelta(minutes=6), DUE, "high")  # type: ignore[arg-type]
    entry = alert.raised(DUE + timedelta(seconds=1)).entry()
    channel = document("events", "alerts")["channels"]["serviceLevelAlerts"]
    assert channel["address"] == "alerts"
    payload = channel["messages"][alert.type]["payload"]
    assert list(payload["properties"]) == list(entry)
    Draft202012Validator(payload).validate(entry)
    other = "ServiceLevelWarning" if kind == "breached" else "ServiceLevelBreached"
    assert not Draft202012Validator(channel["messages"][other]["payload"]).is_valid(entry)


def test_the_alerts_stream_is_the_projectors_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLA_ALERT_STREAM", "desk.alerts")
    assert document("events")["channels"]["serviceLevelAlerts"]["address"] == "desk.alerts"
    monkeypatch.delenv("SLA_ALERT_STREAM")
    assert document("events")["channels"]["serviceLevelAlerts"]["address"] == "support-ticket.sla-alerts"
