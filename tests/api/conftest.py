"""Fixtures of the API tests: a real database (SQLite by default, PostgreSQL with
`SLA_TEST_DATABASE_URL=postgresql+psycopg://...`), migrated from scratch once per session, with
every test inside a transaction that is rolled back; an app whose sessions join that
transaction; and HTTP clients holding keys of each role.

Case endpoints reach Temporal through `app.state.services.temporal`: unreachable by default (they
answer 503), or the time-skipping server's client with `case_api` (a worker on its own task queue
running the real workflow with recording fake actions).
"""

import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import sessionmaker
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from api.config import ApiSettings
from api.deps import Services
from api.main import create_app
from database.migrations import downgrade, upgrade
from temporal_connection.client import TemporalSettings
from tests.helpers import running_worker
from tests.helpers.api import (
    ADMIN_KEY,
    CaseApi,
    StartedWorkflows,
    client_for,
    closed_port,
    use_temporal,
)
from tests.helpers.cases import ActionRecorder
from tests.helpers.console import Console, signed_in

DATABASE_URL_ENV = "SLA_TEST_DATABASE_URL"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The database under test, migrated down to nothing and up to head (both directions of
    every migration run once per session)."""
    url = os.environ.get(DATABASE_URL_ENV) or (
        f"sqlite:///{tmp_path_factory.mktemp('api') / 'api.sqlite'}"
    )
    upgrade(url)
    downgrade(url, "base")
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def test_engine(database_url: str) -> Iterator[Engine]:
    """The app's engine settings, plus real transactions on SQLite: pysqlite would defer BEGIN
    to the first write, so the first savepoint would be the transaction and its release would
    commit the test's writes (SQLAlchemy's documented recipe)."""
    engine = create_engine(database_url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _connect(connection: Any, _record: object) -> None:
            connection.isolation_level = None
            connection.execute("PRAGMA foreign_keys=ON")

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN")

    yield engine
    engine.dispose()


@pytest.fixture
def connection(test_engine: Engine) -> Iterator[Connection]:
    """One connection whose outer transaction every session of the test joins; rolled back."""
    with test_engine.connect() as connection:
        outer = connection.begin()
        yield connection
        outer.rollback()


@pytest.fixture
def app(database_url: str, connection: Connection) -> FastAPI:
    settings = ApiSettings(
        database_url=database_url, sla_admin_key=ADMIN_KEY, sla_migrate_on_start=False
    )
    app = create_app(settings, TemporalSettings(address=f"127.0.0.1:{closed_port()}"))
    services: Services = app.state.services
    services.sessions = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    return app


@pytest.fixture
async def admin(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app, ADMIN_KEY) as client:
        yield client


@pytest.fixture
async def console(app: FastAPI) -> AsyncIterator[Console]:
    """A browser signed in to the console with the admin key."""
    async with signed_in(app, ADMIN_KEY) as signed:
        yield signed


@pytest.fixture
async def case_api(app: FastAPI, env: WorkflowEnvironment) -> AsyncIterator[CaseApi]:
    """The API on the time-skipping server. The cases a test leaves open are terminated after
    it: their timers would otherwise hold up every later skip of time in the session."""
    recorder = ActionRecorder()
    started = StartedWorkflows()
    client = Client(**{**env.client.config(), "interceptors": [started]})
    async with running_worker(env, recorder.activities()) as task_queue:
        use_temporal(app, client, task_queue)
        services: Services = app.state.services
        services.clock = env.get_current_time
        try:
            async with client_for(app, ADMIN_KEY) as http:
                yield CaseApi(app, http, env, recorder, task_queue)
        finally:
            for workflow_id in set(started.ids):
                with contextlib.suppress(RPCError):
                    await env.client.get_workflow_handle(workflow_id).terminate("test over")
