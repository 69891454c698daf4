"""The query API: :class:`~ticket_query.parts.Parts` and :func:`~ticket_query.service.install` for any app built
on the service kit's shell; ``ticket_query.app.create_app`` for the service on its own."""

from .parts import Parts
from .service import install

__all__ = ["Parts", "install"]
