"""Every setting of the service, read from ``UPNEXT_*`` environment variables."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Standard Webhooks' recommendation after the immediate first attempt: 5 s, 5 min, 30 min,
# 2 h, 5 h, 10 h, 14 h, 20 h, 24 h.
DEFAULT_RETRY_SCHEDULE = "5,300,1800,7200,18000,36000,50400,72000,86400"


class Settings(BaseSettings):
    """Service settings. Each field is documented in the README's settings table."""

    model_config = SettingsConfigDict(env_prefix="UPNEXT_", extra="ignore")

    database_url: str = Field(
        "sqlite:///upnext.db",
        description="SQLAlchemy URL: sqlite:///FILE (default) or postgresql://...",
    )
    admin_key: str | None = Field(None, description="The operator's key as key_id:secret.")
    public_url: str | None = Field(
        None, description="Base URL of media links; default http://{host}:{port}."
    )
    webhook_allow_private: bool = Field(
        False, description="Allow webhook URLs on loopback/private networks (tests only)."
    )
    webhook_retry_schedule: str = Field(
        DEFAULT_RETRY_SCHEDULE,
        description="Comma-separated seconds between webhook attempts.",
    )
    max_body_bytes: int = Field(65_536, description="Cap on JSON request bodies.")
    max_media_bytes: int = Field(8 * 1024 * 1024, description="Cap on media uploads.")
    max_batch_bytes: int = Field(
        8 * 1024 * 1024, description="Cap on replace-all and batch bodies (500 items)."
    )
    item_ttl_days: int = Field(
        60, ge=0, description="Items untouched this many days disappear and are purged; 0: never."
    )
    db_pool_size: int = Field(10, description="PostgreSQL connections per process.")
    log_level: str = Field("info", description="Log level of the server.")
    log_format: Literal["text", "json"] | None = Field(
        None,
        description="text (lines for a person) or json (one object a line); unset: text "
        "when standard error is a terminal, JSON otherwise.",
    )
    rate_limit_per_minute: int = Field(
        60_000, ge=0, description="Requests per minute per key on /v1 (0: no limit)."
    )
    redis_url: str | None = Field(
        None, description="redis://... to share rate limits between processes and hosts."
    )
    handoff_ttl_seconds: int = Field(
        600, ge=60, le=3600, description="How long a handoff token stays redeemable (60-3600)."
    )
    cors_origins: str = Field(
        "", description="Comma-separated origins allowed by CORS; empty: no CORS headers."
    )

    @field_validator("log_format", mode="before")
    @classmethod
    def _log_format_shape(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip().lower() or None  # empty: unset
        return value

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _schedule_shape(cls, value: str) -> str:
        _parse_schedule(value)
        return value

    @property
    def retry_schedule(self) -> tuple[float, ...]:
        """Seconds to wait before each retry after the first attempt."""
        return _parse_schedule(self.webhook_retry_schedule)

    @field_validator("admin_key")
    @classmethod
    def _admin_key_shape(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        key_id, sep, secret = value.partition(":")
        if not sep or not key_id.startswith("KY") or len(secret) < 16:
            raise ValueError("UPNEXT_ADMIN_KEY must be KY<digits>:<secret of 16+ characters>")
        return value

    @property
    def media_base(self) -> str:
        return (self.public_url or "http://127.0.0.1:8000").rstrip("/")


def _parse_schedule(value: str) -> tuple[float, ...]:
    try:
        delays = tuple(float(part) for part in value.split(",") if part.strip())
    except ValueError:
        raise ValueError("must be comma-separated numbers of seconds") from None
    if any(delay < 0 for delay in delays):
        raise ValueError("delays cannot be negative")
    return delays
