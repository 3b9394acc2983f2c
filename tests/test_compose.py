"""docker-compose.yml is parsed and checked (no Docker engine here): services, images, ports,
dependencies, health checks, volumes, and the environment wiring between API, worker and
Temporal, down to every variable naming a setting the code actually reads."""

import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic_settings import BaseSettings

from activities.settings import ActionSettings
from api.config import ApiSettings
from temporal_connection.client import TemporalSettings
from worker import WorkerSettings

ROOT = Path(__file__).parent.parent
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]


def env_names(*settings: type[BaseSettings]) -> set[str]:
    names = set()
    for model in settings:
        prefix = str(model.model_config.get("env_prefix", ""))
        for name, field in model.model_fields.items():
            alias = field.validation_alias
            names.add(str(alias) if isinstance(alias, str) else f"{prefix}{name}".upper())
    return names


def environment(service: str) -> dict[str, str]:
    return {key: str(value) for key, value in SERVICES[service]["environment"].items()}


def test_the_services() -> None:
    assert set(SERVICES) == {"postgresql", "temporal", "temporal-ui", "api", "worker"}
    assert SERVICES["postgresql"]["image"].startswith("postgres:")
    assert SERVICES["temporal"]["image"].startswith("temporalio/auto-setup:")
    assert SERVICES["temporal-ui"]["image"].startswith("temporalio/ui:")
    assert SERVICES["api"]["build"] == "."
    assert SERVICES["worker"]["image"] == SERVICES["api"]["image"]
    assert SERVICES["worker"]["command"] == ["python", "-m", "worker"]
    assert SERVICES["api"]["command"][:2] == ["uvicorn", "api.main:app"]


def test_ports_match_the_development_defaults() -> None:
    assert "8000:8000" in SERVICES["api"]["ports"]
    assert "7233:7233" in SERVICES["temporal"]["ports"]
    assert "8233:8080" in SERVICES["temporal-ui"]["ports"]
    assert "ports" not in SERVICES["worker"]


def test_dependencies_wait_for_health() -> None:
    def waits_for(service: str) -> dict[str, str]:
        return {name: spec["condition"] for name, spec in SERVICES[service]["depends_on"].items()}

    assert waits_for("temporal") == {"postgresql": "service_healthy"}
    assert waits_for("api") == {"postgresql": "service_healthy", "temporal": "service_healthy"}
    assert waits_for("worker") == {"temporal": "service_healthy", "api": "service_healthy"}
    for service in ("postgresql", "temporal", "api", "worker"):
        assert SERVICES[service]["healthcheck"]["test"], service


def test_api_worker_and_ui_reach_the_same_temporal() -> None:
    api, worker = environment("api"), environment("worker")
    assert api["TEMPORAL_ADDRESS"] == worker["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert environment("temporal-ui")["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert api["TEMPORAL_TASK_QUEUE"] == worker["TEMPORAL_TASK_QUEUE"] == "sla"
    assert api["TEMPORAL_NAMESPACE"] == worker["TEMPORAL_NAMESPACE"]


def test_api_and_worker_share_the_config_database_on_postgresql() -> None:
    api, worker = environment("api"), environment("worker")
    assert api["DATABASE_URL"] == worker["DATABASE_URL"]
    assert api["DATABASE_URL"].startswith("postgresql+psycopg://sla:")
    assert api["DATABASE_URL"].endswith("@postgresql:5432/sla")
    temporal = environment("temporal")
    assert temporal["POSTGRES_SEEDS"] == "postgresql"
    assert temporal["POSTGRES_USER"] == environment("postgresql")["POSTGRES_USER"]
    assert temporal["POSTGRES_PWD"] == environment("postgresql")["POSTGRES_PASSWORD"]


def test_secrets_are_required_not_defaulted() -> None:
    assert ":?" in environment("api")["SLA_ADMIN_KEY"]
    assert ":?" in environment("postgresql")["POSTGRES_PASSWORD"]


@pytest.mark.parametrize(
    ("service", "settings"),
    [
        ("api", (TemporalSettings, ApiSettings)),
        ("worker", (TemporalSettings, WorkerSettings, ActionSettings)),
    ],
)
def test_every_variable_names_a_setting(
    service: str, settings: tuple[type[BaseSettings], ...]
) -> None:
    unknown = set(environment(service)) - env_names(*settings)
    assert not unknown, f"{service} sets variables no setting reads: {sorted(unknown)}"


def test_the_worker_health_check_reads_its_heartbeat() -> None:
    heartbeat = environment("worker")["SLA_HEARTBEAT_FILE"]
    assert heartbeat in " ".join(SERVICES["worker"]["healthcheck"]["test"])


def test_volumes_are_named() -> None:
    assert set(COMPOSE["volumes"]) == {"postgresql-data"}
    assert SERVICES["postgresql"]["volumes"] == ["postgresql-data:/var/lib/postgresql/data"]


def test_the_dockerfile_copies_what_exists() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text().splitlines()
    for line in dockerfile:
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
    assert any(line.startswith("HEALTHCHECK") for line in dockerfile)


def test_the_image_holds_every_module_the_package_installs() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    wanted = {f"{module}.py" for module in setuptools["py-modules"]} | {
        pattern.rstrip("*") for pattern in setuptools["packages"]["find"]["include"]
    }
    copied = {
        source.rstrip("/")
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.startswith("COPY ")
        for source in line.split()[1:-1]
    }
    assert wanted <= copied, sorted(wanted - copied)
