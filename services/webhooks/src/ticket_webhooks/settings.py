"""Webhook dispatcher settings, from the environment (constructed explicitly in tests)."""

from __future__ import annotations

import socket
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ticket_eventstore.stream import DEFAULT_STREAM
from ticket_service.auth import AuthSettings

DEFAULT_ALERT_STREAM = "support-ticket.sla-alerts"
# Seconds before each retry: 8 attempts over about 10 hours, as the Standard Webhooks guidance suggests.
DEFAULT_RETRY_SCHEDULE = (5.0, 30.0, 120.0, 600.0, 3600.0, 10800.0, 21600.0)


class WebhooksSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = Field(
        "postgresql://postgres@127.0.0.1:5432/postgres", description="PostgreSQL of the event store and `webhooks`."
    )
    event_store_url: str | None = Field(None, description="PostgreSQL of the event store; DATABASE_URL when unset.")
    redis_url: str = "redis://127.0.0.1:6379/0"
    event_stream: str = DEFAULT_STREAM
    sla_alert_stream: str = DEFAULT_ALERT_STREAM
    webhooks_group: str = "webhooks"
    consumer_name: str = Field(default_factory=socket.gethostname, description="Stable per replica.")
    host: str = Field("127.0.0.1", description="Interface to bind; 0.0.0.0 in containers.")
    port: int = 8084
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"

    webhooks_secret_key: str | None = Field(
        None, description="Base64 of 32 bytes: encrypts the endpoints' signing secrets. Required unless DEBUG."
    )
    webhooks_allow_private: bool = Field(False, description="Allow private, loopback and link-local targets.")
    webhooks_allowed_hosts: Annotated[tuple[str, ...], NoDecode] = Field(
        (), description="Host names (comma-separated) allowed whatever they resolve to."
    )
    webhooks_retry_schedule: Annotated[tuple[float, ...], NoDecode] = Field(
        DEFAULT_RETRY_SCHEDULE, description="Seconds before each retry (comma-separated); attempts = retries + 1."
    )
    webhooks_timeout_seconds: float = Field(10.0, gt=0, description="Per attempt: connect, send and answer.")
    webhooks_concurrency: int = Field(16, ge=1, description="Attempts in flight at once (across tickets).")
    webhooks_disable_after_failures: int = Field(
        20, ge=1, description="Consecutive finally failed deliveries that disable an endpoint."
    )
    webhooks_disable_after_hours: float = Field(
        24.0, gt=0, description="An endpoint failing every attempt for this long is disabled."
    )
    webhooks_poll_seconds: float = Field(1.0, gt=0, description="Longest wait before looking for due retries.")
    webhooks_redeliver_limit: int = Field(10_000, ge=1, description="Most events one redelivery request queues.")
    batch_size: int = Field(500, ge=1)
    claim_idle_ms: int = Field(60_000, ge=1, description="Pending this long, an entry of a dead replica is claimed.")

    debug: bool = Field(False, description="Development defaults for the JWT and the secrets' key.")
    auth: AuthSettings = Field(default_factory=AuthSettings)

    @field_validator("webhooks_allowed_hosts", mode="before")
    @classmethod
    def _hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(h.strip().lower().rstrip(".") for h in value.split(",") if h.strip())
        return value

    @field_validator("webhooks_retry_schedule", mode="before")
    @classmethod
    def _schedule(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(float(s) for s in value.split(",") if s.strip())
        return value

    @field_validator("webhooks_retry_schedule")
    @classmethod
    def _positive(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(delay < 0 for delay in value):
            raise ValueError("retry delays are seconds, 0 or more")
        return value

    @property
    def store_url(self) -> str:
        return self.event_store_url or self.database_url
