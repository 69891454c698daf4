"""The net as JSON-ready data, for ``GET /api/schema`` and for UIs that draw the net."""

from __future__ import annotations

from typing import Any

from .data import DATA_SCHEMAS, CreateTicketData
from .definition import CREATED, EFFECTS
from .net import Net
from .roles import effective_roles, is_staff


def describe(net: Net) -> dict[str, Any]:
    return {
        "name": net.name,
        "creation_event": CREATED,
        "places": [{"name": p.name, "description": p.description, "initial": p.initial} for p in net.places],
        "transitions": [
            {
                "name": t.name,
                "event_type": t.event_type,
                "description": t.description,
                "inputs": [{"place": a.place, "weight": a.weight} for a in t.inputs],
                "outputs": [{"place": a.place, "weight": a.weight} for a in t.outputs],
                "roles": list(net.permissions.get(t.name, ())),
                "data_schema": DATA_SCHEMAS[t.name].model_json_schema() if t.name in DATA_SCHEMAS else None,
                "effects": EFFECTS[t.name].describe() if t.name in EFFECTS else None,
            }
            for t in net.transitions
        ],
        "arcs": [
            arc
            for t in net.transitions
            for arc in (
                *({"from": a.place, "to": t.name, "weight": a.weight} for a in t.inputs),
                *({"from": t.name, "to": a.place, "weight": a.weight} for a in t.outputs),
            )
        ],
        "roles": [
            {
                "name": r.name,
                "description": r.description,
                "inherits": list(r.inherits),
                "staff": is_staff(net, [r.name]),  # the role itself or one it inherits is staff
                "effective": sorted(effective_roles(net, [r.name])),
            }
            for r in net.roles
        ],
        "permissions": {t: list(roles) for t, roles in net.permissions.items()},
        "create_schema": CreateTicketData.model_json_schema(),
    }
