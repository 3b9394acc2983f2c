"""`/entitlement-processes`: processes and their published, immutable versions. A version is
stored as the contract's `EntitlementProcess`, the snapshot a case pins when it starts."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status
from sqlalchemy.orm import Session

from api.auth import AdminKey, OpsKey
from api.crud import processes as crud
from api.deps import DatabaseDep, ServicesDep
from api.routes.responses import errors
from api.schemas import (
    EntitlementProcessCreate,
    EntitlementProcessesPublic,
    EntitlementProcessPublic,
    ProcessVersionCreate,
    ProcessVersionPublic,
    ProcessVersionsPublic,
)
from database.models import EntitlementProcessRecord

router = APIRouter(prefix="/entitlement-processes", tags=["entitlement processes"])
ProcessId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Version = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _process(
    record: EntitlementProcessRecord, latest: ProcessVersionPublic
) -> EntitlementProcessPublic:
    return EntitlementProcessPublic(
        id=record.id,
        name=record.name,
        description=record.description,
        account_id=record.account_id,
        relationship_type=record.relationship_type,
        latest_version=record.latest_version,
        created_at=record.created_at,
        updated_at=record.updated_at,
        definition=latest.definition,
    )


@router.get("", response_model=EntitlementProcessesPublic, responses=errors())
async def read_entitlement_processes(
    request: Request, db: DatabaseDep, services: ServicesDep, _: OpsKey
) -> Response:
    """Every process with its latest version."""

    def read(session: Session) -> EntitlementProcessesPublic:
        records = crud.list_processes(session)
        latest = crud.latest_versions(session, processes=records, cache=services.versions)
        data = [_process(record, latest[record.id]) for record in records]
        return EntitlementProcessesPublic(data=data, count=len(data))

    return await db.cached(request, read)


@router.post("", status_code=status.HTTP_201_CREATED, responses=errors(409))
async def create_entitlement_process(
    db: DatabaseDep, services: ServicesDep, _: AdminKey, body: EntitlementProcessCreate
) -> EntitlementProcessPublic:
    """A new process and its version 1. Milestones name their milestone types; each type's
    color, recurrence and reporting category are copied into the version."""

    def create(session: Session) -> EntitlementProcessPublic:
        process, _version_record = crud.create_process(
            session, body=body, destinations=services.destinations
        )
        latest = crud.get_version(session, process=process, version=1, cache=services.versions)
        return _process(process, latest)

    return await db.write(create)


@router.get("/{process_id}", response_model=EntitlementProcessPublic, responses=errors(404))
async def read_entitlement_process(
    request: Request, db: DatabaseDep, services: ServicesDep, _: OpsKey, process_id: ProcessId
) -> Response:
    def read(session: Session) -> EntitlementProcessPublic:
        process = crud.get_process(session, process_id=process_id)
        latest = crud.get_version(
            session, process=process, version=process.latest_version, cache=services.versions
        )
        return _process(process, latest)

    return await db.cached(request, read)


@router.post(
    "/{process_id}/versions", status_code=status.HTTP_201_CREATED, responses=errors(404, 409)
)
async def create_process_version(
    db: DatabaseDep,
    services: ServicesDep,
    _: AdminKey,
    process_id: ProcessId,
    body: ProcessVersionCreate,
) -> ProcessVersionPublic:
    """Publish the next version: a complete definition, immutable once published. New cases
    pin it; running cases move to it only with `POST /cases/{case_id}/process`."""

    def publish(session: Session) -> ProcessVersionPublic:
        process, record = crud.publish_version(
            session, process_id=process_id, body=body, destinations=services.destinations
        )
        version = crud.get_version(
            session, process=process, version=record.version, cache=services.versions
        )
        return version

    return await db.write(publish)


@router.get("/{process_id}/versions", response_model=ProcessVersionsPublic, responses=errors(404))
async def read_process_versions(
    request: Request, db: DatabaseDep, services: ServicesDep, _: OpsKey, process_id: ProcessId
) -> Response:
    def read(session: Session) -> ProcessVersionsPublic:
        process = crud.get_process(session, process_id=process_id)
        versions = crud.list_versions(session, process=process, cache=services.versions)
        data = list(versions)
        return ProcessVersionsPublic(data=data, count=len(data))

    return await db.cached(request, read)


@router.get(
    "/{process_id}/versions/{version}", response_model=ProcessVersionPublic, responses=errors(404)
)
async def read_process_version(
    request: Request,
    db: DatabaseDep,
    services: ServicesDep,
    _: OpsKey,
    process_id: ProcessId,
    version: Version,
) -> Response:
    def read(session: Session) -> ProcessVersionPublic:
        process = crud.get_process(session, process_id=process_id)
        return crud.get_version(session, process=process, version=version, cache=services.versions)

    return await db.cached(request, read)
