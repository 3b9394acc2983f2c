"""The admin pages of business hours: the list, and each calendar's week of open intervals, its
holidays and a preview (start + business time gives the target, by the API's own preview)."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.console.admin.forms import (
    CANNOT_VIEW,
    DAY_NAMES,
    INSTANT,
    DbId,
    Problems,
    may_view,
    message,
    problems_of,
)
from api.console.pages import Visit, page, signed_in
from api.crud import business_hours as hours_crud
from api.deps import DatabaseDep, ServicesDep
from api.errors import SlaError
from api.routes.business_hours import preview_business_hours
from workflows.business_hours import WEEKDAYS, BusinessHours

router = APIRouter(prefix="/console/admin", include_in_schema=False)


@dataclass(frozen=True)
class OpenBlock:
    """An open interval of a weekday, placed in the day's column by percent of the day."""

    start: str
    end: str
    top: float
    height: float


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def week_of(hours: BusinessHours) -> list[tuple[str, list[OpenBlock]]]:
    """Each weekday's open intervals, Monday first (all day when the calendar is always open)."""
    days = []
    for day in WEEKDAYS:
        intervals = [("00:00", "24:00")] if hours.always_open else hours.weekly.get(day, [])
        blocks = [
            OpenBlock(
                start,
                end,
                top=round(_minutes(start) / 14.4, 3),
                height=round((_minutes(end) - _minutes(start)) / 14.4, 3),
            )
            for start, end in sorted(intervals, key=lambda interval: _minutes(interval[0]))
        ]
        days.append((DAY_NAMES[day], blocks))
    return days


@router.get("/business-hours")
async def business_hours_list(request: Request, services: ServicesDep, db: DatabaseDep) -> Response:
    visit = await signed_in(request, services, may_view, CANNOT_VIEW)
    if not isinstance(visit, Visit):
        return visit

    def read(session: Session) -> list[tuple[int, BusinessHours]]:
        return [
            (record.id, hours_crud.business_hours_of(record))
            for record in hours_crud.list_business_hours(session)
        ]

    calendars = await db.run(read)
    return page(request, services, visit, "admin_hours_list.html", calendars=calendars)


@router.get("/business-hours/{hours_id}")
async def business_hours_page(
    request: Request, services: ServicesDep, db: DatabaseDep, hours_id: DbId
) -> Response:
    """The calendar's week, its holidays this year (or `year`), and a preview: where `duration`
    of business time from `start` ends, by the API's own preview."""
    visit = await signed_in(request, services, may_view, CANNOT_VIEW)
    if not isinstance(visit, Visit):
        return visit
    assert visit.principal is not None  # signed in
    query = request.query_params
    year = datetime.now(UTC).year
    if (asked := query.get("year", "")).isdigit() and 1900 <= int(asked) <= 2200:
        year = int(asked)

    def read(session: Session) -> tuple[BusinessHours, list[Any]]:
        record = hours_crud.get_business_hours(session, hours_id=hours_id)
        hours = hours_crud.business_hours_of(record)
        return hours, hours_crud.holidays_in(hours, year)

    try:
        hours, holidays = await db.run(read)
    except SlaError as error:
        return message(request, services, visit, error, "Business hours")
    start_text = query.get("start", "").strip()
    values = {
        "start": start_text or datetime.now(UTC).replace(microsecond=0).isoformat(),
        "duration": query.get("duration", "8h").strip(),
    }
    preview: dict[str, Any] | None = None
    problems: Problems = {}
    status_code = 200
    if "duration" in query:
        try:
            start = INSTANT.validate_python(start_text) if start_text else None
            answer = await preview_business_hours(
                db, visit.principal, hours_id, values["duration"], start
            )
            preview = answer.model_dump(mode="json")
        except (ValidationError, SlaError) as error:
            problems = (
                {"start": [problems_of(error, ())[""][0]]}
                if isinstance(error, ValidationError)
                else problems_of(error, ("start", "duration"))
            )
            status_code = 422
    return page(
        request,
        services,
        visit,
        "admin_hours.html",
        status_code,
        hours_id=hours_id,
        hours=hours,
        week=week_of(hours),
        holidays=holidays,
        year=year,
        values=values,
        preview=preview,
        problems=problems,
    )
