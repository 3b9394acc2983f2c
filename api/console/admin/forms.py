"""What the console's admin pages share: who may look and who may change, reading a posted
admin form (role, then CSRF token), reading a JSON text box as the API reads a JSON body,
turning a refusal (a pydantic error, or an `SlaError` from the crud) into messages by form
field, a milestone type's level in forms and links, and the notice after a change."""

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Path as PathParam
from fastapi import Request
from fastapi.responses import Response
from pydantic import TypeAdapter, ValidationError

from api.console.pages import CSRF_REFUSED, Visit, forbidden, form_of, page, signed_in
from api.deps import Services
from api.errors import InvalidFieldsError, InvalidInputError, Loc, SlaError
from database.models import MilestoneTypeRecord
from workflows.business_hours import WEEKDAYS
from workflows.limits import unsafe_json_text
from workflows.values import Instant

DbId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
CANNOT_VIEW = "The admin pages need the 'ops' role to look, and 'admin' to change anything."
CANNOT_CHANGE = "Changing configuration needs the 'admin' role."
USAGE_SHOWN = 200
"""The usage page lists this many covered cases, the newest first."""
INSTANT: TypeAdapter[datetime] = TypeAdapter(Instant)
DAY_NAMES = dict(zip(WEEKDAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))

SAVED = ("created", "saved", "reordered")
Problems = dict[str, list[str]]
"""Messages by form field; "" holds those about the form as a whole."""


def may_view(visit: Visit) -> bool:
    return visit.may("ops")


def may_change(visit: Visit) -> bool:
    return visit.may("admin")


# ------------------------------------------------------------------------------ JSON text boxes


def json_box(text: str) -> Any:
    """What a JSON text box holds, read as the API reads a JSON body: the raw text first under
    the same rules (`workflows.limits.unsafe_json_text`, which `api.guard` applies to every
    body: no NUL, no lone surrogate, nesting bounded), then parsed as UTF-8. `ValueError`
    saying what to fix, a parse error with its line and column."""
    raw = text.encode("utf-8", "surrogatepass")
    problem = unsafe_json_text(raw)
    if problem is not None:
        raise ValueError(problem)
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise ValueError(f"not JSON: {error.msg} ({where})") from None
    except UnicodeDecodeError:
        raise ValueError("not JSON: the text is not valid Unicode") from None


# ---------------------------------------------------------------------------------- refusals


def field_of(loc: Loc | tuple[Any, ...], fields: Iterable[str]) -> tuple[str, str]:
    """The form field a location is about ("" when none is) and the rest of the path."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query"):
        parts = parts[1:]
    if parts and parts[0] in fields:
        return parts[0], ".".join(parts[1:])
    return "", ".".join(parts)


def problems_of(error: ValidationError | SlaError, fields: Iterable[str]) -> Problems:
    """A refusal's messages by the form field they are about."""
    known = set(fields)
    located: list[tuple[Loc | tuple[Any, ...], str]]
    if isinstance(error, ValidationError):
        located = [
            (tuple(e["loc"]), str(e["msg"]).removeprefix("Value error, ")) for e in error.errors()
        ]
    elif isinstance(error, InvalidFieldsError):
        located = list(error.problems)
    elif isinstance(error, InvalidInputError):
        located = [(error.loc, error.message)]
    else:
        located = [((), error.message)]
    found: Problems = {}
    for loc, message in located:
        field, rest = field_of(loc, known)
        found.setdefault(field, []).append(f"{rest}: {message}" if rest else message)
    return found


def save_refused(error: ValidationError | SlaError, fields: Iterable[str]) -> tuple[int, Problems]:
    """The status and messages of a refused create or update. A 409 is a name already taken
    (the only conflict these forms meet): it is shown at the name."""
    if isinstance(error, SlaError) and error.status_code == 409:
        return 409, {"name": [error.message]}
    status = error.status_code if isinstance(error, SlaError) else 422
    return status, problems_of(error, fields)


def or_none(form: dict[str, str], name: str) -> str | None:
    value = form.get(name, "").strip()
    return value or None


def level_of(form: dict[str, str]) -> dict[str, str | None]:
    """The level a form names. Only the box of the chosen scope counts: the other may still
    hold what was typed before the scope changed."""
    scope = form.get("scope") or "global"
    return {
        "scope": scope,
        "account_id": or_none(form, "account_id") if scope == "account" else None,
        "relationship_type": or_none(form, "relationship_type")
        if scope == "relationship"
        else None,
    }


def level_query(level: dict[str, str | None]) -> str:
    return urlencode({k: v for k, v in level.items() if v is not None})


def record_level(record: MilestoneTypeRecord) -> dict[str, str | None]:
    return {
        "scope": record.scope,
        "account_id": record.account_id,
        "relationship_type": record.relationship_type,
    }


async def admin_form(
    request: Request, services: Services
) -> tuple[Visit, dict[str, str]] | Response:
    """The posting admin's visit and form, or the answer for a refusal (sign-in, 403)."""
    visit = await signed_in(request, services, may_change, CANNOT_CHANGE)
    if not isinstance(visit, Visit):
        return visit
    form = await form_of(request, visit)
    if form is None:
        return forbidden(request, services, visit, CSRF_REFUSED)
    return visit, form


def saved_notice(request: Request) -> str | None:
    """What the redirect after a change says was done; only our own words, so a crafted link
    cannot put text of its choosing on the page."""
    done = request.query_params.get("saved")
    return done if done in SAVED else None


def message(
    request: Request, services: Services, visit: Visit, error: SlaError, title: str
) -> Response:
    return page(
        request, services, visit, "message.html", error.status_code, title=title, text=error.message
    )
