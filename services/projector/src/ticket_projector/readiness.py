"""What ``/ready`` says of a projection that is not consuming: the shared body of both runtimes."""

from __future__ import annotations

from typing import Any

from ticket_readmodel.read_model import Halt

__all__ = ["halted_body", "not_ready"]


def not_ready(body: dict[str, Any], status: str, message: str) -> dict[str, Any]:
    return body | {"success": False, "code": "not_ready", "status": status, "message": message, "error": message}


def halted_body(body: dict[str, Any], halt: Halt, *, retrying: bool) -> dict[str, Any]:
    message = f"projection halted at position {halt.position} ({halt.event_type} of ticket {halt.ticket_id}): "
    message += halt.reason
    if retrying:
        message += "; recorded before this start, the event is being retried"
    return body | {
        "success": False,
        "code": "projection_halted",
        "status": "halted",
        "message": message,
        "poison_event": halt.model_dump(mode="json"),
        "retrying": retrying,
    }
