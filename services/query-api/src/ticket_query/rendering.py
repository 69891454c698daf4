"""Tickets written as JSON straight from stored rows, for the hot routes: byte for byte what FastAPI writes for
``ticket_view(ticket_of(row), actor)`` (a :class:`~ticket_query.views.TicketView`), at a fraction of the cost.

A stored ticket at a given version never changes, so its JSON is written once and kept (:class:`Renderings`),
split around the one field that depends on the caller, ``available_transitions``. That field, with the place,
the tokens, the enabled transitions and the visibility, follows from the marking and the caller's roles alone,
a handful of combinations, and is asked of the workflow once per combination (:func:`net_view`).

The rest is kept in two versions: everything, for staff, and what :func:`ticket_workflow.visibility.visible_ticket`
leaves, for everyone else. Which one a caller gets is part of the same per-roles answer (``NetView.everything``),
so no kept rendering written for staff is ever handed to a customer.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from functools import lru_cache
from typing import Any, NamedTuple

import orjson
from fastapi.responses import Response

from ticket_readmodel.read_model import Known, TicketRow
from ticket_workflow import Actor, TicketState, may_view, seed_view
from ticket_workflow.visibility import sees_everything, visible_ticket

from .service_levels import NULL, SlaClocks

KEPT = 20_000  # renderings kept, least recently used dropped first (a few hundred bytes to a few KB each)
JSON = "application/json"


class NetView(NamedTuple):
    visible: bool
    head: bytes  # "place", "state" and "enabled_transitions" as JSON members
    available: bytes  # the JSON array of "available_transitions"
    everything: bool  # the caller reads staff-only fields


@lru_cache(maxsize=4096)
def net_view(marking: str, roles: frozenset[str], own: bool) -> NetView:
    """The workflow's answer for a marking (as stored, JSON text), for a caller with ``roles`` who requested the
    ticket (``own``) or not: computed by the workflow itself on a stand-in ticket, so every rule stays there."""
    caller = Actor(sub="caller", roles=roles)
    state = TicketState(id="", marking=json.loads(marking), requester="caller" if own else "")
    view = seed_view(state, caller)
    parts = {"place": view["place"], "state": view["state"], "enabled_transitions": view["enabled_transitions"]}
    return NetView(
        may_view(state, caller), _members(parts), _dumps(view["available_transitions"]), sees_everything(roles)
    )


class Rendered(NamedTuple):
    head: bytes  # '{"aggregate_id":…,"version":…,'
    tail: bytes  # ',"subject":…,"closed_at":…}' with every field: for staff only
    public_tail: bytes  # the same with the staff-only fields emptied (the same object when there are none)


class Renderings:
    """The JSON of stored tickets, per (id, version, position of the last event applied), bounded."""

    def __init__(self, kept: int = KEPT) -> None:
        self._kept = kept
        self._rendered: OrderedDict[Key, Rendered] = OrderedDict()
        self.sla = SlaClocks()  # "sla" depends on the time of the read: written per read, never kept

    def ticket(self, row: TicketRow, actor: Actor) -> bytes:
        return b"".join(self._parts(row, self._of(row), actor))

    def page(self, rows: list[TicketRow], next_cursor: str | None, actor: Actor, held: Held | None = None) -> bytes:
        """The list answer; ``held`` has what :meth:`holder`'s test found, the other rows are whole."""
        held = held or {}
        parts = [b'{"items":[']
        for row in rows:
            rendered = held.get((row["id"], row["version"], row["last_position"])) or self._of(row)
            parts += self._parts(row, rendered, actor)
            parts.append(b",")
        parts[-1] = b'],"next_cursor":' if rows else b'{"items":[],"next_cursor":'
        parts += (_dumps(next_cursor), b"}")
        return b"".join(parts)

    def holder(self) -> tuple[Held, Known]:
        """For a list read in two steps: the ``known`` test to hand the read model, which keeps what it found in
        the returned dict, so that an entry dropped from here meanwhile is still at hand when the page is written."""
        held: Held = {}
        rendered_by_key = self._rendered

        def known(row: TicketRow) -> bool:
            key = (row["id"], row["version"], row["last_position"])
            rendered = rendered_by_key.get(key)
            if rendered is None:
                return False
            rendered_by_key.move_to_end(key)
            held[key] = rendered
            return True

        return held, known

    def _parts(self, row: TicketRow, rendered: Rendered, actor: Actor) -> tuple[bytes, ...]:
        net = net_view(row["marking"], actor.roles, row["requester"] == actor.sub)
        tail = rendered.tail if net.everything else rendered.public_tail
        sla = self.sla.render(row) if net.everything else NULL  # service levels: for staff only
        return rendered.head, net.head, b',"available_transitions":', net.available, tail[:-1], b',"sla":', sla, b"}"

    def _of(self, row: TicketRow) -> Rendered:
        key = (row["id"], row["version"], row["last_position"])
        rendered = self._rendered.get(key)
        if rendered is None:
            rendered = self._rendered[key] = render(row)
            if len(self._rendered) > self._kept:
                self._rendered.popitem(last=False)
        else:
            self._rendered.move_to_end(key)
        return rendered


Key = tuple[str, int, int]  # id, version, position of the last event applied
Held = dict[Key, Rendered]


def may_see(row: TicketRow, actor: Actor) -> bool:
    """The workflow's ``may_view`` for a stored row."""
    return _net_view_of(row, actor).visible


def render(row: TicketRow) -> Rendered:
    """Both renderings of a stored ticket: for staff, and as :func:`visible_ticket` leaves it for the others."""
    head = {"aggregate_id": row["id"], "version": row["version"]}
    messages = _messages(row["messages"])
    tail = {
        "subject": row["subject"],
        "description": row["description"],
        "priority": row["priority"],
        "requester": row["requester"],
        "assignee": row["assignee"],
        "messages": messages,
        "message_count": len(messages),
        "notes": _messages(row["notes"]),
        "reopen_count": row["reopen_count"],
        "escalation_reason": row["escalation_reason"],
        "resolution": row["resolution"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "first_response_at": row["first_response_at"],
        "resolved_at": row["resolved_at"],
        "closed_at": row["closed_at"],
    }
    public = visible_ticket(tail)
    everything = _object_tail(tail)
    return Rendered(b"{" + _members(head) + b",", everything, everything if public == tail else _object_tail(public))


def _object_tail(fields: dict[str, Any]) -> bytes:
    return b"," + _members(fields) + b"}"


def _messages(stored: str) -> list[dict[str, Any]]:
    """Messages as the view writes them, from their stored JSON text (without a ``staff`` flag, as in rows
    projected before it existed, it is false, as :class:`~ticket_workflow.Message` reads them)."""
    # Rebuilt in the view's order: jsonb keeps an object's keys in an order of its own.
    return [
        {"author": m["author"], "kind": m["kind"], "body": m["body"], "at": m["at"], "staff": m.get("staff", False)}
        for m in orjson.loads(stored)
    ]


def json_response(body: bytes) -> Response:
    return Response(body, media_type=JSON)


def _net_view_of(row: TicketRow, actor: Actor) -> NetView:
    return net_view(row["marking"], actor.roles, row["requester"] == actor.sub)


def _dumps(value: Any) -> bytes:
    # Compact, times as pydantic writes them (UTC as "Z"): FastAPI's bytes for a response_model.
    return orjson.dumps(value, option=orjson.OPT_UTC_Z)


def _members(fields: dict[str, Any]) -> bytes:
    """The members of a JSON object, without its braces."""
    return _dumps(fields)[1:-1]
