"""The API's settings: outside development the console's signing secret is a random secret of
32 characters or more, as the bootstrap admin key, and an empty one is never used to sign (in
development it stands for unset: a random one)."""

import pytest
from pydantic import ValidationError

from api.config import ApiSettings


@pytest.mark.parametrize("secret", ["", "x", "s" * 31])
def test_production_refuses_a_short_console_secret(secret: str) -> None:
    with pytest.raises(ValidationError, match="SLA_CONSOLE_SECRET is shorter than 32 characters"):
        ApiSettings(sla_environment="production", sla_console_secret=secret)


def test_production_takes_a_long_console_secret_or_makes_one() -> None:
    assert ApiSettings(sla_environment="production", sla_console_secret="s" * 32)
    made = ApiSettings(sla_environment="production").sla_console_secret
    assert len(made) >= 32


def test_development_never_signs_with_an_empty_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLA_CONSOLE_SECRET", "")
    first, second = ApiSettings().sla_console_secret, ApiSettings().sla_console_secret
    assert len(first) >= 32
    assert first != second  # random, per process
    assert len(ApiSettings(sla_console_secret="").sla_console_secret) >= 32
