"""Dependencies of the routes, as `Annotated` aliases that read in domain terms: `DatabaseDep`
(database work on a session), `TemporalDep` (case operations on Temporal), `ServicesDep`, and
the API-key principals `AdminKey`, `OpsKey`, `CaseSystemKey`, `AgentKey`.

Keys are checked by hash; a verified key is trusted for `sla_key_cache_seconds` without reading
the database again (creating or deleting a key clears that cache at once in this process).
Roles: `admin` may do everything; `ops` reads; `case_system` starts, updates, records events on
and closes cases; `agent` pauses, resumes and completes milestones.
"""

import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from threading import Lock
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from api import crud
from api.config import ApiSettings
from api.crud import VersionCache
from api.errors import ForbiddenError, UnauthorizedError
from api.schemas import Role
from api.temporal import Cases, Clock, TemporalGateway

T = TypeVar("T")


@dataclass(frozen=True)
class Principal:
    """Who is calling: an API key's id (None for the bootstrap key), name and roles."""

    key_id: int | None
    name: str
    roles: frozenset[Role]

    def may(self, role: Role) -> bool:
        return "admin" in self.roles or role in self.roles


class KeyCache:
    """Verified key hashes (and unknown ones) for a few seconds: reads skip the database."""

    def __init__(self, ttl: float, size: int = 10_000) -> None:
        self.ttl = ttl
        self._size = size
        self._entries: dict[str, tuple[float, Principal | None]] = {}
        self._lock = Lock()

    def get(self, key_hash: str) -> tuple[bool, Principal | None]:
        entry = self._entries.get(key_hash)
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def put(self, key_hash: str, principal: Principal | None) -> None:
        with self._lock:
            if len(self._entries) >= self._size:
                self._entries.clear()
            self._entries[key_hash] = (time.monotonic() + self.ttl, principal)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class ResponseCache:
    """Answers of configuration reads, as JSON bytes, for `ttl` seconds.

    Every configuration write through this process clears it, so this process always answers
    its own writes; another API process may answer from its copy for up to `ttl` seconds more
    (`SLA_CONFIG_CACHE_SECONDS`, 0 turns the cache off). Published versions are immutable and
    cached for good in `VersionCache`; this cache spares the database the hot listings.
    """

    def __init__(self, ttl: float, size: int = 1000) -> None:
        self.ttl = ttl
        self._size = size
        self._entries: dict[str, tuple[float, bytes]] = {}
        self._lock = Lock()
        self.generation = 0
        """Bumped by every clear: an answer read before a write is not cached after it."""

    def get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, key: str, body: bytes, generation: int) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            if generation != self.generation:
                return
            if len(self._entries) >= self._size:
                self._entries.clear()
            self._entries[key] = (time.monotonic() + self.ttl, body)

    def clear(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries.clear()


@dataclass
class Services:
    """What the routes share, kept on `app.state.services`; tests swap in their own parts."""

    settings: ApiSettings
    sessions: sessionmaker[Session]
    temporal: TemporalGateway
    clock: Clock
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

# ------------------------------------------------------------------------------------------ auth

bearer = HTTPBearer(
    auto_error=False,
    description="An API key, sent as `Authorization: Bearer <key>`; admins create keys under "
    "/api-keys, and SLA_ADMIN_KEY is accepted as an admin key.",
)
MAX_KEY_LENGTH = 200


def _lookup(services: Services, key_hash: str) -> Principal | None:
    with services.sessions() as session:
        found = crud.roles_of_key(session, key_hash=key_hash)
    if found is None:
        return None
    key_id, name, roles = found
    return Principal(key_id=key_id, name=name, roles=frozenset(roles))


async def authenticate(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None or not credentials.credentials:
        raise UnauthorizedError("missing API key: send the header 'Authorization: Bearer <key>'")
    key = credentials.credentials
    unknown = UnauthorizedError("unknown API key: it was never issued, or it was deleted")
    if len(key) > MAX_KEY_LENGTH:
        raise unknown
    key_hash = crud.hash_key(key)
    admin_key = services.settings.sla_admin_key
    if admin_key and hmac.compare_digest(key_hash, crud.hash_key(admin_key)):
        return Principal(key_id=None, name="SLA_ADMIN_KEY", roles=frozenset({"admin"}))
    known, principal = services.keys.get(key_hash)
    if not known:
        principal = await run_in_threadpool(_lookup, services, key_hash)
        services.keys.put(key_hash, principal)
    if principal is None:
        raise unknown
    return principal


def _allow(role: Role, action: str) -> object:
    async def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.may(role):
            return principal
        roles = ", ".join(sorted(principal.roles))
        raise ForbiddenError(
            f"API key {principal.name!r} (roles: {roles}) cannot {action}: that needs the "
            f"{role!r} role"
        )

    return Depends(check)


AdminKey = Annotated[Principal, _allow("admin", "change configuration or API keys")]
OpsKey = Annotated[Principal, _allow("ops", "read configuration or cases")]
CaseSystemKey = Annotated[Principal, _allow("case_system", "start, update, or close cases")]
AgentKey = Annotated[Principal, _allow("agent", "pause, resume, or complete milestones")]
