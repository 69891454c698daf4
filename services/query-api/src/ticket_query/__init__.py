"""The query API: :class:`~ticket_query.parts.Parts` and :func:`~ticket_query.service.install` for any app built
on the service kit's shell; ``ticket_query.app.create_app`` for the service on its own; :func:`serve` runs an app
with uvicorn and the service kit's logging (:mod:`ticket_query.serving`)."""

from .parts import Parts
from .service import install
from .serving import serve

__all__ = ["Parts", "install", "serve"]
