"""Delivers the committed events and the service-level alerts to partners' endpoints, signed per Standard
Webhooks, at least once and in order per ticket: ``ticket-webhooks run`` (the dispatcher and its admin API,
:mod:`ticket_webhooks.runtime`) and ``migrate``. Hosts use :class:`Parts` and :func:`install`; the embedded mode
:class:`InProcessDispatch` and :func:`install_in_process` (:mod:`ticket_webhooks.embedded`)."""

from .app import Parts, build_parts, create_app, install
from .embedded import InProcessDispatch, Opened, install_in_process
from .sealing import MissingSecretKey, Sealer
from .settings import WebhooksSettings

__all__ = [
    "InProcessDispatch",
    "MissingSecretKey",
    "Opened",
    "Parts",
    "Sealer",
    "WebhooksSettings",
    "build_parts",
    "create_app",
    "install",
    "install_in_process",
]
