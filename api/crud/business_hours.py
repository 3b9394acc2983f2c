"""Queries of the business-hours calendars: stored as the contract's `BusinessHours`, named
uniquely (case-insensitively) since processes refer to them by name. A calendar a published
process or an entitlement names cannot be deleted."""

from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.crud.shared import commit, first_version_using, name_key
from api.errors import ConflictError, NotFoundError
from api.schemas import HolidayPublic
from database.models import (
    BusinessHoursRecord,
    EntitlementRecord,
    ProcessVersionBusinessHoursRecord,
)
from workflows.business_hours import BusinessHours


def business_hours_of(record: BusinessHoursRecord) -> BusinessHours:
    return BusinessHours.model_validate_json(record.definition)


def get_business_hours(session: Session, *, hours_id: int) -> BusinessHoursRecord:
    record = session.get(BusinessHoursRecord, hours_id)
    if record is None:
        raise NotFoundError(f"business hours {hours_id} do not exist")
    return record


def list_business_hours(session: Session) -> Sequence[BusinessHoursRecord]:
    return session.scalars(select(BusinessHoursRecord).order_by(BusinessHoursRecord.name_key)).all()


def unknown_business_hours(session: Session, name: str) -> str:
    """What to say of business hours a request names that do not exist: which ones do."""
    known = ", ".join(repr(c.name) for c in list_business_hours(session)) or "none yet"
    return (
        f"unknown business hours {name!r}: create them under /business-hours first (known: {known})"
    )


def _calendar_name_taken(name: str) -> str:
    return (
        f"business hours named {name!r} already exist: names are unique case-insensitively, "
        "since processes refer to calendars by name"
    )


def create_business_hours(session: Session, *, hours: BusinessHours) -> BusinessHoursRecord:
    key = name_key(hours.name)
    if session.scalar(select(BusinessHoursRecord.id).where(BusinessHoursRecord.name_key == key)):
        raise ConflictError(_calendar_name_taken(hours.name))
    record = BusinessHoursRecord(name=hours.name, name_key=key, definition=hours.model_dump_json())
    session.add(record)
    commit(session, _calendar_name_taken(hours.name))
    return record


def replace_business_hours(
    session: Session, *, hours_id: int, hours: BusinessHours
) -> BusinessHoursRecord:
    """New hours for a calendar: cases started from now on pin them; running cases keep theirs."""
    record = get_business_hours(session, hours_id=hours_id)
    key = name_key(hours.name)
    if key != record.name_key:
        used = first_version_using(
            session, ProcessVersionBusinessHoursRecord.business_hours_id, hours_id
        )
        if used is not None:
            raise ConflictError(
                f"business hours {record.name!r} are named by published process {used[0]!r} "
                f"version {used[1]}: keep the name (processes refer to calendars by name), or "
                "create a calendar under the new name"
            )
        clash = select(BusinessHoursRecord.id).where(BusinessHoursRecord.name_key == key)
        if session.scalar(clash) is not None:
            raise ConflictError(_calendar_name_taken(hours.name))
    record.name, record.name_key = hours.name, key
    record.definition = hours.model_dump_json()
    commit(session, _calendar_name_taken(hours.name))
    return record


def delete_business_hours(session: Session, *, hours_id: int) -> None:
    record = get_business_hours(session, hours_id=hours_id)
    used = first_version_using(
        session, ProcessVersionBusinessHoursRecord.business_hours_id, hours_id
    )
    if used is not None:
        raise ConflictError(
            f"business hours {record.name!r} are named by published process {used[0]!r} "
            f"version {used[1]}: they cannot be deleted"
        )
    entitlement = session.execute(
        select(EntitlementRecord.name, EntitlementRecord.account_id)
        .where(EntitlementRecord.business_hours_id == hours_id)
        .order_by(EntitlementRecord.account_id, EntitlementRecord.name_key)
        .limit(1)
    ).first()
    if entitlement is not None:
        raise ConflictError(
            f"business hours {record.name!r} are named by entitlement {entitlement[0]!r} of "
            f"account {entitlement[1]!r}: they cannot be deleted"
        )
    session.delete(record)
    commit(session, f"business hours {record.name!r} were just put to use: they stay")


def calendars_named(session: Session, names: Iterable[str]) -> dict[str, BusinessHoursRecord]:
    """Stored calendars by the casefolded names asked for (the ones that exist)."""
    keys = {name_key(name) for name in names}
    if not keys:
        return {}
    records = session.scalars(
        select(BusinessHoursRecord).where(BusinessHoursRecord.name_key.in_(keys))
    )
    return {record.name_key: record for record in records}


def holidays_in(hours: BusinessHours, year: int) -> list[HolidayPublic]:
    """A year's holidays: the explicit ones, then the country's public ones on other dates."""
    explicit = {
        holiday.date: HolidayPublic(
            date=holiday.date, name=holiday.name, open=holiday.open, source="explicit"
        )
        for holiday in hours.holidays
        if holiday.date.year == year
    }
    public = {
        day: HolidayPublic(date=day, name=name, open=None, source="public")
        for day, name in hours.public_holidays(year, year).items()
        if day not in explicit
    }
    merged: dict[date, HolidayPublic] = {**public, **explicit}
    return [merged[day] for day in sorted(merged)]
