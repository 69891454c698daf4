"""Delivers the committed events and the service-level alerts to partners' endpoints, signed per Standard
Webhooks, at least once and in order per ticket: ``ticket-webhooks run`` (the dispatcher and its admin API,
:mod:`ticket_webhooks.runtime`) and ``migrate``. Hosts use :class:`Parts` and :func:`install`."""

from .app import Parts, build_parts, create_app, install

__all__ = ["Parts", "build_parts", "create_app", "install"]
