"""Query API settings, from the environment (constructed explicitly in tests)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ticket_service.auth import AuthSettings


class QuerySettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = Field(
        "postgresql://postgres@127.0.0.1:5432/postgres", description="PostgreSQL of the read models."
    )
    event_store_url: str | None = Field(
        None, description="PostgreSQL of the event store, for the lag on /ready; DATABASE_URL when unset."
    )
    read_model_schema: str = "read_model"
    db_read_connections: int = Field(
        10, ge=1, description="Connections reads share; budget them against PostgreSQL's max_connections."
    )
    debug: bool = False
    host: str = Field("127.0.0.1", description="Interface to listen on; 0.0.0.0 in containers.")
    port: int = 8082
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = Field("json", description="json: one object per line; text: readable lines.")
    min_position_timeout_seconds: float = Field(2.0, ge=0, description="Read-your-writes: longest wait for a position.")
    stream_poll_seconds: float = Field(
        0.25,
        gt=0,
        description="Live updates and read-your-writes: how often they read the checkpoint while the process's "
        "listener for checkpoint notifications is reconnecting (otherwise they are woken, not polled).",
    )
    stream_keepalive_seconds: float = Field(
        15.0, gt=0, description="Keep-alive comment lines on idle live streams, so proxies keep them open."
    )
    auth: AuthSettings = Field(default_factory=AuthSettings)

    @property
    def store_url(self) -> str:
        return self.event_store_url or self.database_url
