"""The console's process editor: a new entitlement process, and a new version of one, written as
the JSON definition `POST /entitlement-processes` and `POST /entitlement-processes/{id}/versions`
take (milestone types and calendars by name) beside the form fields of those bodies (name,
description, level, notes). A draft is checked by the API's own request models and the crud's
resolution of types and calendars, previewed in words with its difference from the latest
version, and published by the crud functions the API calls.

It shows a draft with `processes`' words and difference.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from activities.settings import DestinationRules
from api.console.admin.forms import (
    CANNOT_CHANGE,
    DbId,
    Problems,
    admin_form,
    field_of,
    json_box,
    may_change,
    message,
    save_refused,
)
from api.console.admin.processes import VersionDiff, VersionWords, version_diff, version_words
from api.console.pages import Visit, page, signed_in
from api.crud import processes as processes_crud
from api.crud.definitions import resolve_definition
from api.deps import DatabaseDep, Services, ServicesDep
from api.errors import InvalidFieldsError, InvalidInputError, SlaError
from api.schemas import EntitlementProcessCreate, ProcessVersionCreate, ProcessVersionPublic
from workflows.contract import EntitlementProcess

router = APIRouter(prefix="/console/admin", include_in_schema=False)

PROCESS_FIELDS = ("name", "description", "account_id", "relationship_type", "notes")
"""What the new-process form has fields for; the rest of `EntitlementProcessCreate` is the
definition's JSON."""
VERSION_FIELDS = ("notes",)
STARTER: dict[str, Any] = {"milestones": [{"milestone_type": "First Response", "target": "1h"}]}
"""The definition a new process starts from: one milestone, a one-hour target."""
ISO_DURATION: TypeAdapter[timedelta] = TypeAdapter(timedelta)


# ------------------------------------------------------------------------ definitions as text


def duration_text(value: timedelta) -> str:
    """A duration as people write targets and as the API reads it back: `1h30m`, `45m`, `0s`.
    Hours, never days: a business day's length depends on the calendar."""
    if value.microseconds:
        return str(ISO_DURATION.dump_python(value, mode="json"))  # 'PT0.5S': exact
    hours, rest = divmod(int(value.total_seconds()), 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "m"), (seconds, "s")) if n]
    return "".join(parts) or "0s"


def _written(value: Any) -> Any:
    if isinstance(value, timedelta):
        return duration_text(value)
    if isinstance(value, dict):
        return {key: _written(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_written(item) for item in value]
    return value


def definition_text(definition: EntitlementProcess) -> str:
    """A published version as the editor's JSON: the body of `POST .../versions` without its
    notes, defaults left out. A milestone names its type; the type's color, recurrence and
    reporting category are copied again when the version is published."""
    copied = {"name", "color", "recurrence", "reporting_category"}
    body = definition.model_dump(
        include={"business_hours", "pause_when", "max_pause", "exit_when"}, exclude_defaults=True
    )
    body["milestones"] = [
        {"milestone_type": m.name, **m.model_dump(exclude=copied, exclude_defaults=True)}
        for m in definition.milestones
    ]
    return json.dumps(_written(body), indent=2, ensure_ascii=False)


# ----------------------------------------------------------------------------------- refusals

Located = tuple[Sequence[Any], str, bool]
"""A problem's location (as pydantic or the crud gives it), its message, and whether it is a
missing field."""


def _located(error: ValidationError | SlaError) -> list[Located]:
    if isinstance(error, ValidationError):
        return [(e["loc"], e["msg"], e["type"] == "missing") for e in error.errors()]
    if isinstance(error, InvalidFieldsError):
        return [(loc, text, False) for loc, text in error.problems]
    if isinstance(error, InvalidInputError):
        return [(error.loc, error.message, False)]
    return [((), error.message, False)]


def json_path(loc: Sequence[Any], posted: Any, *, missing: bool) -> list[Any]:
    """A location as a path into what was posted. Parts that name nothing there (the body
    prefix, a tagged union's tag such as `target.duration`, a union member's type) are left
    out, so `milestones.0.target` is where the admin finds it; a missing field keeps its key."""
    path: list[Any] = []
    here = posted
    for n, part in enumerate(loc):
        names_a_part = (isinstance(here, dict) and part in here) or (
            isinstance(here, list) and isinstance(part, int) and 0 <= part < len(here)
        )
        if names_a_part:
            here = here[part]
        elif not (missing and n == len(loc) - 1):
            continue
        path.append(part)
    return path


def draft_problems(
    error: ValidationError | SlaError, posted: dict[str, Any], fields: Sequence[str]
) -> Problems:
    """A refusal's messages: at a form field when about one, at the definition (with the JSON
    path) when about a part of it, else about the form as a whole."""
    found: Problems = {}
    for loc, text, missing in _located(error):
        field, rest = field_of(tuple(json_path(loc, posted, missing=missing)), fields)
        if not field and rest:
            field = "definition"
        text = text.removeprefix("Value error, ")
        found.setdefault(field, []).append(f"{rest}: {text}" if rest else text)
    return found


def _merged(problems: Problems, more: Problems) -> Problems:
    merged = {field: list(messages) for field, messages in problems.items()}
    for field, messages in more.items():
        merged.setdefault(field, []).extend(messages)
    return merged


@dataclass(frozen=True)
class Draft:
    """A posted editor form as the API's request model, or why it is not one yet."""

    body: BaseModel | None
    posted: dict[str, Any]
    problems: Problems


def read_draft(form: dict[str, str], model: type[BaseModel], fields: Sequence[str]) -> Draft:
    """The form as `model` takes it: the definition's JSON object with the form's own fields (an
    empty one left out, so the model's default applies; the name always counts). The definition
    is read as the API reads a body (`json_box`)."""
    own = {name: value for name in fields if (value := form.get(name, "").strip())}
    if "name" in fields:
        own.setdefault("name", "")
    try:
        parsed = json_box(form.get("definition", ""))
    except ValueError as error:
        return Draft(None, own, {"definition": [str(error)]})
    if not isinstance(parsed, dict):
        wanted = 'a JSON object, e.g. {"milestones": [...]}'
        return Draft(None, own, {"definition": [f"the definition must be {wanted}"]})
    problems: Problems = {}
    # A field of the form given in the JSON too is refused: which of the two counts is unclear.
    for name in fields:
        if name in parsed:
            problems.setdefault("definition", []).append(
                f"{name}: give it in its own field, not in the definition"
            )
            del parsed[name]
    posted = {**parsed, **own}
    try:
        body = model.model_validate(posted)
    except ValidationError as error:
        return Draft(None, posted, _merged(problems, draft_problems(error, posted, fields)))
    return Draft(None if problems else body, posted, problems)


# ------------------------------------------------------------------------------------- pages


@dataclass(frozen=True)
class Preview:
    """A draft as it would be published: in words, and its difference from the latest version
    (none for a new process)."""

    definition: EntitlementProcess
    words: VersionWords
    latest: ProcessVersionPublic | None
    diff: VersionDiff | None


def preview_of(definition: EntitlementProcess, latest: ProcessVersionPublic | None) -> Preview:
    diff = version_diff(latest.definition, definition) if latest is not None else None
    return Preview(definition, version_words(definition), latest, diff)


def _editor(
    request: Request,
    services: Services,
    visit: Visit,
    *,
    values: dict[str, str],
    latest: ProcessVersionPublic | None = None,
    status_code: int = 200,
    problems: Problems | None = None,
    preview: Preview | None = None,
) -> Response:
    """The editor: of a new process when `latest` is None, else of a new version after it. Only
    admins open it, as the other editors of something new (ops keys get 403)."""
    return page(
        request,
        services,
        visit,
        "admin_process_form.html",
        status_code,
        latest=latest,
        values=values,
        problems=problems or {},
        preview=preview,
    )


def _published(process_id: int, version: int) -> Response:
    return RedirectResponse(
        f"/console/admin/processes/{process_id}/versions/{version}?saved=created", status_code=303
    )


@router.get("/processes/new")
async def new_process_page(request: Request, services: ServicesDep) -> Response:
    visit = await signed_in(request, services, may_change, CANNOT_CHANGE)
    if not isinstance(visit, Visit):
        return visit
    return _editor(request, services, visit, values={"definition": json.dumps(STARTER, indent=2)})


def _first_version(
    session: Session, *, body: EntitlementProcessCreate, destinations: DestinationRules
) -> EntitlementProcess:
    """Version 1 as `create_process` would publish it, written nowhere."""
    _process, definition = processes_crud.draft_process(
        session, body=body, destinations=destinations
    )
    return definition.process


def _create(
    session: Session, *, body: EntitlementProcessCreate, destinations: DestinationRules
) -> int:
    process, _version = processes_crud.create_process(session, body=body, destinations=destinations)
    return process.id


@router.post("/processes")
async def create_process(request: Request, services: ServicesDep, db: DatabaseDep) -> Response:
    """Preview (`action=preview`) or publish (`action=publish`) a new process's version 1."""
    posted = await admin_form(request, services)
    if isinstance(posted, Response):
        return posted
    visit, form = posted
    draft = read_draft(form, EntitlementProcessCreate, PROCESS_FIELDS)
    if not isinstance(draft.body, EntitlementProcessCreate):
        return _editor(
            request, services, visit, values=form, status_code=422, problems=draft.problems
        )
    try:
        if form.get("action") == "publish":
            created = await db.write(_create, body=draft.body, destinations=services.destinations)
            return _published(created, 1)
        definition = await db.run(
            _first_version, body=draft.body, destinations=services.destinations
        )
    except SlaError as error:
        status_code, problems = (
            save_refused(error, PROCESS_FIELDS)  # a name taken: at the name
            if error.status_code == 409
            else (error.status_code, draft_problems(error, draft.posted, PROCESS_FIELDS))
        )
        return _editor(
            request, services, visit, values=form, status_code=status_code, problems=problems
        )
    return _editor(request, services, visit, values=form, preview=preview_of(definition, None))


async def _latest(db: DatabaseDep, services: Services, process_id: int) -> ProcessVersionPublic:
    def read(session: Session) -> ProcessVersionPublic:
        process = processes_crud.get_process(session, process_id=process_id)
        return processes_crud.get_version(
            session, process=process, version=process.latest_version, cache=services.versions
        )

    return await db.run(read)


@router.get("/processes/{process_id}/versions/new")
async def new_version_page(
    request: Request, services: ServicesDep, db: DatabaseDep, process_id: DbId
) -> Response:
    """The editor of the next version, holding the latest one's definition."""
    visit = await signed_in(request, services, may_change, CANNOT_CHANGE)
    if not isinstance(visit, Visit):
        return visit
    try:
        latest = await _latest(db, services, process_id)
    except SlaError as error:
        return message(request, services, visit, error, "Entitlement process")
    values = {"definition": definition_text(latest.definition), "based_on": str(latest.version)}
    return _editor(request, services, visit, values=values, latest=latest)


def _next_version(
    session: Session, *, process_id: int, body: ProcessVersionCreate, destinations: DestinationRules
) -> EntitlementProcess:
    """The next version as `publish_version` would publish it, written nowhere."""
    process = processes_crud.get_process(session, process_id=process_id)
    number = process.latest_version + 1
    definition = resolve_definition(
        session, process=process, version=number, body=body, destinations=destinations
    )
    return definition.process


def _publish(
    session: Session, *, process_id: int, body: ProcessVersionCreate, destinations: DestinationRules
) -> int:
    _process, version = processes_crud.publish_version(
        session, process_id=process_id, body=body, destinations=destinations
    )
    return version.version


@router.post("/processes/{process_id}/versions")
async def publish_version(
    request: Request, services: ServicesDep, db: DatabaseDep, process_id: DbId
) -> Response:
    """Preview (`action=preview`) or publish (`action=publish`) the next version. `based_on` is
    the version the admin's preview compared with: when another was published since, nothing is
    published and the preview compares with the new latest instead."""
    posted = await admin_form(request, services)
    if isinstance(posted, Response):
        return posted
    visit, form = posted
    try:
        latest = await _latest(db, services, process_id)
    except SlaError as error:
        return message(request, services, visit, error, "Entitlement process")
    draft = read_draft(form, ProcessVersionCreate, VERSION_FIELDS)
    if not isinstance(draft.body, ProcessVersionCreate):
        return _editor(
            request,
            services,
            visit,
            values=form,
            latest=latest,
            status_code=422,
            problems=draft.problems,
        )
    based_on = form.get("based_on", "")
    stale = based_on.isascii() and based_on.isdigit() and int(based_on) != latest.version
    try:
        if form.get("action") == "publish" and not stale:
            number = await db.write(
                _publish,
                process_id=process_id,
                body=draft.body,
                destinations=services.destinations,
            )
            return _published(process_id, number)
        definition = await db.run(
            _next_version,
            process_id=process_id,
            body=draft.body,
            destinations=services.destinations,
        )
    except SlaError as error:
        # A 409 here is another version published at the same moment: about the whole form.
        return _editor(
            request,
            services,
            visit,
            values=form,
            latest=latest,
            status_code=error.status_code,
            problems=draft_problems(error, draft.posted, VERSION_FIELDS),
        )
    problems: Problems = {}
    if stale and form.get("action") == "publish":
        problems[""] = [
            f"version {latest.version} was published after the version {based_on} your preview "
            "compared with: check what yours changes against it below, then publish again"
        ]
    return _editor(
        request,
        services,
        visit,
        values={**form, "based_on": str(latest.version)},
        latest=latest,
        status_code=409 if problems else 200,
        problems=problems,
        preview=preview_of(definition, latest),
    )
