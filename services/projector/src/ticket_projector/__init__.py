"""Projects the event stream into read models: ``ticket-projector run`` (the Redis consumer and its supervisor,
:mod:`ticket_projector.runtime`), ``rebuild`` and ``migrate``; in the embedded mode, in-process
(:mod:`ticket_projector.inprocess`). Hosts use :class:`Parts` and :func:`install` (:mod:`ticket_projector.app`)."""

from .app import Parts, build_parts, create_app, install
from .inprocess import InProcessProjection, ProjectingStore

__all__ = ["InProcessProjection", "Parts", "ProjectingStore", "build_parts", "create_app", "install"]
