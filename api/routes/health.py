"""`/health`: whether the database and Temporal answer; open, no key needed."""

from fastapi import APIRouter, Response, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import text

from api.deps import Services, ServicesDep
from api.errors import SlaError
from api.schemas import ComponentHealth, HealthPublic

router = APIRouter(tags=["health"])


def _database(services: Services) -> ComponentHealth:
    try:
        with services.sessions() as session:
            session.execute(text("SELECT 1"))
            dialect = session.get_bind().dialect.name
    except Exception as error:  # whatever went wrong, the database does not answer
        return ComponentHealth(reachable=False, detail=f"{type(error).__name__}: {error}")
    return ComponentHealth(reachable=True, detail=dialect)


@router.get("/health", responses={503: {"model": HealthPublic, "description": "Database down"}})
async def read_health(services: ServicesDep, response: Response) -> HealthPublic:
    """The database and Temporal, each reachable or not. 200 while the database answers (the
    configuration works); 503 when it does not."""
    database = await run_in_threadpool(_database, services)
    try:
        temporal = ComponentHealth(reachable=True, detail=await services.temporal.check())
    except SlaError as error:
        temporal = ComponentHealth(reachable=False, detail=error.message)
    if not database.reachable:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return HealthPublic(
        status="ok" if database.reachable and temporal.reachable else "degraded",
        database=database,
        temporal=temporal,
    )
