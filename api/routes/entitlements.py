"""`/entitlements`: what each account bought (a process, optional business hours, valid dates,
an optional allowance of cases, conditions on case fields, a priority), stored and read back as
the contract's `Entitlement`. One without an account is a default, for cases none of whose
account's own applies. `POST /cases` chooses among them (`api.crud.cases`)."""

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status
from sqlalchemy.orm import Session

from api.auth import AdminKey, OpsKey
from api.caches import VersionCache
from api.crud import entitlements as crud
from api.deps import DatabaseDep, ServicesDep
from api.routes.responses import errors
from api.schemas import (
    EntitlementCasePublic,
    EntitlementCasesPublic,
    EntitlementCreate,
    EntitlementPublic,
    EntitlementsPublic,
    EntitlementUpdate,
    LevelName,
)
from database.models import EntitlementRecord

router = APIRouter(prefix="/entitlements", tags=["entitlements"])
EntitlementId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _public(
    session: Session, records: Sequence[EntitlementRecord], cache: VersionCache
) -> list[EntitlementPublic]:
    entitlements = crud.entitlements_of(session, records=records, cache=cache)
    return [
        EntitlementPublic(
            **entitlement.model_dump(),
            id=record.id,
            cases_remaining=entitlement.remaining,
            created_at=record.created_at,
            updated_at=record.updated_at,
        )
        for record, entitlement in zip(records, entitlements, strict=True)
    ]


@router.get("", response_model=EntitlementsPublic, responses=errors())
async def read_entitlements(
    request: Request,
    db: DatabaseDep,
    services: ServicesDep,
    _: OpsKey,
    account_id: Annotated[LevelName | None, Query()] = None,
) -> Response:
    """Every entitlement, or an account's (`account_id`): by account, each account's highest
    priority first."""

    def read(session: Session) -> EntitlementsPublic:
        records = crud.list_entitlements(session, account_id=account_id)
        data = _public(session, records, services.versions)
        return EntitlementsPublic(data=data, count=len(data))

    return await db.cached(request, read)


@router.post("", status_code=status.HTTP_201_CREATED, responses=errors(409))
async def create_entitlement(
    db: DatabaseDep, services: ServicesDep, _: AdminKey, body: EntitlementCreate
) -> EntitlementPublic:
    """A new entitlement of an account; its name is unique (case-insensitively) within the
    account. The process and the business hours are named, and must exist."""

    def create(session: Session) -> EntitlementPublic:
        record = crud.create_entitlement(session, body=body)
        return _public(session, [record], services.versions)[0]

    return await db.write(create)


@router.get("/{entitlement_id}", response_model=EntitlementPublic, responses=errors(404))
async def read_entitlement(
    request: Request,
    db: DatabaseDep,
    services: ServicesDep,
    _: OpsKey,
    entitlement_id: EntitlementId,
) -> Response:
    def read(session: Session) -> EntitlementPublic:
        record = crud.get_entitlement(session, entitlement_id=entitlement_id)
        return _public(session, [record], services.versions)[0]

    return await db.cached(request, read)


@router.patch("/{entitlement_id}", responses=errors(404, 409))
async def update_entitlement(
    db: DatabaseDep,
    services: ServicesDep,
    _: AdminKey,
    entitlement_id: EntitlementId,
    body: EntitlementUpdate,
) -> EntitlementPublic:
    """Change an entitlement: leave out what stays, send null to clear an optional field. The
    account and `cases_used` (the engine's count) cannot be written."""

    def update(session: Session) -> EntitlementPublic:
        record = crud.update_entitlement(session, entitlement_id=entitlement_id, changes=body)
        return _public(session, [record], services.versions)[0]

    return await db.write(update)


@router.delete(
    "/{entitlement_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404, 409)
)
async def delete_entitlement(
    db: DatabaseDep, _: AdminKey, entitlement_id: EntitlementId
) -> Response:
    await db.write(crud.delete_entitlement, entitlement_id=entitlement_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{entitlement_id}/cases", response_model=EntitlementCasesPublic, responses=errors(404))
async def read_entitlement_cases(
    request: Request,
    db: DatabaseDep,
    _: OpsKey,
    entitlement_id: EntitlementId,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """The entitlement's usage: the cases its allowance took, newest first, each `counted` or
    started `over_allowance`. Only entitlements with an allowance count cases."""

    def read(session: Session) -> EntitlementCasesPublic:
        rows = crud.covered_cases(session, entitlement_id=entitlement_id, limit=limit)
        data = [
            EntitlementCasePublic(
                case_id=row.case_id,
                coverage="counted" if row.counted else "over_allowance",
                started_at=row.started_at,
            )
            for row in rows
        ]
        return EntitlementCasesPublic(entitlement_id=entitlement_id, data=data, count=len(data))

    return await db.cached(request, read)
