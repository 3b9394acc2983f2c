"""Settings of the config service, from the environment (embedded defaults for development)."""

from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE = Path("var") / "sla.sqlite"


class ApiSettings(BaseSettings):
    """`DATABASE_URL` (a SQLite file under ./var by default) and the bootstrap admin key."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = f"sqlite:///{DEFAULT_DATABASE}"
    sla_admin_key: str | None = None
    """An admin API key accepted as is, for first start and automation."""
    sla_environment: str = "development"

    @model_validator(mode="after")
    def _no_default_secrets_outside_development(self) -> "ApiSettings":
        if self.sla_environment != "development" and self.sla_admin_key in ("admin", "changeme"):
            raise ValueError("SLA_ADMIN_KEY is a well-known default: set a random one")
        return self
