"""Dependencies of the routes, as `Annotated` aliases that read in domain terms: `DatabaseDep`
(database work on a session), `TemporalDep` (case operations on Temporal) and `ServicesDep`
(what the routes share). Who is calling is `api.auth`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from activities.settings import DestinationRules
from api.caches import KeyCache, ResponseCache, VersionCache
from api.config import ApiSettings
from api.temporal import Cases, Clock, TemporalGateway

T = TypeVar("T")


@dataclass
class Services:
    """What the routes share, kept on `app.state.services`; tests swap in their own parts."""

    settings: ApiSettings
    sessions: sessionmaker[Session]
    temporal: TemporalGateway
    clock: Clock
    destinations: DestinationRules = field(default_factory=DestinationRules)
    """Where webhooks may go (SLA_WEBHOOK_ALLOWED_HOSTS, as the worker reads it): publishing
    refuses a webhook the worker would refuse."""
    versions: VersionCache = field(default_factory=VersionCache)
    keys: KeyCache = field(default_factory=lambda: KeyCache(5.0))
    responses: ResponseCache = field(default_factory=lambda: ResponseCache(1.0))


async def get_services(request: Request) -> Services:
    # Dependencies are async where they need no I/O: FastAPI runs sync ones on a thread.
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


class Database:
    """Runs a unit of database work, in a session of its own, on one worker thread.

    Handlers are async and hand their whole database work to `run` (reads) or `write`: one
    thread hop per request, where sync handlers with a session dependency cost FastAPI four
    (dependency enter and exit, handler, response), each a wake-up of the event loop.
    """

    def __init__(self, sessions: sessionmaker[Session], cache: ResponseCache) -> None:
        self.sessions = sessions
        self.cache = cache

    async def run(self, work: Callable[..., T], /, **kwargs: Any) -> T:
        """`work(session, **kwargs)` on a worker thread."""
        return await run_in_threadpool(self._run, work, kwargs)

    async def write(self, work: Callable[..., T], /, **kwargs: Any) -> T:
        """`run` for work that changes configuration (it commits): cached reads are dropped."""
        try:
            return await run_in_threadpool(self._run, work, kwargs)
        finally:
            self.cache.clear()

    async def cached(self, request: Request, work: Callable[[Session], BaseModel]) -> Response:
        """The JSON answer of a configuration read, from the cache when it is fresh."""
        key = f"{request.url.path}?{sorted(request.query_params.multi_items())}"
        body = self.cache.get(key)
        if body is None:
            generation = self.cache.generation
            body = (await self.run(work)).model_dump_json().encode()
            self.cache.put(key, body, generation)
        return Response(content=body, media_type="application/json")

    def _run(self, work: Callable[..., T], kwargs: dict[str, Any]) -> T:
        with self.sessions() as session:
            return work(session, **kwargs)


async def get_database(services: ServicesDep) -> Database:
    return Database(services.sessions, services.responses)


DatabaseDep = Annotated[Database, Depends(get_database)]


async def get_temporal(services: ServicesDep) -> Cases:
    return Cases(services.temporal, services.settings.sla_temporal_timeout_seconds)


TemporalDep = Annotated[Cases, Depends(get_temporal)]
