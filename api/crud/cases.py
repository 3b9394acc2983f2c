"""What a case pins from the configuration: the process version it runs (the latest unless one is
named) and that version's calendars, with their public holidays written out for the years the case
may run, so neither a configuration change nor a newer `holidays` package moves its deadlines."""

from datetime import datetime

from sqlalchemy.orm import Session

from api.caches import VersionCache
from api.crud.business_hours import business_hours_of, calendars_named
from api.crud.processes import get_version, process_named
from api.crud.shared import name_key
from api.errors import InvalidInputError, NotFoundError
from api.schemas import CaseCreate
from workflows.business_hours import BusinessHours
from workflows.business_time import pin_calendars
from workflows.contract import ApplyProcess, EntitlementProcess, StartCase


def case_start(
    session: Session, *, body: CaseCreate, now: datetime, cache: VersionCache
) -> StartCase:
    """The workflow input of a new case: the case, its process version and its calendars."""
    process = _version(session, name=body.process, version=body.version, cache=cache)
    return StartCase(
        case_id=body.case_id,
        fields=body.fields,
        opened_at=body.opened_at,
        process=process,
        calendars=_calendars(session, process, body.opened_at or now),
    )


def process_change(
    session: Session,
    *,
    process: str,
    version: int,
    opened_at: datetime,
    at: datetime | None,
    cache: VersionCache,
) -> ApplyProcess:
    """The command that moves a case (opened at `opened_at`) to `version` of its process, as of
    `at` (default: when it reaches the case)."""
    definition = _version(session, name=process, version=version, cache=cache)
    calendars = _calendars(session, definition, opened_at)
    return ApplyProcess(process=definition, calendars=calendars, at=at)


def _version(
    session: Session, *, name: str, version: int | None, cache: VersionCache
) -> EntitlementProcess:
    record = process_named(session, name=name)
    if record is None:
        raise InvalidInputError(
            f"unknown entitlement process {name!r}: create it under /entitlement-processes first",
            ("body", "process"),
        )
    try:
        published = get_version(
            session, process=record, version=version or record.latest_version, cache=cache
        )
    except NotFoundError as error:
        raise InvalidInputError(error.message, ("body", "version")) from None
    return published.definition


def _calendars(
    session: Session, process: EntitlementProcess, opened_at: datetime
) -> dict[str, BusinessHours]:
    """The calendars a process names, as stored now, pinned for a case opened at `opened_at`."""
    stored = calendars_named(session, process.calendar_names())
    named = {name: business_hours_of(stored[name_key(name)]) for name in process.calendar_names()}
    return pin_calendars(named, opened_at)
