"""A ticket's service-level clocks end to end, through the real HTTP API of the distributed system and of the
embedded app, against expectations computed by hand from the events' own timestamps (the services use the real
clock, so the targets are minutes and the pauses seconds): the first response met by the first staff action, the
resolution clock paused in pending_customer, stopped by the resolution, continued by a reopen; then a business-hours
calendar set by an admin re-measures the open ticket, and a new one, in working time only."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.e2e.read_side.test_customer_privacy import SECRET, TIMEOUT, System, distributed, embedded
from ticket_service.auth import mint_token

__all__ = ["distributed", "embedded"]  # the systems under test, as the privacy test starts them


def bearer(sub: str, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(SECRET, sub, [role])}"}


ALICE, BOB, ROOT = bearer("alice", "customer"), bearer("bob", "agent"), bearer("root", "admin")
TARGETS = {"high": {"first_response_minutes": 10, "resolution_minutes": 60, "warning_percent": 50}}
MINUTES = timedelta(minutes=1)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Desk:
    def __init__(self, system: System, http: httpx.Client) -> None:
        self.system, self.http = system, http
        self.position = 0

    def command(self, method: str, path: str, who: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        answer = self.http.request(method, f"{self.system.command}{path}", headers=who, json=body)
        assert answer.status_code in (200, 201), answer.text
        self.position = max(self.position, answer.json().get("position") or 0)
        return dict(answer.json())

    def fire(self, ticket: str, transition: str, who: dict[str, str] = BOB, **data: Any) -> None:
        self.command("POST", f"/api/{transition}", who, {"aggregate_id": ticket, "data": data})

    def ticket(self, ticket: str, who: dict[str, str] = BOB) -> dict[str, Any]:
        params = {"min_position": self.position}
        answer = self.http.get(f"{self.system.query}/api/support-ticket/{ticket}", headers=who, params=params)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def at_version(self, ticket: str, version: int, who: dict[str, str] = BOB) -> Any:
        """The ticket's ``sla`` as it was at that version (time travel)."""
        url, params = f"{self.system.query}/api/support-ticket/{ticket}/at/{version}", {"min_position": self.position}
        answer = self.http.get(url, headers=who, params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()["sla"]

    def versions(self, ticket: str) -> dict[str, int]:
        """The version of each transition (the last time), from the audit trail."""
        url, params = f"{self.system.query}/api/support-ticket/{ticket}/events", {"min_position": self.position}
        answer = self.http.get(url, headers=BOB, params=params)
        return {e["transition"] or e["type"]: e["version"] for e in answer.json()["events"]}

    def times(self, ticket: str) -> dict[str, datetime]:
        """When each transition happened (the last time), from the audit trail."""
        url, params = f"{self.system.query}/api/support-ticket/{ticket}/events", {"min_position": self.position}
        answer = self.http.get(url, headers=BOB, params=params)
        return {e["transition"] or e["type"]: at(e["timestamp"]) for e in answer.json()["events"]}


def noon_zone(now: datetime) -> ZoneInfo:
    """A fixed-offset zone (no DST) where it is about noon now, so no working day ends at midnight in the test."""
    offset = (12 - now.hour) % 24
    offset = offset - 24 if offset > 14 else offset
    return ZoneInfo(f"Etc/GMT{-offset:+d}" if offset else "UTC")


@pytest.mark.parametrize("mode", ["distributed", "embedded"])
def test_clocks_across_pause_reopen_and_business_hours(mode: str, request: pytest.FixtureRequest) -> None:
    system: System = request.getfixturevalue(mode)
    with httpx.Client(timeout=TIMEOUT) as http:
        desk = Desk(system, http)
        set_v1 = desk.command("PUT", "/api/sla/policy", ROOT, {"targets": TARGETS})
        assert set_v1["version"] == 1
        ticket = desk.command("POST", "/api/support-ticket", ALICE, {"subject": "VPN down", "priority": "high"})
        tid = ticket["aggregate_id"]
        created = at(desk.ticket(tid)["created_at"])
        sla = desk.ticket(tid)["sla"]
        assert at(sla["first_response"]["due_at"]) == created + 10 * MINUTES
        assert at(sla["resolution"]["due_at"]) == created + 60 * MINUTES
        assert sla["status"] == "ok" and desk.ticket(tid, ALICE)["sla"] is None  # staff only

        desk.fire(tid, "assign")
        desk.fire(tid, "start_work")
        desk.fire(tid, "request_info", message="Which office?")
        sla = desk.ticket(tid)["sla"]
        first, resolution = sla["first_response"], sla["resolution"]
        assert first["status"] == "met" and at(first["met_at"]) == desk.times(tid)["assign"]
        assert resolution["status"] == "paused" and resolution["due_at"] is None
        time.sleep(1.5)  # waiting on the customer: not counted
        desk.fire(tid, "customer_reply", ALICE, message="Berlin")
        t = desk.times(tid)
        paused = t["customer_reply"] - t["request_info"]
        assert paused >= timedelta(seconds=1.5)
        assert at(desk.ticket(tid)["sla"]["resolution"]["due_at"]) == created + 60 * MINUTES + paused

        desk.fire(tid, "resolve", resolution="Router restarted")
        t = desk.times(tid)
        counted = (t["request_info"] - created) + (t["resolve"] - t["customer_reply"])
        resolution = desk.ticket(tid)["sla"]["resolution"]
        assert resolution["status"] == "met" and at(resolution["met_at"]) == t["resolve"]
        assert resolution["elapsed_seconds"] == counted.total_seconds()
        desk.fire(tid, "close")
        time.sleep(1)  # resolved and closed: not counted either
        desk.fire(tid, "reopen", ALICE, reason="Down again")
        reopened = desk.times(tid)["reopen"]
        resolution = desk.ticket(tid)["sla"]["resolution"]
        assert resolution["met_at"] is None and resolution["status"] == "ok"
        assert at(resolution["due_at"]) == reopened + 60 * MINUTES - counted  # continues where it stopped

        # Business hours: every day from midnight to three minutes from now, in a zone where it is about noon.
        now = datetime.now(UTC)
        zone = noon_zone(now)
        closing = (now.astimezone(zone) + 3 * MINUTES).replace(second=0, microsecond=0)
        calendar = {"time_zone": zone.key, "days": [1, 2, 3, 4, 5, 6, 7], "start": "00:00"}
        calendar["end"] = closing.strftime("%H:%M")
        stale = http.put(
            f"{system.command}/api/sla/policy", headers=ROOT, json={"targets": TARGETS, "expected_version": 0}
        )
        assert stale.status_code == 409 and stale.json()["code"] == "version_conflict"
        desk.command("PUT", "/api/sla/policy", ROOT, {"targets": TARGETS, "calendar": calendar, "expected_version": 1})
        policy = http.get(f"{system.query}/api/sla/policy", headers=BOB, params={"min_position": desk.position})
        assert policy.json()["version"] == 2 and policy.json()["policy"]["calendar"]["end"] == calendar["end"]
        # The open ticket is measured again from its creation: all of its life so far was working time, so the
        # same time is counted; what is left runs until closing, and the rest from midnight (local) on.
        midnight = (closing + timedelta(days=1)).replace(hour=0, minute=0)
        left = 60 * MINUTES - counted - (closing - reopened)
        resolution = desk.ticket(tid)["sla"]["resolution"]
        assert at(resolution["due_at"]) == midnight + left
        assert resolution["elapsed_seconds"] >= counted.total_seconds()

        later = desk.command("POST", "/api/support-ticket", ALICE, {"subject": "Printer", "priority": "high"})
        made = at(desk.ticket(later["aggregate_id"])["created_at"])
        first = desk.ticket(later["aggregate_id"])["sla"]["first_response"]
        assert at(first["due_at"]) == midnight + 10 * MINUTES - (closing - made)
        listed = http.get(
            f"{system.query}/api/support-ticket", headers=BOB, params={"sort": "sla_due", "sla": "ok", "limit": 5}
        )
        assert listed.status_code == 200, listed.text
        assert [i["aggregate_id"] for i in listed.json()["items"]][:2] == [later["aggregate_id"], tid]

        # Time travel: each version with the clocks as they stood then, under the policy then in force (version 1,
        # round the clock: the calendar came later); a customer sees none.
        versions = desk.versions(tid)
        born = desk.at_version(tid, 1)
        assert born["status"] == "ok" and born["resolution"]["elapsed_seconds"] == 0
        assert at(born["first_response"]["due_at"]) == created + 10 * MINUTES
        assert desk.at_version(tid, 1, ALICE) is None
        resolved = desk.at_version(tid, versions["resolve"])
        assert resolved["status"] == "met" and resolved["resolution"]["elapsed_seconds"] == counted.total_seconds()
        assert at(resolved["resolution"]["due_at"]) == created + 60 * MINUTES + paused
        again = desk.at_version(tid, versions["reopen"])["resolution"]
        assert again["status"] == "ok" and at(again["due_at"]) == reopened + 60 * MINUTES - counted
