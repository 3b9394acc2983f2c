"""Queries of entitlements: what each account bought, named uniquely (case-insensitively) within
the account. An entitlement names its process and, optionally, business hours that override the
process's; both are checked to exist. Read back as the contract's `Entitlement`, with the zone
its dates are days in: its business hours', else its process's latest calendar's, else UTC. One
without an account is a default (unique among the defaults). `cover_case` counts a case against
an allowance, exactly once."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.caches import VersionCache
from api.crud.business_hours import business_hours_of, calendars_named, unknown_business_hours
from api.crud.processes import latest_versions, list_processes, process_named
from api.crud.shared import commit, name_key
from api.errors import ConflictError, InvalidFieldsError, InvalidInputError, Loc, NotFoundError
from api.schemas import EntitlementCreate, EntitlementUpdate
from database.models import (
    BusinessHoursRecord,
    EntitlementCaseRecord,
    EntitlementProcessRecord,
    EntitlementRecord,
)
from workflows.contract import Criteria
from workflows.entitlements import Entitlement, check_dates


def get_entitlement(session: Session, *, entitlement_id: int) -> EntitlementRecord:
    record = session.get(EntitlementRecord, entitlement_id)
    if record is None:
        raise NotFoundError(f"entitlement {entitlement_id} does not exist")
    return record


def list_entitlements(
    session: Session, *, account_id: str | None = None
) -> Sequence[EntitlementRecord]:
    """Entitlements by account, each account's highest priority first."""
    query = select(EntitlementRecord).order_by(
        EntitlementRecord.account_id.is_(None),  # the defaults last, on every database
        EntitlementRecord.account_id,
        EntitlementRecord.priority.desc(),
        EntitlementRecord.name_key,
    )
    if account_id is not None:
        query = query.where(EntitlementRecord.account_id == account_id)
    return session.scalars(query).all()


def time_zones(
    session: Session, *, records: Sequence[EntitlementRecord], cache: VersionCache
) -> dict[int, str]:
    """The zone of each entitlement (by id): the one of the business hours it names, else of
    the calendar its process's latest version names, else UTC (a process without a calendar
    runs around the clock in UTC)."""
    processes = {r.process.id: r.process for r in records if r.business_hours is None}
    latest = latest_versions(session, processes=list(processes.values()), cache=cache)
    process_calendar = {
        process_id: version.definition.business_hours for process_id, version in latest.items()
    }
    named = calendars_named(session, [name for name in process_calendar.values() if name])
    zones: dict[int, str] = {}
    for record in records:
        calendar = record.business_hours
        if calendar is None:
            name = process_calendar.get(record.process_id)
            calendar = named.get(name_key(name)) if name is not None else None
        zones[record.id] = "UTC" if calendar is None else business_hours_of(calendar).time_zone
    return zones


def entitlement_of(record: EntitlementRecord, time_zone: str) -> Entitlement:
    """The contract's `Entitlement` of a stored row."""
    return Entitlement(
        name=record.name,
        account_id=record.account_id,
        process=record.process.name,
        business_hours=record.business_hours.name if record.business_hours is not None else None,
        time_zone=time_zone,
        starts_on=record.starts_on,
        ends_on=record.ends_on,
        cases_allowed=record.cases_allowed,
        cases_used=record.cases_used,
        applies_when=(
            Criteria.model_validate_json(record.applies_when)
            if record.applies_when is not None
            else None
        ),
        priority=record.priority,
        on_exhausted=record.on_exhausted,
    )


def entitlements_of(
    session: Session, *, records: Sequence[EntitlementRecord], cache: VersionCache
) -> list[Entitlement]:
    zones = time_zones(session, records=records, cache=cache)
    return [entitlement_of(record, zones[record.id]) for record in records]


def entitlement_named(
    session: Session, *, account_id: str | None, name: str
) -> EntitlementRecord | None:
    """The entitlement of `account_id` (None: the defaults) named `name`, case-insensitively."""
    found = select(EntitlementRecord).where(
        EntitlementRecord.account_id == account_id, EntitlementRecord.name_key == name_key(name)
    )
    return session.scalars(found).first()


def _name_taken(name: str, account_id: str | None) -> str:
    if account_id is None:
        return (
            f"a default entitlement named {name!r} already exists: names are unique "
            "case-insensitively among the defaults"
        )
    return (
        f"account {account_id!r} already has an entitlement named {name!r}: names are unique "
        "case-insensitively within an account"
    )


def _process(
    session: Session, name: str, problems: list[tuple[Loc, str]]
) -> EntitlementProcessRecord | None:
    process = process_named(session, name=name)
    if process is None:
        known = ", ".join(repr(p.name) for p in list_processes(session)) or "none yet"
        problems.append(
            (
                ("body", "process"),
                f"unknown entitlement process {name!r}: create it under /entitlement-processes "
                f"first (known: {known})",
            )
        )
    return process


def _calendar(
    session: Session, name: str, problems: list[tuple[Loc, str]]
) -> BusinessHoursRecord | None:
    calendar = calendars_named(session, [name]).get(name_key(name))
    if calendar is None:
        problems.append((("body", "business_hours"), unknown_business_hours(session, name)))
    return calendar


def _criteria_json(criteria: Criteria | None) -> str | None:
    return criteria.model_dump_json() if criteria is not None else None


def create_entitlement(session: Session, *, body: EntitlementCreate) -> EntitlementRecord:
    problems: list[tuple[Loc, str]] = []
    process = _process(session, body.process, problems)
    calendar = (
        _calendar(session, body.business_hours, problems)
        if body.business_hours is not None
        else None
    )
    if problems or process is None:
        raise InvalidFieldsError(problems)
    key = name_key(body.name)
    taken = _name_taken(body.name, body.account_id)
    if entitlement_named(session, account_id=body.account_id, name=body.name) is not None:
        raise ConflictError(taken)
    record = EntitlementRecord(
        name=body.name,
        name_key=key,
        account_id=body.account_id,
        process=process,
        business_hours=calendar,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        cases_allowed=body.cases_allowed,
        cases_used=0,
        applies_when=_criteria_json(body.applies_when),
        priority=body.priority,
        on_exhausted=body.on_exhausted,
    )
    session.add(record)
    commit(session, taken)
    return record


def update_entitlement(
    session: Session, *, entitlement_id: int, changes: EntitlementUpdate
) -> EntitlementRecord:
    """Change an entitlement; what is left out stays, a null clears an optional field."""
    record = get_entitlement(session, entitlement_id=entitlement_id)
    given = changes.model_fields_set
    problems: list[tuple[Loc, str]] = []
    updates: dict[str, Any] = {}
    if "process" in given and changes.process is not None:
        updates["process"] = _process(session, changes.process, problems)
    if "business_hours" in given:
        updates["business_hours"] = (
            _calendar(session, changes.business_hours, problems)
            if changes.business_hours is not None
            else None
        )
    if problems:
        raise InvalidFieldsError(problems)
    starts_on = changes.starts_on if "starts_on" in given else record.starts_on
    ends_on = changes.ends_on if "ends_on" in given else record.ends_on
    try:
        check_dates(starts_on, ends_on)
    except ValueError as error:
        field = "ends_on" if "ends_on" in given else "starts_on"
        raise InvalidInputError(str(error), ("body", field)) from None
    name = changes.name if "name" in given and changes.name is not None else record.name
    taken = _name_taken(name, record.account_id)
    if (
        name_key(name) != record.name_key
        and entitlement_named(session, account_id=record.account_id, name=name) is not None
    ):
        raise ConflictError(taken)
    record.name, record.name_key = name, name_key(name)
    for field in ("starts_on", "ends_on", "cases_allowed", "priority", "on_exhausted"):
        if field in given:
            setattr(record, field, getattr(changes, field))
    if "applies_when" in given:
        record.applies_when = _criteria_json(changes.applies_when)
    for field, value in updates.items():
        setattr(record, field, value)
    commit(session, taken)
    return record


def delete_entitlement(session: Session, *, entitlement_id: int) -> None:
    """Delete an entitlement; cases it already covers keep what they pinned."""
    record = get_entitlement(session, entitlement_id=entitlement_id)
    session.delete(record)
    commit(session, f"entitlement {record.name!r} changed at the same time: retry")


Coverage = Literal["counted", "over_allowance", "refused"]
"""How an entitlement's allowance took a case: counted in `cases_used`, started over the used-up
allowance (flagged), or refused."""


def cover_case(session: Session, *, entitlement_id: int, case_id: str) -> Coverage:
    """Count case `case_id` against the allowance of entitlement `entitlement_id`, exactly once:
    a retried or racing start of the same case answers what the first one got. Once the
    allowance is used up, the case is refused or started over it, as the entitlement says.

    The count is one conditional UPDATE (`cases_used < cases_allowed`), so concurrent starts of
    different cases never take more than the allowance, on SQLite and PostgreSQL alike; the
    case's row (its primary key is the case) makes a second start of the same case a no-op.
    """
    earlier = session.get(EntitlementCaseRecord, case_id)
    if earlier is not None:
        return "counted" if earlier.counted else "over_allowance"
    record = EntitlementRecord
    taken = session.execute(
        update(record)
        .where(
            record.id == entitlement_id,
            or_(record.cases_allowed.is_(None), record.cases_used < record.cases_allowed),
        )
        .values(cases_used=record.cases_used + 1)
        .execution_options(synchronize_session=False)
    )
    counted = taken.rowcount == 1  # type: ignore[attr-defined]
    if not counted and get_entitlement(session, entitlement_id=entitlement_id).on_exhausted == (
        "refuse"
    ):
        session.rollback()
        return "refused"
    session.add(
        EntitlementCaseRecord(case_id=case_id, entitlement_id=entitlement_id, counted=counted)
    )
    try:
        session.commit()
    except IntegrityError:  # the same case, started at the same time: its first start counts
        session.rollback()
        first = session.get(EntitlementCaseRecord, case_id)
        if first is None:  # its entitlement was deleted meanwhile: nothing left to count against
            raise NotFoundError(f"entitlement {entitlement_id} does not exist") from None
        return "counted" if first.counted else "over_allowance"
    return "counted" if counted else "over_allowance"


def covered_cases(
    session: Session,
    *,
    entitlement_id: int,
    limit: int,
    after: tuple[datetime, str] | None = None,
) -> Sequence[EntitlementCaseRecord]:
    """The cases the allowance of entitlement `entitlement_id` took (`cover_case`), newest
    first (then by case id, descending): its usage, one row per case, counted or started over
    the allowance. With `after`, the (started at, case id) of a row already listed, only the
    rows that come after it in that order."""
    get_entitlement(session, entitlement_id=entitlement_id)  # 404 rather than an empty page
    covered = EntitlementCaseRecord
    where = [covered.entitlement_id == entitlement_id]
    if after is not None:
        # Keyset paging: a seek past the last row shown, stable while cases are being covered.
        started, case_id = after
        where.append(
            or_(
                covered.started_at < started,
                and_(covered.started_at == started, covered.case_id < case_id),
            )
        )
    return session.scalars(
        select(EntitlementCaseRecord)
        .where(*where)
        .order_by(EntitlementCaseRecord.started_at.desc(), EntitlementCaseRecord.case_id.desc())
        .limit(limit)
    ).all()
