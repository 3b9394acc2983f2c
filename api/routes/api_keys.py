"""`/api-keys`: API keys and their roles, for admins. A key is shown once, when created."""

from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from sqlalchemy.orm import Session

from api.auth import AdminKey
from api.crud import api_keys as crud
from api.deps import DatabaseDep, ServicesDep
from api.routes.responses import errors
from api.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic, ApiKeysPublic

router = APIRouter(prefix="/api-keys", tags=["api keys"])
KeyId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post("", status_code=status.HTTP_201_CREATED, responses=errors())
async def create_api_key(
    db: DatabaseDep, services: ServicesDep, _: AdminKey, body: ApiKeyCreate
) -> ApiKeyCreated:
    """A new key with roles: `admin` (everything), `ops` (reads), `case_system` (start, update,
    events, close), `agent` (pause, resume, complete). Keep `key`: only its hash is stored."""

    def create(session: Session) -> ApiKeyCreated:
        record, key = crud.create_api_key(session, body=body)
        return ApiKeyCreated(**ApiKeyPublic.model_validate(record).model_dump(), key=key)

    created = await db.run(create)
    services.keys.clear()
    return created


@router.get("", responses=errors())
async def read_api_keys(db: DatabaseDep, _: AdminKey) -> ApiKeysPublic:
    def read(session: Session) -> ApiKeysPublic:
        data = [ApiKeyPublic.model_validate(record) for record in crud.list_api_keys(session)]
        return ApiKeysPublic(data=data, count=len(data))

    return await db.run(read)


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404))
async def delete_api_key(
    db: DatabaseDep, services: ServicesDep, _: AdminKey, key_id: KeyId
) -> Response:
    """Revoke a key: at once in this process, within the key cache's few seconds in others."""
    await db.run(crud.delete_api_key, key_id=key_id)
    services.keys.clear()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
