"""Configuration of the command API, from the environment (see the README for every variable)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ticket_eventstore.postgres import DatabaseTimeouts
from ticket_eventstore.relay import RelaySettings
from ticket_eventstore.stream import DEFAULT_STREAM
from ticket_service.auth import AuthSettings


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = Field("postgresql://postgres@127.0.0.1:5432/postgres", description="The event store.")
    redis_url: str = Field("redis://127.0.0.1:6379/0", description="Where the relay publishes.")
    event_stream: str = Field(DEFAULT_STREAM, description="Name of the Redis stream of committed events.")
    debug: bool = Field(False, description="Enables POST /api/debug/token and a development JWT secret.")
    host: str = Field("127.0.0.1", description="Interface to bind; 0.0.0.0 in containers.")
    port: int = Field(8081, ge=1, le=65535)
    log_level: str = "info"
    log_format: Literal["json", "text"] = Field("json", description="json: one object per line; text: readable lines.")
    web_concurrency: int = Field(
        1, ge=1, description="Worker processes serving HTTP; each batches its own appends, one of them relays."
    )
    max_body_bytes: int = Field(64 * 1024, ge=1024, description="Larger request bodies are refused with 413.")
    db_pool_max_size: int = Field(10, ge=1)
    db_connect_timeout: float = Field(5.0, gt=0, description="Seconds before an unreachable store answers 503.")
    migrate_on_start: bool = Field(False, description="Apply event store migrations before serving.")
    db_statement_timeout: float = Field(5.0, ge=0, description="Seconds a statement may run (0: no bound).")
    db_lock_timeout: float = Field(2.0, ge=0, description="Seconds an append waits for the append lock.")
    db_idle_in_transaction_timeout: float = Field(
        5.0, ge=0, description="Seconds before the server ends a session stopped inside a transaction."
    )
    db_command_timeout: float = Field(10.0, ge=0, description="Seconds the client waits for any round trip.")
    db_acquire_timeout: float = Field(5.0, ge=0, description="Seconds a request waits for a pooled connection.")
    append_max_batch: int = Field(500, ge=1, description="Most appends written in one group-commit transaction.")
    cached_tickets: int = Field(10_000, ge=0, description="Ticket states kept in memory between commands.")

    relay_enabled: bool = Field(True, description="Run the relay (one replica publishes at a time).")
    relay_batch_size: int = Field(500, ge=1)
    relay_poll_interval: float = Field(1.0, gt=0, description="Seconds between rounds without a notification.")
    relay_election_interval: float = Field(2.0, gt=0, description="Seconds between a standby's lock attempts.")
    relay_max_backoff: float = Field(5.0, gt=0, description="Ceiling of the retry delay while Redis is down.")
    relay_trim_max_len: int | None = Field(1_000_000, ge=1, description="Keep at most this many latest positions.")
    relay_trim_max_age: float | None = Field(None, gt=0, description="Seconds; drop entries of older events.")
    relay_trim_interval: float = Field(60.0, gt=0)

    auth: AuthSettings = Field(default_factory=AuthSettings, description="JWT_* variables.")

    def timeouts(self) -> DatabaseTimeouts:
        return DatabaseTimeouts(
            statement=self.db_statement_timeout,
            lock=self.db_lock_timeout,
            idle_in_transaction=self.db_idle_in_transaction_timeout,
            command=self.db_command_timeout,
            acquire=self.db_acquire_timeout,
        )

    def relay(self) -> RelaySettings:
        return RelaySettings(
            stream=self.event_stream,
            batch_size=self.relay_batch_size,
            poll_interval=self.relay_poll_interval,
            election_interval=self.relay_election_interval,
            max_backoff=self.relay_max_backoff,
            trim_max_len=self.relay_trim_max_len,
            trim_max_age=self.relay_trim_max_age,
            trim_interval=self.relay_trim_interval,
        )
