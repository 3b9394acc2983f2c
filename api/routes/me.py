"""`/me`: who the calling API key is, its name and roles, for any valid key. `/api-keys` is for
admins; a client that needs its own name (`sla cases --mine` lists the cases whose `owner` is
the key's name) asks here."""

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from api.auth import authenticate
from api.keys import Principal
from api.routes.responses import errors
from api.schemas import ROLES, Role

router = APIRouter(tags=["api keys"])


class KeyIdentity(BaseModel):
    """The calling key: its name (`SLA_ADMIN_KEY` for the bootstrap key) and its roles."""

    name: str
    roles: list[Role]


@router.get("/me", responses=errors())
async def read_me(principal: Annotated[Principal, Depends(authenticate)]) -> KeyIdentity:
    """The calling key's name and roles; any valid key may ask."""
    return KeyIdentity(
        name=principal.name, roles=[role for role in ROLES if role in principal.roles]
    )
