"""The :class:`~ticket_readmodel.alerts.AlertLog` of either read model of ours."""

from __future__ import annotations

from .alerts import AlertLog
from .alerts_postgres import PostgresAlertLog
from .alerts_sqlite import SqliteAlertLog
from .postgres import PostgresReadModel
from .sqlite import SqliteReadModel


def alert_log_of(read_model: object) -> AlertLog | None:
    """The alerts kept next to ``read_model`` (None for any other read model: no alerts there)."""
    if isinstance(read_model, SqliteReadModel):
        return SqliteAlertLog.of(read_model)
    if isinstance(read_model, PostgresReadModel):
        return PostgresAlertLog.of(read_model)
    return None
