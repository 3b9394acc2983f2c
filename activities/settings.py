"""Settings of the action handlers, from the worker's environment.

Secrets (webhook signing keys, SMTP and case-system credentials) live here, on the worker, and
never in workflow history: an action's parameters name a secret, they do not carry it.
"""

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from activities.destinations import Resolver, resolve_host
from database.engine import DEFAULT_DATABASE_URL


class DestinationRules(BaseSettings):
    """Where webhooks may go: read by the worker, which enforces it on every delivery, and by
    the API, which refuses a process whose webhooks it would refuse (`activities.rules`)."""

    model_config = SettingsConfigDict(env_prefix="SLA_", extra="ignore")

    webhook_allowed_hosts: list[str] = Field(default_factory=list)
    """Host patterns (`crm.example.com`, `*.example.org`, `127.0.0.1:8080`) a webhook may call.
    Empty: any public host. Loopback, private and link-local addresses (or IPv6 addresses
    embedding one) are refused unless a pattern names the host, so a configuration cannot turn
    the worker against internal services."""
    resolve: Resolver = Field(default=resolve_host, exclude=True, repr=False)
    """Not from the environment: how a host name becomes addresses, once per request (the
    system resolver; tests replace it)."""


class ActionSettings(DestinationRules):
    database_url: str = Field(default=DEFAULT_DATABASE_URL, validation_alias="DATABASE_URL")
    """The config database, which holds the delivery log."""

    webhook_secrets: dict[str, SecretStr] = Field(default_factory=dict)
    """Signing keys by name (JSON): `{"default": "...", "crm": "..."}`; a webhook picks one with
    `params.secret` (default: "default"), any but `CASE_SYSTEM_SECRET`."""
    http_timeout_seconds: float = 3.0
    """Per phase (connect, send, read): an attempt ends well within its activity timeout."""

    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_ca_file: str | None = None
    """A CA bundle for the SMTP server's certificate (system roots when unset)."""
    mail_from: str = "sla@localhost"

    case_system_url: str | None = None
    """Base URL of the case system's callback API: the only URL `case_update` and `escalate`
    call."""
    case_system_token: SecretStr | None = None

    @field_validator("case_system_url", "smtp_username", "smtp_ca_file", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value
