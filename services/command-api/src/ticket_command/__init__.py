"""The support-ticket command API: the write side.

Follow a request from the route inward:

- ``routes``       thin HTTP handlers: create a ticket, fire each of the 9 transitions, reply, add a note
- ``security``     bearer token -> :class:`~ticket_workflow.Actor`
- ``handling``     the application service: load the ticket, decide, record, append (with idempotency)
- ``idempotency``  Idempotency-Key: request fingerprints and replays
- ``staff``        who may be named as an assignee: staff seen in the events, caught up from the store
- ``models``       request and response bodies (the OpenAPI schemas)
- ``runtime``      ``Parts``: what the handlers need, and where the event store comes from (Postgres, or given)
- ``health``       the readiness checks behind the shell's ``/health`` and ``/ready``
- ``debug``        ``POST /api/debug/token`` (only when ``DEBUG=true``)
- ``asyncapi``     the AsyncAPI document of the published event stream
- ``app``          the composition root: ``build_parts``, ``install(app, parts)``, ``create_app(settings, store)``
- ``settings``     configuration from the environment
- ``cli``          ``ticket-command-api serve | migrate | mint-token``
"""

from .app import build_parts, create_app, install
from .runtime import GivenStore, Parts

__all__ = ["GivenStore", "Parts", "build_parts", "create_app", "install"]
