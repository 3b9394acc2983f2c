"""`/health`: open, reporting the database and Temporal."""

from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from api.deps import Services
from tests.helpers.api import CaseApi, client_for


async def test_health_reports_temporal_down(app: FastAPI) -> None:
    async with client_for(app, None) as anonymous:
        response = await anonymous.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["database"]["reachable"] is True
    assert body["temporal"]["reachable"] is False
    assert body["temporal"]["detail"].startswith("Temporal at 127.0.0.1:")
    assert body["temporal"]["detail"].endswith(
        "Configuration endpoints still work; cases need Temporal (`make run` starts a dev server)"
    )


async def test_health_reports_both_up(case_api: CaseApi) -> None:
    response = await case_api.client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["temporal"]["reachable"] is True


async def test_health_answers_503_without_the_database(app: FastAPI, tmp_path: Path) -> None:
    services: Services = app.state.services
    services.sessions = sessionmaker(create_engine(f"sqlite:///{tmp_path}/missing/dir/x.sqlite"))
    async with client_for(app, None) as anonymous:
        response = await anonymous.get("/health")
    assert response.status_code == 503
    assert response.json()["database"]["reachable"] is False
    assert response.json()["database"]["detail"].startswith("OperationalError: ")
