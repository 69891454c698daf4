"""Bearer token -> :class:`~ticket_workflow.Actor` for every command route: the service kit's one dependency
(:mod:`ticket_service.security`), verified off the event loop with the verifier ``install`` names."""

from __future__ import annotations

from ticket_service.security import CurrentActor, current_actor

__all__ = ["CurrentActor", "current_actor"]
