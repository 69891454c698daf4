"""The service-level timer's metrics, on the app's registry (:func:`ticket_service.metrics.registry_of`):

- ``ticket_sla_alerts_total{type}``: alerts raised (``ServiceLevelWarning``, ``ServiceLevelBreached``), each once
  across the replicas;
- ``ticket_sla_timer_leader``: 1 while this process raises the alerts (the replica holding the timer's lock; the
  embedded app while it runs), else 0; the sum over the replicas is 1 when all is well;
- ``ticket_sla_alert_delay_seconds`` (histogram): how late each alert was raised after its instant.
"""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from ticket_readmodel.alerts import TYPES, Alert
from ticket_service.metrics import registry_of

from .sla_timer import AlertObserver, SlaTimer

DELAY_SECONDS = (0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0, 300.0)


class SlaTimerMetrics(AlertObserver):
    def __init__(self, registry: CollectorRegistry) -> None:
        self.alerts = Counter(
            "ticket_sla_alerts_total", "Service-level alerts raised, by type", ["type"], registry=registry
        )
        for alert_type in TYPES.values():
            self.alerts.labels(type=alert_type)  # both series exist from the start
        self.leader = Gauge(
            "ticket_sla_timer_leader", "1 while this process raises the service-level alerts", registry=registry
        )
        self.delay = Histogram(
            "ticket_sla_alert_delay_seconds",
            "Seconds between an alert's warning or due instant and its raising",
            buckets=DELAY_SECONDS,
            registry=registry,
        )

    def raised(self, alert: Alert) -> None:
        self.alerts.labels(type=alert.type).inc()
        if alert.raised_at is not None:
            self.delay.observe(max(0.0, (alert.raised_at - alert.instant).total_seconds()))

    def leading(self, leader: bool) -> None:
        self.leader.set(1 if leader else 0)


def install(app: FastAPI, timer: SlaTimer) -> SlaTimerMetrics:
    metrics = SlaTimerMetrics(registry_of(app))
    timer.observers.append(metrics)
    return metrics
