"""Who is calling: the API key in `Authorization: Bearer <key>`, checked by its hash (a verified
key is trusted for `sla_key_cache_seconds` without reading the database again), the route
guards `AdminKey`, `OpsKey`, `CaseSystemKey`, `AgentKey`, `CaseReaderKey`, and
`principal_of_key` / `principal_of_hash`, the one key lookup the console's sessions share.

Roles: `admin` may do everything; `ops` reads; `case_system` starts, updates, records events on
and closes cases; `agent` reads cases (trackers, timelines, the listing) and pauses, resumes and
completes milestones.
"""

import hmac
from typing import Annotated

from fastapi import Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.crud.api_keys import roles_of_key
from api.deps import Services, ServicesDep
from api.errors import ForbiddenError, UnauthorizedError
from api.keys import Principal, hash_key
from api.schemas import Role

bearer = HTTPBearer(
    auto_error=False,
    description="An API key, sent as `Authorization: Bearer <key>`; admins create keys under "
    "/api-keys, and SLA_ADMIN_KEY is accepted as an admin key.",
)
MAX_KEY_LENGTH = 200


def _lookup(services: Services, key_hash: str) -> Principal | None:
    with services.sessions() as session:
        found = roles_of_key(session, key_hash=key_hash)
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
    principal = await principal_of_key(services, credentials.credentials)
    if principal is None:
        raise UnauthorizedError("unknown API key: it was never issued, or it was deleted")
    return principal


async def principal_of_key(services: Services, key: str) -> Principal | None:
    """Who holds `key` (SLA_ADMIN_KEY or a stored key, through the key cache), or None."""
    if len(key) > MAX_KEY_LENGTH:
        return None
    return await principal_of_hash(services, hash_key(key))


async def principal_of_hash(services: Services, key_hash: str) -> Principal | None:
    """Who holds the key with this hash, or None: the console's session keeps the hash, not the
    key, and asks again on each request, so a revoked key ends its sessions too."""
    admin_key = services.settings.sla_admin_key
    if admin_key and hmac.compare_digest(key_hash, hash_key(admin_key)):
        return Principal(key_id=None, name="SLA_ADMIN_KEY", roles=frozenset({"admin"}))
    known, principal = services.keys.get(key_hash)
    if not known:
        principal = await run_in_threadpool(_lookup, services, key_hash)
        services.keys.put(key_hash, principal)
    return principal


def _allow(role: Role, action: str, *others: Role) -> object:
    """A guard admitting keys with `role` (or any of `others`; admin always)."""
    wanted = (role, *others)

    async def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if any(principal.may(r) for r in wanted):
            return principal
        roles = ", ".join(sorted(principal.roles))
        needed = " or ".join(repr(r) for r in wanted)
        plural = "s" if others else ""
        raise ForbiddenError(
            f"API key {principal.name!r} (roles: {roles}) cannot {action}: that needs the "
            f"{needed} role{plural}"
        )

    return Depends(check)


AdminKey = Annotated[Principal, _allow("admin", "change configuration or API keys")]
OpsKey = Annotated[Principal, _allow("ops", "read configuration or cases")]
CaseSystemKey = Annotated[Principal, _allow("case_system", "start, update, or close cases")]
AgentKey = Annotated[Principal, _allow("agent", "pause, resume, or complete milestones")]
CaseReaderKey = Annotated[Principal, _allow("ops", "read cases", "agent")]
"""Reading a case's tracker and timeline, and listing cases: what agents work from."""
