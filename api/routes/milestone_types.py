"""`/milestone-types`: the catalog of milestone types, per level (global, account, relationship
type), in each level's own order."""

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status
from sqlalchemy.orm import Session

from api.auth import AdminKey, OpsKey
from api.crud import milestone_types as crud
from api.deps import DatabaseDep
from api.routes.responses import errors
from api.schemas import (
    LevelName,
    MilestoneTypeCreate,
    MilestoneTypePublic,
    MilestoneTypeReorder,
    MilestoneTypesPublic,
    MilestoneTypeUpdate,
    Scope,
)
from database.models import MilestoneTypeRecord

router = APIRouter(prefix="/milestone-types", tags=["milestone types"])
TypeId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _page(records: Sequence[MilestoneTypeRecord]) -> MilestoneTypesPublic:
    data = [MilestoneTypePublic.model_validate(record) for record in records]
    return MilestoneTypesPublic(data=data, count=len(data))


@router.get("", response_model=MilestoneTypesPublic, responses=errors())
async def read_milestone_types(
    request: Request,
    db: DatabaseDep,
    _: OpsKey,
    scope: Scope | None = None,
    account_id: Annotated[LevelName | None, Query()] = None,
    relationship_type: Annotated[LevelName | None, Query()] = None,
    active: bool | None = None,
) -> Response:
    """Types as a level sees them: with `account_id` or `relationship_type`, that level's own
    types in their order, then the global types in theirs; `scope=global` gives the global
    types; with neither, every type (global, then account, then relationship levels)."""

    def read(session: Session) -> MilestoneTypesPublic:
        return _page(
            crud.list_milestone_types(
                session,
                scope=scope,
                account_id=account_id,
                relationship_type=relationship_type,
                active=active,
            )
        )

    return await db.cached(request, read)


@router.post("", status_code=status.HTTP_201_CREATED, responses=errors(409))
async def create_milestone_type(
    db: DatabaseDep, _: AdminKey, body: MilestoneTypeCreate
) -> MilestoneTypePublic:
    """A new type, last in its level's order."""

    def create(session: Session) -> MilestoneTypePublic:
        return MilestoneTypePublic.model_validate(crud.create_milestone_type(session, body=body))

    return await db.write(create)


@router.post("/reorder", responses=errors())
async def reorder_milestone_types(
    db: DatabaseDep, _: AdminKey, body: MilestoneTypeReorder
) -> MilestoneTypesPublic:
    """Set the order of one level's own types (all of them, each once); global types keep their
    own order, after the local ones. Answers the level's listing."""
    return await db.write(lambda session: _page(crud.reorder_milestone_types(session, body=body)))


@router.get("/{type_id}", response_model=MilestoneTypePublic, responses=errors(404))
async def read_milestone_type(
    request: Request, db: DatabaseDep, _: OpsKey, type_id: TypeId
) -> Response:
    def read(session: Session) -> MilestoneTypePublic:
        return MilestoneTypePublic.model_validate(crud.get_milestone_type(session, type_id=type_id))

    return await db.cached(request, read)


@router.patch("/{type_id}", responses=errors(404, 409))
async def update_milestone_type(
    db: DatabaseDep, _: AdminKey, type_id: TypeId, body: MilestoneTypeUpdate
) -> MilestoneTypePublic:
    """Change a type. A deactivated type stays in the processes that use it, but no new
    version can take it."""

    def update(session: Session) -> MilestoneTypePublic:
        record = crud.update_milestone_type(session, type_id=type_id, changes=body)
        return MilestoneTypePublic.model_validate(record)

    return await db.write(update)


@router.delete("/{type_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404, 409))
async def delete_milestone_type(db: DatabaseDep, _: AdminKey, type_id: TypeId) -> Response:
    """Delete a type no published process uses (deactivate one that is used)."""
    await db.write(crud.delete_milestone_type, type_id=type_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
