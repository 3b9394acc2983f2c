"""The admin pages of business hours: the list, each calendar's week of open intervals, its
holidays and a preview (start + business time gives the target, by the API's own preview); and
the create, edit and delete forms, which write through the same crud as `POST`, `PUT` and
`DELETE /business-hours` and are checked by the API's own model, `BusinessHours`.

The form puts the calendar in words an admin types: a weekday's open intervals as
"09:00-12:00, 13:00-17:30", and holidays one a line, "2026-12-24 09:00-13:00 Christmas Eve".
This module only cuts that text into the model's shape; whether a time, a date or a zone is
valid is the model's to say, and its message is shown next to the field it is about."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.console.admin.forms import (
    CANNOT_CHANGE,
    CANNOT_VIEW,
    DAY_NAMES,
    INSTANT,
    DbId,
    Problems,
    admin_form,
    field_of,
    may_change,
    may_view,
    message,
    or_none,
    problems_of,
    save_refused,
    saved_notice,
)
from api.console.pages import Visit, page, signed_in
from api.crud import business_hours as hours_crud
from api.deps import DatabaseDep, Services, ServicesDep
from api.errors import SlaError
from api.routes.business_hours import preview_business_hours
from workflows.business_hours import WEEKDAYS, BusinessHours, Holiday

router = APIRouter(prefix="/console/admin", include_in_schema=False)

HOURS_FIELDS = (
    "name",
    "time_zone",
    "always_open",
    *WEEKDAYS,
    "holidays",
    "holiday_country",
    "holiday_subdivision",
)
"""The form's fields: the model's, with `weekly` as one text field a weekday."""
WEEKDAY_LABELS = tuple(
    zip(
        WEEKDAYS,
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        strict=True,
    )
)
NEW_CALENDAR = {
    "time_zone": "UTC",
    **dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), "09:00-17:00"),
}
"""What the create form starts from: office hours, which the admin edits."""

# "-" or an en dash (U+2013), as the week view prints an interval.
_INTERVAL = re.compile(r"^([^\s,\-\u2013]+)\s*[-\u2013]\s*([^\s,\-\u2013]+)$")
# A holiday line: its date, then (only when the text looks like times) its open intervals, then
# its name. Times are told from a name by their colon, so "2026-06-19 9-5 closure" is a name.
_TIMES = r"\d{1,2}:\d{2}\s*[-\u2013]\s*\d{1,2}:\d{2}"
_HOLIDAY = re.compile(
    rf"^(?P<date>\S+)(?:\s+(?P<open>{_TIMES}(?:\s*,\s*{_TIMES})*))?(?:\s+(?P<name>.+))?$"
)
_STAND_IN = [("00:00", "24:00")]
"""Hours given to a weekday whose text could not be read, while the rest of the form is checked:
the admin meant it open, so the model must not also say the calendar has no open time."""
_CALENDAR_RULES = (
    ("an always_open calendar", "always_open"),
    ("holiday_subdivision needs", "holiday_country"),
    ("unknown holiday_country", "holiday_country"),
    ("unknown holiday_subdivision", "holiday_subdivision"),
    ("holiday ", "holidays"),
)
"""The field each of the model's whole-calendar rules is about, by how its message begins; a
message not listed here goes to the form's summary."""


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


# ------------------------------------------------------------------------------ the form's text


@cache
def time_zones() -> list[str]:
    """The IANA zones this machine knows, the time-zone field's suggestions."""
    return sorted(available_timezones())


def intervals_text(intervals: list[tuple[str, str]]) -> str:
    return ", ".join(f"{start}-{end}" for start, end in intervals)


def intervals_of(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """A day's open intervals as typed ("09:00-12:00, 13:00-17:30") in the model's shape, and
    what could not be read as an interval. The times themselves are the model's to check."""
    intervals: list[tuple[str, str]] = []
    unreadable: list[str] = []
    for part in text.split(","):
        if not (entry := part.strip()):
            continue
        if (match := _INTERVAL.match(entry)) is None:
            unreadable.append(
                f"{entry[:40]!r} is not an interval: write start and end as 'HH:MM-HH:MM', "
                "several separated by commas, e.g. '09:00-12:00, 13:00-17:30'"
            )
        else:
            intervals.append((match[1], match[2]))
    return intervals, unreadable


def holiday_line(holiday: Holiday) -> str:
    """A holiday as the form writes it: "2026-12-24 09:00-13:00 Christmas Eve"."""
    parts = [holiday.date.isoformat(), intervals_text(holiday.open or []), holiday.name]
    return " ".join(part for part in parts if part)


def holidays_of(text: str) -> tuple[list[dict[str, Any]], list[int]]:
    """The holidays typed one a line, as the model takes them, and the line each came from (to
    say where the model found a problem)."""
    found: list[dict[str, Any]] = []
    lines: list[int] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not (line := raw.strip()):
            continue
        # Always matches: any first word is the date, and the model says when it is not one.
        match = _HOLIDAY.match(line)
        assert match is not None
        opened = intervals_of(match["open"])[0] if match["open"] else None
        found.append({"date": match["date"], "name": match["name"] or "", "open": opened})
        lines.append(number)
    return found, lines


def form_values(hours: BusinessHours) -> dict[str, str]:
    """A stored calendar as its edit form shows it."""
    return {
        "name": hours.name,
        "time_zone": hours.time_zone,
        "always_open": "on" if hours.always_open else "",
        **{day: intervals_text(hours.weekly.get(day, [])) for day in WEEKDAYS},
        "holidays": "\n".join(holiday_line(holiday) for holiday in hours.holidays),
        "holiday_country": hours.holiday_country or "",
        "holiday_subdivision": hours.holiday_subdivision or "",
    }


def _model_problems(error: ValidationError, holiday_lines: list[int]) -> Problems:
    """The model's refusal by form field: a weekday's hours at that day, a holiday's at its line,
    a whole-calendar rule at the field it names (`_CALENDAR_RULES`)."""
    found: Problems = {}
    for detail in error.errors():
        loc = tuple(detail["loc"])
        text = str(detail["msg"]).removeprefix("Value error, ")
        if not loc:
            field = next((f for start, f in _CALENDAR_RULES if text.startswith(start)), "")
        elif loc[0] == "weekly" and len(loc) > 1:
            field = str(loc[1])
        elif loc[0] == "holidays" and len(loc) > 1 and isinstance(loc[1], int):
            where = ", ".join([f"line {holiday_lines[loc[1]]}", *map(str, loc[2:3])])
            field, text = "holidays", f"{where}: {text}"
        else:
            field, rest = field_of(loc, HOURS_FIELDS)
            text = f"{rest}: {text}" if rest else text
        found.setdefault(field, []).append(text)
    return found


def calendar_of(
    form: dict[str, str], pinned_holidays: list[date]
) -> tuple[BusinessHours | None, Problems]:
    """The form as the API's model, or the problems found: text that is not an interval at its
    weekday, and the model's own messages at their fields. `pinned_holidays` are kept as
    stored: the form does not show them, so saving it must not drop them."""
    problems: Problems = {}
    weekly: dict[str, list[tuple[str, str]]] = {}
    for day in WEEKDAYS:
        intervals, unreadable = intervals_of(form.get(day, ""))
        if unreadable:
            problems[day] = unreadable
            intervals = intervals or _STAND_IN
        if intervals:
            weekly[day] = intervals
    holidays, holiday_lines = holidays_of(form.get("holidays", ""))
    data = {
        "name": form.get("name", "").strip(),
        "time_zone": form.get("time_zone", "").strip(),
        "always_open": form.get("always_open") == "on",
        "weekly": weekly,
        "holidays": holidays,
        "holiday_country": or_none(form, "holiday_country"),
        "holiday_subdivision": or_none(form, "holiday_subdivision"),
        "pinned_holidays": pinned_holidays,
    }
    try:
        calendar = BusinessHours.model_validate(data)
    except ValidationError as error:
        for field, messages in _model_problems(error, holiday_lines).items():
            problems.setdefault(field, []).extend(messages)
        return None, problems
    return (None, problems) if problems else (calendar, problems)


# ------------------------------------------------------------------------------------- reading


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
    # "deleted" is this page's own notice; the shared ones are about what still exists.
    deleted = request.query_params.get("saved") == "deleted"
    return page(
        request,
        services,
        visit,
        "admin_hours_list.html",
        calendars=calendars,
        may_change=may_change(visit),
        saved="deleted" if deleted else saved_notice(request),
    )


async def _hours_form_page(
    request: Request,
    services: Services,
    visit: Visit,
    *,
    hours_id: int | None,
    calendar_name: str,
    values: dict[str, str],
    status_code: int = 200,
    problems: Problems | None = None,
    delete_problem: str | None = None,
) -> Response:
    return page(
        request,
        services,
        visit,
        "admin_hours_form.html",
        status_code,
        hours_id=hours_id,
        calendar_name=calendar_name,
        values=values,
        problems=problems or {},
        delete_problem=delete_problem,
        weekdays=WEEKDAY_LABELS,
        zones=time_zones(),
        may_change=may_change(visit),
    )


# Declared before `/business-hours/{hours_id}`, which would otherwise take "new" for an id.
@router.get("/business-hours/new")
async def new_business_hours_page(request: Request, services: ServicesDep) -> Response:
    visit = await signed_in(request, services, may_change, CANNOT_CHANGE)
    if not isinstance(visit, Visit):
        return visit
    return await _hours_form_page(
        request, services, visit, hours_id=None, calendar_name="", values=dict(NEW_CALENDAR)
    )


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
        may_change=may_change(visit),
        saved=saved_notice(request),
    )


async def _stored(db: DatabaseDep, hours_id: int) -> BusinessHours:
    def read(session: Session) -> BusinessHours:
        return hours_crud.business_hours_of(
            hours_crud.get_business_hours(session, hours_id=hours_id)
        )

    return await db.run(read)


@router.get("/business-hours/{hours_id}/edit")
async def edit_business_hours_page(
    request: Request, services: ServicesDep, db: DatabaseDep, hours_id: DbId
) -> Response:
    """The edit form; ops keys see it with its fields disabled, as the other admin forms."""
    visit = await signed_in(request, services, may_view, CANNOT_VIEW)
    if not isinstance(visit, Visit):
        return visit
    try:
        hours = await _stored(db, hours_id)
    except SlaError as error:
        return message(request, services, visit, error, "Business hours")
    return await _hours_form_page(
        request,
        services,
        visit,
        hours_id=hours_id,
        calendar_name=hours.name,
        values=form_values(hours),
    )


# -------------------------------------------------------------------------------------- changes


def _to_calendar_page(hours_id: int, saved: str) -> Response:
    url = f"/console/admin/business-hours/{hours_id}?saved={saved}"
    return RedirectResponse(url, status_code=303)


def _create(session: Session, *, hours: BusinessHours) -> int:
    """The new calendar's id, read in the session that stored it."""
    return hours_crud.create_business_hours(session, hours=hours).id


@router.post("/business-hours")
async def create_business_hours(
    request: Request, services: ServicesDep, db: DatabaseDep
) -> Response:
    posted = await admin_form(request, services)
    if isinstance(posted, Response):
        return posted
    visit, form = posted
    calendar, problems = calendar_of(form, [])
    status_code = 422
    if calendar is not None:
        try:
            hours_id = await db.write(_create, hours=calendar)
        except SlaError as error:
            status_code, problems = save_refused(error, HOURS_FIELDS)
        else:
            return _to_calendar_page(hours_id, "created")
    return await _hours_form_page(
        request,
        services,
        visit,
        hours_id=None,
        calendar_name="",
        values=form,
        status_code=status_code,
        problems=problems,
    )


@router.post("/business-hours/{hours_id}")
async def update_business_hours(
    request: Request, services: ServicesDep, db: DatabaseDep, hours_id: DbId
) -> Response:
    """New hours for the calendar, as `PUT /business-hours/{id}`: cases started from now on pin
    them, running cases keep theirs; a calendar a published process names keeps its name."""
    posted = await admin_form(request, services)
    if isinstance(posted, Response):
        return posted
    visit, form = posted
    try:
        stored = await _stored(db, hours_id)
    except SlaError as error:
        return message(request, services, visit, error, "Business hours")
    calendar, problems = calendar_of(form, stored.pinned_holidays)
    status_code = 422
    if calendar is not None:
        try:
            await db.write(hours_crud.replace_business_hours, hours_id=hours_id, hours=calendar)
        except SlaError as error:
            status_code, problems = save_refused(error, HOURS_FIELDS)
        else:
            return _to_calendar_page(hours_id, "saved")
    return await _hours_form_page(
        request,
        services,
        visit,
        hours_id=hours_id,
        calendar_name=stored.name,
        values=form,
        status_code=status_code,
        problems=problems,
    )


@router.post("/business-hours/{hours_id}/delete")
async def delete_business_hours(
    request: Request, services: ServicesDep, db: DatabaseDep, hours_id: DbId
) -> Response:
    """Delete the calendar, as `DELETE /business-hours/{id}`; while a published process or an
    entitlement names it, the edit page says which (409) and nothing is deleted."""
    posted = await admin_form(request, services)
    if isinstance(posted, Response):
        return posted
    visit, _ = posted
    try:
        await db.write(hours_crud.delete_business_hours, hours_id=hours_id)
    except SlaError as error:
        if error.status_code != 409:
            return message(request, services, visit, error, "Business hours")
        stored = await _stored(db, hours_id)
        return await _hours_form_page(
            request,
            services,
            visit,
            hours_id=hours_id,
            calendar_name=stored.name,
            values=form_values(stored),
            status_code=409,
            delete_problem=error.message,
        )
    return RedirectResponse("/console/admin/business-hours?saved=deleted", status_code=303)
