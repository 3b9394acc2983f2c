"""Settings of the config service, from the environment (embedded defaults for development)."""

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from database.engine import DEFAULT_DATABASE_URL

MIN_ADMIN_KEY_LENGTH = 32
"""Outside development the bootstrap admin key is a random secret, never a word."""


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

    @model_validator(mode="after")
    def _strong_admin_key_outside_development(self) -> "ApiSettings":
        key = self.sla_admin_key
        weak = key is not None and len(key) < MIN_ADMIN_KEY_LENGTH
        if self.sla_environment != "development" and weak:
            raise ValueError(
                f"SLA_ADMIN_KEY is shorter than {MIN_ADMIN_KEY_LENGTH} characters; outside "
                "development set a random one (`openssl rand -hex 32`)"
            )
        return self
