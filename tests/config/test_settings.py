"""Settings come from REFUNDSYNC_* variables; a bad value names the variable and secrets stay hidden."""

from __future__ import annotations

import pytest

from config.errors import ConfigError
from config.settings import load_settings, mask_url


@pytest.mark.usefixtures("clean_env")
def test_defaults_work_on_a_laptop() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///./var/refundsync.db"
    assert settings.broker_url.startswith("redis://")


@pytest.mark.usefixtures("clean_env")
def test_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFUNDSYNC_LOG_LEVEL", "LOUD")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "REFUNDSYNC_LOG_LEVEL: Input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR' (got 'LOUD')" in str(info.value)


@pytest.mark.usefixtures("clean_env")
def test_summary_masks_passwords_and_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFUNDSYNC_BROKER_URL", "redis://:hunter2@redis.internal:6379/0")
    monkeypatch.setenv("REFUNDSYNC_TOKEN_KEY", "a-very-secret-key")
    summary = load_settings().safe_summary()
    assert summary["broker_url"] == "redis://:***@redis.internal:6379/0"
    assert summary["token_key"] == "set (hidden)"
    assert "hunter2" not in str(summary) and "a-very-secret-key" not in str(summary)


def test_mask_url_keeps_user_and_host() -> None:
    assert mask_url("postgresql+psycopg://app:pw@db:5432/ledger") == "postgresql+psycopg://app:***@db:5432/ledger"
    assert mask_url("sqlite:///./var/x.db") == "sqlite:///./var/x.db"


@pytest.mark.usefixtures("clean_env")
def test_a_broker_other_than_redis_needs_its_own_redis_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFUNDSYNC_BROKER_URL", "amqp://app:s3cret@rabbit:5672//")
    with pytest.raises(ConfigError) as info:
        load_settings()
    text = str(info.value)
    assert "REFUNDSYNC_REDIS_URL: must be set when the broker is not Redis" in text
    assert "s3cret" not in text
    monkeypatch.setenv("REFUNDSYNC_REDIS_URL", "redis://redis:6379/1")
    settings = load_settings()
    assert settings.coordination_url == "redis://redis:6379/1"
    assert settings.broker_url.startswith("amqp://")


def test_a_claim_lease_must_outlive_a_task(monkeypatch: pytest.MonkeyPatch) -> None:
    """A lease shorter than a task would let a second worker take over a posting a live flush is sending."""
    monkeypatch.setenv("REFUNDSYNC_TASK_TIME_LIMIT", "20")
    assert load_settings().claim_lease_seconds == 80.0  # default: the task time limit + 60 s
    monkeypatch.setenv("REFUNDSYNC_LEASE_SECONDS", "25")
    assert load_settings().claim_lease_seconds == 25.0
    monkeypatch.setenv("REFUNDSYNC_LEASE_SECONDS", "20")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "lease_seconds (20) must exceed task_time_limit (20)" in str(info.value)
