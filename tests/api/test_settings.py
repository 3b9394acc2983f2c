"""The API's settings: outside development the console's signing secret is a random secret of
32 characters or more, as the bootstrap admin key, and an empty one is never used to sign (in
development it stands for unset: a random one). Settings that fail at start-up are named in the
log with what is wrong, never with their values."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from api.config import ApiSettings

ROOT = Path(__file__).parents[2]


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


SECRET = "hunter2-console-secret"
ADMIN = "admin-key-secret-value-0123456789abcdef"


def test_settings_that_fail_at_start_up_are_named_never_shown(tmp_path: Path) -> None:
    """The API as production starts it (uvicorn importing `api.main:app`): its log names each
    setting and what is wrong with it, and prints no value, secrets included."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'never.sqlite'}",
        "SLA_ENVIRONMENT": "production",
        "SLA_ADMIN_KEY": ADMIN,
        "SLA_CONSOLE_SECRET": SECRET,
        "TEMPORAL_API_KEY": SECRET + "-temporal",
    }
    strong = "s" * 32
    for problem, said in (
        ({}, "SLA_CONSOLE_SECRET is shorter than 32 characters"),
        ({"SLA_TEMPORAL_TIMEOUT_SECONDS": "-1"}, "SLA_TEMPORAL_TIMEOUT_SECONDS: Input should be"),
        ({"SLA_CONSOLE_SECRET": strong, "TEMPORAL_TLS": "perhaps"}, "TEMPORAL_TLS: Input should"),
        (
            {"SLA_CONSOLE_SECRET": strong, "SLA_WEBHOOK_ALLOWED_HOSTS": f'[["{SECRET}"]]'},
            "SLA_WEBHOOK_ALLOWED_HOSTS: Input should be a valid string",
        ),
    ):
        started = subprocess.run(
            [sys.executable, "-m", "uvicorn", "api.main:app", "--port", "0"],
            cwd=ROOT,
            env={**env, **problem},
            capture_output=True,
            text=True,
            timeout=60,
        )
        log = started.stdout + started.stderr
        assert started.returncode != 0, log
        for secret in (SECRET, ADMIN, "input_value"):
            assert secret not in log, log
        assert said in log, log
