"""`/business-hours`: stored calendars (the `BusinessHours` model itself), a preview of where a
duration of business time ends, and a year's holidays."""

from datetime import UTC, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Request, Response, status
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from api.auth import AdminKey, OpsKey
from api.crud import business_hours as crud
from api.deps import DatabaseDep
from api.errors import InvalidInputError
from api.routes.responses import errors
from api.schemas import (
    BusinessHoursListPublic,
    BusinessHoursPreview,
    BusinessHoursPublic,
    HolidaysPublic,
)
from database.models import BusinessHoursRecord
from workflows.business_hours import BusinessHours, calendar_for
from workflows.values import Duration, Instant

router = APIRouter(prefix="/business-hours", tags=["business hours"])
HoursId = Annotated[int, Path(ge=1, le=2**31 - 1)]
DURATION: TypeAdapter[timedelta] = TypeAdapter(Duration)


def _public(record: BusinessHoursRecord) -> BusinessHoursPublic:
    return BusinessHoursPublic(
        **crud.business_hours_of(record).model_dump(),
        id=record.id,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def _hours(session: Session, *, hours_id: int) -> BusinessHours:
    return crud.business_hours_of(crud.get_business_hours(session, hours_id=hours_id))


@router.get("", response_model=BusinessHoursListPublic, responses=errors())
async def read_business_hours_list(request: Request, db: DatabaseDep, _: OpsKey) -> Response:
    def read(session: Session) -> BusinessHoursListPublic:
        data = [_public(record) for record in crud.list_business_hours(session)]
        return BusinessHoursListPublic(data=data, count=len(data))

    return await db.cached(request, read)


@router.post("", status_code=status.HTTP_201_CREATED, responses=errors(409))
async def create_business_hours(
    db: DatabaseDep, _: AdminKey, body: BusinessHours
) -> BusinessHoursPublic:
    """A new calendar; processes name it by `name` (unique, case-insensitively)."""
    return await db.write(lambda session: _public(crud.create_business_hours(session, hours=body)))


@router.get("/{hours_id}", response_model=BusinessHoursPublic, responses=errors(404))
async def read_business_hours(
    request: Request, db: DatabaseDep, _: OpsKey, hours_id: HoursId
) -> Response:
    return await db.cached(
        request, lambda session: _public(crud.get_business_hours(session, hours_id=hours_id))
    )


@router.put("/{hours_id}", responses=errors(404, 409))
async def replace_business_hours(
    db: DatabaseDep, _: AdminKey, hours_id: HoursId, body: BusinessHours
) -> BusinessHoursPublic:
    """New hours for a calendar. Cases started from now on pin them; running cases keep the
    calendars they started with. A calendar a published process names keeps its name."""

    def replace(session: Session) -> BusinessHoursPublic:
        return _public(crud.replace_business_hours(session, hours_id=hours_id, hours=body))

    return await db.write(replace)


@router.delete("/{hours_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404, 409))
async def delete_business_hours(db: DatabaseDep, _: AdminKey, hours_id: HoursId) -> Response:
    """Delete a calendar no published process names."""
    await db.write(crud.delete_business_hours, hours_id=hours_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{hours_id}/preview", responses=errors(404))
async def preview_business_hours(
    db: DatabaseDep,
    _: OpsKey,
    hours_id: HoursId,
    duration: Annotated[str, Query(max_length=100, examples=["1h30m", "PT8H"])],
    start: Annotated[Instant | None, Query()] = None,
) -> BusinessHoursPreview:
    """Where `duration` of business time from `start` (default now) ends: a milestone's
    `target_at`. Durations: '1h30m', '45m', '90s' or ISO 8601 'PT1H30M'."""
    try:
        amount = DURATION.validate_python(duration)
    except ValidationError as error:
        raise InvalidInputError(error.errors()[0]["msg"], ("query", "duration")) from None
    begin = start if start is not None else datetime.now(UTC)

    def preview(session: Session) -> BusinessHoursPreview:
        hours = _hours(session, hours_id=hours_id)
        try:
            target_at = calendar_for(hours).add(begin, amount)
        except (ValueError, OverflowError) as error:
            message = str(error) if isinstance(error, ValueError) else "the target is past 9999"
            raise InvalidInputError(message, ("query", "duration")) from None
        return BusinessHoursPreview(
            start=begin.astimezone(UTC),
            duration=amount,
            target_at=target_at,
            target_at_local=target_at.astimezone(ZoneInfo(hours.time_zone)).isoformat(),
            time_zone=hours.time_zone,
        )

    return await db.run(preview)


@router.get("/{hours_id}/holidays", response_model=HolidaysPublic, responses=errors(404))
async def read_holidays(
    request: Request,
    db: DatabaseDep,
    _: OpsKey,
    hours_id: HoursId,
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
) -> Response:
    """A year's holidays (default this year): the calendar's own dates, then its country's
    public holidays (observed days included) on the other dates."""
    chosen = year if year is not None else datetime.now(UTC).year

    def read(session: Session) -> HolidaysPublic:
        data = crud.holidays_in(_hours(session, hours_id=hours_id), chosen)
        return HolidaysPublic(year=chosen, data=data, count=len(data))

    return await db.cached(request, read)
