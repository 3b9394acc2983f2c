"""Settings of the config service, from the environment (embedded defaults for development)."""

import secrets
from typing import TypeVar

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from database.engine import DEFAULT_DATABASE_URL

MIN_SECRET_LENGTH = 32
"""Outside development the bootstrap admin key and the console's secret are random secrets,
never words."""
CONSOLE_OWNER_FIELDS = ("owner", "account_id")
"""The case fields the case's milestone record keeps (`workflows.records.CaseRecord`), so "My
cases" can filter on them with one indexed query."""


class ApiSettings(BaseSettings):
    """`DATABASE_URL` (a SQLite file under ./var by default), the bootstrap admin key, and limits.

    Temporal is reached with `temporal_connection.TemporalSettings` (`TEMPORAL_ADDRESS`,
    `TEMPORAL_NAMESPACE`, `TEMPORAL_TASK_QUEUE`, TLS), which `api.main` reads.
    """

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    sla_admin_key: str | None = None
    """An admin API key accepted as is, for first start and automation."""
    sla_environment: str = "development"
    sla_migrate_on_start: bool = True
    """Upgrade the schema when the app starts (turn off where migrations run as a deploy step)."""
    sla_temporal_timeout_seconds: float = Field(default=10.0, gt=0)
    """How long a case command or query may wait for Temporal and the worker."""
    sla_config_cache_seconds: float = Field(default=1.0, ge=0)
    """How long a configuration read may be answered from this process's cache: its own writes
    clear it at once, other API processes' writes show within this time."""
    sla_key_cache_seconds: float = Field(default=5.0, ge=0)
    """How long a verified API key is trusted without reading the database again: a key revoked
    through another API process stops working within this time (at once in this one)."""
    sla_console_secret: str = Field(default_factory=lambda: secrets.token_hex(32), repr=False)
    """The HMAC key that signs the console's session cookies. Unset (or empty, in development),
    each process makes a random one: sessions end when it restarts, and API processes behind one
    address must share one."""
    sla_console_session_hours: float = Field(default=8.0, gt=0, le=24 * 30)
    """How long a console sign-in lasts."""
    sla_console_owner_field: str = "owner"
    """The case field that "My cases" filters on: one the case's record keeps (`owner` or
    `account_id`)."""

    @field_validator("sla_console_owner_field")
    @classmethod
    def _searchable_owner_field(cls, value: str) -> str:
        if value not in CONSOLE_OWNER_FIELDS:
            raise ValueError(
                f"SLA_CONSOLE_OWNER_FIELD {value!r} is not a case field the case records "
                f"keep: use one of {', '.join(CONSOLE_OWNER_FIELDS)}"
            )
        return value

    @model_validator(mode="after")
    def _strong_secrets_outside_development(self) -> "ApiSettings":
        if self.sla_environment == "development":
            # An empty secret would let anyone who reads a key's hash sign a session.
            if not self.sla_console_secret:
                self.sla_console_secret = secrets.token_hex(32)
            return self
        for name, value in (
            ("SLA_ADMIN_KEY", self.sla_admin_key),
            ("SLA_CONSOLE_SECRET", self.sla_console_secret),
        ):
            if value is not None and len(value) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"{name} is shorter than {MIN_SECRET_LENGTH} characters; outside "
                    "development set a random one (`openssl rand -hex 32`)"
                )
        return self


Settings = TypeVar("Settings", bound=BaseSettings)


class InvalidSettingsError(ValueError):
    """Settings that failed validation: each variable and what is wrong with it, no value."""


def settings_problems(settings: type[BaseSettings], error: ValidationError) -> str:
    """What is wrong with each setting, by its variable's name. Never pydantic's own message,
    which echoes every input (`input_value=...`), secrets included."""
    prefix = str(settings.model_config.get("env_prefix") or "")
    problems = []
    for problem in error.errors(include_url=False, include_input=False):
        field = problem["loc"][0] if problem["loc"] else None
        name = f"{prefix}{field}".upper() + ": " if isinstance(field, str) else ""
        problems.append(name + str(problem["msg"]).removeprefix("Value error, "))
    return f"{settings.__name__} (values not shown): " + "; ".join(problems)


def load_settings(settings: type[Settings]) -> Settings:
    """`settings` from the environment; `InvalidSettingsError` when one fails its rules, whose
    message (which a start-up log prints) names them and says why, without their values."""
    try:
        return settings()
    except ValidationError as error:
        raise InvalidSettingsError(settings_problems(settings, error)) from None
