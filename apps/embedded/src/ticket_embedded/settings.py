"""Settings of the embedded mode, from the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ticket_service.auth import AuthSettings

REPO_FRONTEND = Path(__file__).resolve().parents[4] / "frontend"


class EmbeddedSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    port: int = Field(8080, ge=1, le=65535, description="HTTP port of the whole system.")
    host: str = Field("127.0.0.1", description="Interface to bind.")
    db_path: str = Field("./support-ticket.db", description="SQLite file holding the events and the read models.")
    debug: bool = Field(True, description="Enables POST /api/debug/token (and a development JWT secret).")
    log_level: str = "info"
    log_format: Literal["json", "text"] = Field("text", description="json: one object per line; text: readable lines.")
    max_body_bytes: int = Field(64 * 1024, ge=1024)
    frontend_dir: Path | None = Field(REPO_FRONTEND, description="Static web UI served at /, when present.")
    min_position_timeout_seconds: float = Field(2.0, ge=0)
    stream_poll_seconds: float = Field(0.25, gt=0, description="Fallback checkpoint reads while not fed (rare).")
    stream_keepalive_seconds: float = Field(15.0, gt=0, description="Keep-alive comments on idle live streams.")
    auth: AuthSettings = Field(default_factory=AuthSettings, description="JWT_* variables.")
