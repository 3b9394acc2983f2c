"""Queries of entitlement processes and their published versions. A version is stored as the
contract's `EntitlementProcess` (the snapshot a case pins) and never changes once published."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from activities.settings import DestinationRules
from api.caches import VersionCache
from api.crud.definitions import ProcessDefinition, resolve_definition
from api.crud.shared import commit, name_key
from api.errors import ConflictError, InvalidInputError, NotFoundError
from api.schemas import EntitlementProcessCreate, ProcessVersionCreate, ProcessVersionPublic
from database.models import (
    EntitlementProcessRecord,
    ProcessVersionBusinessHoursRecord,
    ProcessVersionMilestoneTypeRecord,
    ProcessVersionRecord,
)
from workflows.contract import NO_PROCESS, EntitlementProcess


def _published(
    record: ProcessVersionRecord, process: str, cache: VersionCache | None
) -> ProcessVersionPublic:
    key = (record.process_id, record.version)
    cached = cache.get(key) if cache is not None else None
    if cached is not None:
        return cached
    version = ProcessVersionPublic(
        process_id=record.process_id,
        process=process,
        version=record.version,
        notes=record.notes,
        created_at=record.created_at,
        definition=EntitlementProcess.model_validate_json(record.definition),
    )
    if cache is not None:
        cache.put(version)
    return version


def get_process(session: Session, *, process_id: int) -> EntitlementProcessRecord:
    record = session.get(EntitlementProcessRecord, process_id)
    if record is None:
        raise NotFoundError(f"entitlement process {process_id} does not exist")
    return record


def process_named(session: Session, *, name: str) -> EntitlementProcessRecord | None:
    return session.scalar(
        select(EntitlementProcessRecord).where(EntitlementProcessRecord.name_key == name_key(name))
    )


def list_processes(session: Session) -> Sequence[EntitlementProcessRecord]:
    return session.scalars(
        select(EntitlementProcessRecord).order_by(EntitlementProcessRecord.name_key)
    ).all()


def get_version(
    session: Session,
    *,
    process: EntitlementProcessRecord,
    version: int,
    cache: VersionCache | None = None,
) -> ProcessVersionPublic:
    cached = cache.get((process.id, version)) if cache is not None else None
    if cached is not None:
        return cached
    record = session.scalar(
        select(ProcessVersionRecord).where(
            ProcessVersionRecord.process_id == process.id, ProcessVersionRecord.version == version
        )
    )
    if record is None:
        raise NotFoundError(
            f"process {process.name!r} has no version {version}: its latest is "
            f"{process.latest_version}"
        )
    return _published(record, process.name, cache)


def list_versions(
    session: Session, *, process: EntitlementProcessRecord, cache: VersionCache | None = None
) -> list[ProcessVersionPublic]:
    records = session.scalars(
        select(ProcessVersionRecord)
        .where(ProcessVersionRecord.process_id == process.id)
        .order_by(ProcessVersionRecord.version)
    )
    return [_published(record, process.name, cache) for record in records]


def latest_versions(
    session: Session, *, processes: Sequence[EntitlementProcessRecord], cache: VersionCache
) -> dict[int, ProcessVersionPublic]:
    """The latest version of each process, reading only those not cached yet."""
    found = {
        process.id: cached
        for process in processes
        if (cached := cache.get((process.id, process.latest_version))) is not None
    }
    wanted = {process.id: process.name for process in processes if process.id not in found}
    if wanted:
        records = session.scalars(
            select(ProcessVersionRecord)
            .join(
                EntitlementProcessRecord,
                (EntitlementProcessRecord.id == ProcessVersionRecord.process_id)
                & (EntitlementProcessRecord.latest_version == ProcessVersionRecord.version),
            )
            .where(ProcessVersionRecord.process_id.in_(list(wanted)))
        )
        for record in records:
            found[record.process_id] = _published(record, wanted[record.process_id], cache)
    return found


def _insert_version(
    session: Session,
    *,
    process: EntitlementProcessRecord,
    definition: ProcessDefinition,
    notes: str,
) -> ProcessVersionRecord:
    record = ProcessVersionRecord(
        process_id=process.id,
        version=definition.process.version,
        definition=definition.process.model_dump_json(),
        notes=notes,
    )
    session.add(record)
    session.flush()
    session.add_all(
        [
            ProcessVersionMilestoneTypeRecord(version_id=record.id, milestone_type_id=type_id)
            for type_id in sorted(definition.type_ids)
        ]
        + [
            ProcessVersionBusinessHoursRecord(version_id=record.id, business_hours_id=hours_id)
            for hours_id in sorted(definition.calendar_ids)
        ]
    )
    return record


def draft_process(
    session: Session, *, body: EntitlementProcessCreate, destinations: DestinationRules
) -> tuple[EntitlementProcessRecord, ProcessDefinition]:
    """The new process and its version 1 as `body` would make them, added to nothing: the name
    checked (not reserved, not taken) and the definition resolved at the process's level."""
    if name_key(body.name) == name_key(NO_PROCESS.name):
        raise InvalidInputError(
            f"the process name {NO_PROCESS.name!r} is reserved for cases no entitlement covers: "
            "choose another",
            ("body", "name"),
        )
    if (existing := process_named(session, name=body.name)) is not None:
        raise ConflictError(_taken(existing.name))
    process = EntitlementProcessRecord(
        name=body.name,
        name_key=name_key(body.name),
        description=body.description,
        account_id=body.account_id,
        relationship_type=body.relationship_type,
        latest_version=1,
    )
    definition = resolve_definition(
        session, process=process, version=1, body=body, destinations=destinations
    )
    return process, definition


def create_process(
    session: Session, *, body: EntitlementProcessCreate, destinations: DestinationRules
) -> tuple[EntitlementProcessRecord, ProcessVersionRecord]:
    process, definition = draft_process(session, body=body, destinations=destinations)
    session.add(process)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ConflictError(_taken(body.name)) from None
    version = _insert_version(session, process=process, definition=definition, notes=body.notes)
    commit(session, _taken(body.name))
    return process, version


def _taken(name: str) -> str:
    return (
        f"an entitlement process named {name!r} already exists: publish a new version of it, or "
        "choose another name"
    )


def publish_version(
    session: Session, *, process_id: int, body: ProcessVersionCreate, destinations: DestinationRules
) -> tuple[EntitlementProcessRecord, ProcessVersionRecord]:
    """Publish the next version; published versions never change."""
    process = session.scalar(
        select(EntitlementProcessRecord)
        .where(EntitlementProcessRecord.id == process_id)
        .with_for_update()  # serialises version numbers on PostgreSQL
    )
    if process is None:
        raise NotFoundError(f"entitlement process {process_id} does not exist")
    number = process.latest_version + 1
    definition = resolve_definition(
        session, process=process, version=number, body=body, destinations=destinations
    )
    version = _insert_version(session, process=process, definition=definition, notes=body.notes)
    process.latest_version = number
    commit(session, f"another version of {process.name!r} was published at the same time: retry")
    return process, version
