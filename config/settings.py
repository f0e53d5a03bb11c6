"""Process-wide settings from the environment (prefix ``REFUNDSYNC_``) and an optional ``.env`` file.

Everything has a default that works on a laptop: a local Redis broker and an SQLite ledger under
``./var/``. Production overrides them with environment variables.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.errors import ConfigError, problems_from_validation


class Settings(BaseSettings):
    """Settings of one refundsync process (worker, beat, CLI)."""

    model_config = SettingsConfigDict(
        env_prefix="REFUNDSYNC_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    broker_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        description="Celery broker (Redis) and the fleet-wide limiter store.",
    )
    redis_url: str | None = Field(
        default=None,
        validate_default=True,
        description="Redis for fleet-wide limits, locks and the intake outbox (default: the broker URL).",
    )
    database_url: str = Field(
        default="sqlite:///./var/refundsync.db",
        description="Ledger database: SQLite file (default) or postgresql+psycopg://...",
    )
    tenants_file: Path = Field(default=Path("tenants.yaml"), description="YAML file declaring the companies.")
    token_key: SecretStr | None = Field(
        default=None,
        description="Fernet key(s) encrypting OAuth tokens at rest; comma-separated, newest first, "
        "to rotate.",
    )
    quickbooks_client_id: str | None = Field(default=None, description="Intuit developer app client id.")
    quickbooks_client_secret: SecretStr | None = None
    xero_client_id: str | None = Field(default=None, description="Xero developer app client id.")
    xero_client_secret: SecretStr | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["console", "json"] = "console"

    task_time_limit: int = Field(default=300, ge=1, description="Hard time limit of one task, seconds.")
    visibility_timeout: int = Field(
        default=3600,
        ge=1,
        description="Seconds before Redis redelivers an unacknowledged message; must exceed the task time "
        "limit and the longest retry countdown, or a running task is delivered twice.",
    )
    max_retry_countdown: int = Field(default=900, ge=1, description="Cap on any retry countdown, seconds.")
    auto_post: bool = Field(
        default=True, description="Post cases as soon as they are stored (off: intake only, post with retry)."
    )
    limit_minute_seconds: float = Field(
        default=60.0, gt=0, description="How long a provider 'minute' lasts (time compression for tests)."
    )
    limiter_max_wait: float = Field(
        default=20.0, gt=0,
        description="Seconds a call may wait for a rate-limit slot inside a task; longer waits are rescheduled.",
    )
    http_timeout: float = Field(default=60.0, gt=0, description="Seconds before a provider request times out.")
    lease_seconds: float | None = Field(
        default=None, gt=0,
        description="How long a flush's claim on a posting lasts before another worker may take it over (look "
        "it up, then re-send); default the task time limit + 60 s. Must exceed the task time limit, or a "
        "live flush could lose its claim mid-request.",
    )
    max_case_bytes: int = Field(default=65536, ge=1024, description="Largest accepted case payload, bytes.")
    metrics_port: int | None = Field(
        default=None, ge=1, le=65535,
        description="Port of the worker's Prometheus endpoint (/metrics); unset: no endpoint, nothing recorded.",
    )
    metrics_host: str = Field(default="127.0.0.1", description="Interface the metrics endpoint listens on.")
    backsync_check_seconds: float = Field(
        default=60.0, gt=0, description="How often beat looks for tenants due a back-sync (their own interval "
        "is in the tenants file, backsync.interval_minutes).",
    )


    @field_validator("redis_url")
    @classmethod
    def _redis_when_broker_is_not(cls, value: str | None, info: ValidationInfo) -> str | None:
        """Limits, locks and the outbox need Redis whatever the broker is (e.g. RabbitMQ)."""
        broker = info.data.get("broker_url", "")
        if value is None and broker and not broker.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"must be set when the broker is not Redis (REFUNDSYNC_BROKER_URL is "
                             f"{mask_url(broker)}): fleet-wide limits, locks and the intake outbox live in Redis")
        return value

    @model_validator(mode="after")
    def _lease_outlives_a_task(self) -> Settings:
        if self.lease_seconds is not None and self.lease_seconds <= self.task_time_limit:
            raise ValueError(f"lease_seconds ({self.lease_seconds:g}) must exceed task_time_limit "
                             f"({self.task_time_limit}): a claim must outlive the flush that holds it")
        return self

    @property
    def claim_lease_seconds(self) -> float:
        """The posting lease (and flush lock) a worker uses: set, or the task time limit + 60 s."""
        return self.lease_seconds if self.lease_seconds is not None else float(self.task_time_limit) + 60.0

    @property
    def coordination_url(self) -> str:
        """The Redis that holds limits, locks and the outbox: its own URL, or the broker's."""
        return self.redis_url or self.broker_url

    def safe_summary(self) -> dict[str, str]:
        """Settings as text with every secret masked, for `config check` and start-up logs."""
        return {
            "broker_url": mask_url(self.broker_url),
            "redis_url": mask_url(self.coordination_url),
            "database_url": mask_url(self.database_url),
            "tenants_file": str(self.tenants_file),
            "token_key": "set (hidden)" if self.token_key else "not set",
            "quickbooks_client_id": self.quickbooks_client_id or "not set",
            "quickbooks_client_secret": "set (hidden)" if self.quickbooks_client_secret else "not set",
            "xero_client_id": self.xero_client_id or "not set",
            "xero_client_secret": "set (hidden)" if self.xero_client_secret else "not set",
            "log_level": self.log_level,
            "log_format": self.log_format,
            "task_time_limit": str(self.task_time_limit),
            "visibility_timeout": str(self.visibility_timeout),
            "max_retry_countdown": str(self.max_retry_countdown),
            "max_case_bytes": str(self.max_case_bytes),
            "auto_post": str(self.auto_post).lower(),
            "limit_minute_seconds": str(self.limit_minute_seconds),
            "http_timeout": str(self.http_timeout),
            "limiter_max_wait": str(self.limiter_max_wait),
            "metrics": f"{self.metrics_host}:{self.metrics_port}" if self.metrics_port else "off",
            "backsync_check_seconds": str(self.backsync_check_seconds),
            "lease_seconds": f"{self.claim_lease_seconds:g}",
        }


def mask_url(url: str) -> str:
    """Hide the password of a URL such as ``redis://:secret@host/0``."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else f"{scheme}://{user}@{host}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read once."""
    return load_settings()


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError(
            "environment (REFUNDSYNC_* variables or .env)",
            [replace(p, field=p.field.upper()) for p in problems_from_validation(exc, prefix="REFUNDSYNC_")],
            hint="correct the variable named above (field names are upper-cased with the REFUNDSYNC_ prefix)",
        ) from exc


def ensure_sqlite_dir(database_url: str) -> None:
    """Create the folder of an SQLite ledger file so the default works on a fresh checkout."""
    prefix = "sqlite:///"
    if database_url.startswith(prefix) and ":memory:" not in database_url:
        Path(database_url[len(prefix) :]).expanduser().parent.mkdir(parents=True, exist_ok=True)
