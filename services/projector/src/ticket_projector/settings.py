"""Projector settings, from the environment (constructed explicitly in tests)."""

from __future__ import annotations

import socket
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ticket_eventstore.stream import DEFAULT_STREAM
from ticket_service.auth import AuthSettings


class ProjectorSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = Field(
        "postgresql://postgres@127.0.0.1:5432/postgres", description="PostgreSQL of the read models."
    )
    event_store_url: str | None = Field(None, description="PostgreSQL of the event store; DATABASE_URL when unset.")
    redis_url: str = "redis://127.0.0.1:6379/0"
    event_stream: str = DEFAULT_STREAM
    read_model_schema: str = "read_model"
    projector_group: str = "projector"
    consumer_name: str = Field(
        default_factory=socket.gethostname,
        description="Stable per replica, so a restarted replica finds the entries it had not acknowledged.",
    )
    host: str = Field("127.0.0.1", description="Interface of the health port; 0.0.0.0 in containers.")
    port: int = 8083
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = Field("json", description="json: one object per line; text: readable lines.")
    batch_size: int = Field(
        500, ge=1, description="Events per transaction: stream entries read at once, or events read from the store."
    )
    poison_attempts: int = Field(3, ge=1, description="Tries of an event before the projector halts on it.")
    retry_delay_seconds: float = Field(0.5, ge=0)
    claim_idle_ms: int = Field(60_000, ge=1, description="Pending this long, an entry of a dead replica is claimed.")
    supervise_seconds: float = Field(
        5.0, gt=0, description="Between supervisor rounds: resubscribe, catch up a stalled lag, claim, resume."
    )
    sla_timer_enabled: bool = Field(True, description="Run the service-level timer (one replica raises alerts).")
    sla_timer_seconds: float = Field(1.0, gt=0, description="Between the timer's rounds: the most an alert is late.")
    sla_alert_stream: str = Field("support-ticket.sla-alerts", description="Redis stream of service-level alerts.")

    debug: bool = Field(False, description="Without a JWT key, verify admin tokens with the development secret.")
    auth: AuthSettings = Field(
        default_factory=AuthSettings, description="JWT_*: the admin API verifies tokens as the query API does."
    )

    @property
    def store_url(self) -> str:
        return self.event_store_url or self.database_url
