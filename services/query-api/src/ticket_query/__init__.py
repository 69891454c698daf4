"""The query API: :class:`~ticket_query.parts.Parts` and :func:`~ticket_query.service.install` for any app built
on the service kit's shell; ``ticket_query.app.create_app`` for the service on its own; :func:`serve` runs an app
with the live stream's tokens masked in the access log (:mod:`ticket_query.access_log`)."""

from .access_log import serve
from .parts import Parts
from .service import install

__all__ = ["Parts", "install", "serve"]
