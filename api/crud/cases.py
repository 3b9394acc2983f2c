"""What a case pins from the configuration: the process version it runs and that version's
calendars, with their public holidays written out for the years the case may run, so neither a
configuration change nor a newer `holidays` package moves its deadlines.

The process comes from the start request (`process`), from the entitlement it names
(`entitlement`), or from the account's entitlements (neither named): the one that applies on the
opening day (`workflows.entitlements.resolve_entitlement`), else a default one, else none (the
case runs `NO_PROCESS` and says why). An entitlement's business hours replace its process's.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from api.caches import VersionCache
from api.crud.business_hours import business_hours_of, calendars_named
from api.crud.entitlements import entitlement_named, entitlements_of
from api.crud.processes import get_version, process_named
from api.crud.shared import name_key
from api.errors import ConflictError, InvalidInputError, NotFoundError
from api.schemas import CaseCreate
from database.models import EntitlementRecord
from workflows.business_hours import BusinessHours
from workflows.business_time import pin_calendars
from workflows.contract import (
    NO_PROCESS,
    ApplyProcess,
    CaseEntitlement,
    EntitlementProcess,
    StartCase,
)
from workflows.entitlements import (
    Entitlement,
    EntitlementConflictError,
    resolve_entitlement,
    why_not,
)


@dataclass(frozen=True, slots=True)
class CaseStart:
    """A new case's workflow input, and the entitlement whose allowance it must consume."""

    start: StartCase
    allowance: tuple[int, Entitlement] | None = None
    """The stored entitlement (id, contract) when it has an allowance of cases."""


def case_start(
    session: Session, *, body: CaseCreate, now: datetime, cache: VersionCache
) -> CaseStart:
    """The workflow input of a new case: the case, its process version and its calendars, and
    the entitlement it runs under."""
    opened_at = body.opened_at or now
    if body.process is not None:
        process = _version(session, name=body.process, version=body.version, cache=cache)
        return CaseStart(_start(session, body, process, opened_at, None))
    account = body.fields.get("account_id")
    account_id = None if account is None else str(account)
    if body.entitlement is not None:
        record, entitlement = _named(session, body, account_id, opened_at, cache)
        reason = f"named by the case's start (it applies on {entitlement.local_day(opened_at)})"
    else:
        candidates = _candidates(session, account_id)
        entitlements = entitlements_of(session, records=candidates, cache=cache)
        try:
            resolution = resolve_entitlement(account_id, entitlements, body.fields, opened_at)
        except EntitlementConflictError as error:
            raise ConflictError(str(error)) from None
        if resolution.entitlement is None:
            chosen = CaseEntitlement(account_id=account_id, reason=resolution.reason)
            return CaseStart(_start(session, body, NO_PROCESS, opened_at, chosen))
        entitlement = resolution.entitlement
        record = next(r for r, e in zip(candidates, entitlements, strict=True) if e is entitlement)
        reason = resolution.reason
    process = _version(session, name=entitlement.process, version=None, cache=cache)
    if entitlement.business_hours is not None:
        process = process.model_copy(update={"business_hours": entitlement.business_hours})
    chosen = CaseEntitlement(
        name=entitlement.name, account_id=entitlement.account_id, reason=reason
    )
    start = _start(session, body, process, opened_at, chosen)
    allowance = (record.id, entitlement) if entitlement.cases_allowed is not None else None
    return CaseStart(start, allowance)


def _start(
    session: Session,
    body: CaseCreate,
    process: EntitlementProcess,
    opened_at: datetime,
    entitlement: CaseEntitlement | None,
) -> StartCase:
    return StartCase(
        case_id=body.case_id,
        fields=body.fields,
        opened_at=body.opened_at,
        process=process,
        calendars=_calendars(session, process, opened_at),
        entitlement=entitlement,
    )


def _candidates(session: Session, account_id: str | None) -> list[EntitlementRecord]:
    """The account's entitlements and the default ones (no account)."""
    query = select(EntitlementRecord).where(
        or_(EntitlementRecord.account_id.is_(None), EntitlementRecord.account_id == account_id)
        if account_id is not None
        else EntitlementRecord.account_id.is_(None)
    )
    return list(session.scalars(query).all())


def _named(
    session: Session,
    body: CaseCreate,
    account_id: str | None,
    opened_at: datetime,
    cache: VersionCache,
) -> tuple[EntitlementRecord, Entitlement]:
    """The entitlement a start request names: the account's own, else a default one; it must
    cover the opening day and the case's fields."""
    assert body.entitlement is not None
    key = name_key(body.entitlement)
    found = [r for r in _candidates(session, account_id) if r.name_key == key]
    if not found:
        whose = f"account {account_id!r}" if account_id is not None else "the case (no account_id)"
        raise InvalidInputError(
            f"{whose} has no entitlement named {body.entitlement!r}, and no default one has that "
            "name: see GET /entitlements",
            ("body", "entitlement"),
        )
    record = min(found, key=lambda r: r.account_id is None)  # the account's own first
    entitlement = entitlements_of(session, records=[record], cache=cache)[0]
    problem = why_not(entitlement, body.fields, opened_at)
    if problem is not None:
        raise InvalidInputError(
            f"the entitlement does not cover this case: {problem}", ("body", "entitlement")
        )
    return record, entitlement


def process_change(
    session: Session,
    *,
    process: str,
    version: int,
    opened_at: datetime,
    at: datetime | None,
    entitlement: CaseEntitlement | None,
    cache: VersionCache,
) -> ApplyProcess:
    """The command that moves a case (opened at `opened_at`) to `version` of its process, as of
    `at` (default: when it reaches the case), with the business hours its entitlement names now
    (a changed entitlement reaches a running case only this way)."""
    definition = _version(session, name=process, version=version, cache=cache)
    if entitlement is not None and entitlement.name is not None:
        record = entitlement_named(
            session, account_id=entitlement.account_id, name=entitlement.name
        )
        if record is not None and record.business_hours is not None:
            definition = definition.model_copy(
                update={"business_hours": record.business_hours.name}
            )
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
