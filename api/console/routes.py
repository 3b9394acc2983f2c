"""The console's pages under `/console`: sign-in and sign-out, "My cases" and the case page (the
Milestone Tracker with pause, resume and complete), server-rendered from `templates/`.

Pages read and command cases through the same gateway as the HTTP API (`api.temporal.Cases`)
and keys through the same lookup (`api.auth`); they hold no case logic of their own. Every POST
carries the session's CSRF token (403 without it). Navigation shows what the signed-in key's
roles may open (`navigation`), so the ops and admin pages can join it.
"""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from api.auth import principal_of_key
from api.caches import VersionCache
from api.console.pages import (
    CSRF_REFUSED,
    Visit,
    clear_cookie,
    forbidden,
    form_of,
    page,
    safe_next,
    set_cookie,
    signed_in,
    visit_of,
)
from api.console.session import new_session, stored_id
from api.console.views import UTC_ZONE, CaseView, case_rows, case_view
from api.crud import reports
from api.crud.business_hours import business_hours_of, calendars_named
from api.crud.console_sessions import end_session, open_session
from api.crud.processes import get_version, process_named
from api.crud.shared import name_key
from api.deps import DatabaseDep, Services, ServicesDep, TemporalDep
from api.errors import NotFoundError, SlaError
from api.keys import hash_key
from api.schemas import LevelName
from api.temporal import Cases
from workflows.case_sla import CaseSlaWorkflow
from workflows.contract import (
    CaseId,
    CompleteMilestone,
    Pause,
    Resume,
    case_workflow_id,
)

router = APIRouter(prefix="/console", include_in_schema=False)
MY_CASES_SHOWN = 200
"""My cases shows this many open cases, the most urgent first: one indexed query on the milestone
records (each case's record, its SLA state, and its running instances' earliest target), no
Temporal call at all."""
CANNOT_READ = "Your key's roles cannot read cases."
CANNOT_ACT = "Pausing, resuming and completing need the 'agent' role."
OWNER_VALUE: TypeAdapter[str] = TypeAdapter(LevelName)
CasePath = Annotated[CaseId, PathParam()]
MilestonePath = Annotated[str, PathParam(min_length=1, max_length=100)]


# ------------------------------------------------------------------------------ sign-in and out


@router.get("")
async def console_home() -> Response:
    return RedirectResponse("/console/cases", status_code=303)


@router.get("/sign-in")
async def sign_in_page(request: Request, services: ServicesDep) -> Response:
    visit = await visit_of(request, services)
    return page(
        request, services, visit, "sign_in.html", next=safe_next(request.query_params.get("next"))
    )


@router.post("/sign-in")
async def sign_in(request: Request, services: ServicesDep, db: DatabaseDep) -> Response:
    visit = await visit_of(request, services)
    form = await form_of(request, visit)
    if form is None:
        return forbidden(request, services, visit, CSRF_REFUSED)
    target = safe_next(form.get("next"))
    principal = await principal_of_key(services, form.get("key", "").strip())
    if principal is None:
        return page(
            request,
            services,
            visit,
            "sign_in.html",
            401,
            next=target,
            error="That API key is not known: it was never issued, or it was deleted. "
            "Check it and try again.",
        )
    now = datetime.now(UTC)
    lifetime = timedelta(hours=services.settings.sla_console_session_hours)
    session = new_session(now, lifetime, signed_in=True)
    assert session.session_id is not None  # signed in
    await db.run(
        open_session,
        id_hash=stored_id(session.session_id),
        key_hash=hash_key(form.get("key", "").strip()),
        expires_at=session.expires_at,
        now=now,
    )
    response = RedirectResponse(target, status_code=303)
    set_cookie(request, response, services, session)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, services: ServicesDep, db: DatabaseDep) -> Response:
    """End the session on the server (a copy of its cookie opens nothing after this), and have
    the browser drop its cookie."""
    visit = await visit_of(request, services)
    if await form_of(request, visit) is None:
        return forbidden(request, services, visit, CSRF_REFUSED)
    if visit.session.session_id is not None:
        await db.run(end_session, id_hash=stored_id(visit.session.session_id))
    response = RedirectResponse("/console/sign-in?signed_out=1", status_code=303)
    clear_cookie(request, response)
    return response


# ------------------------------------------------------------------------------------- reading


def calendar_zones(
    session: Session, *, process: str, version: int, cache: VersionCache
) -> dict[str, str]:
    """Each milestone's calendar zone by milestone name, from the case's process version (which
    never changes once published) and its calendars as configured now."""
    record = process_named(session, name=process)
    if record is None:
        return {}
    try:
        definition = get_version(session, process=record, version=version, cache=cache).definition
    except NotFoundError:
        return {}
    stored = calendars_named(session, definition.calendar_names())
    zones = {}
    for milestone in definition.milestones:
        name = milestone.business_hours or definition.business_hours
        calendar = stored.get(name_key(name)) if name else None
        zones[milestone.name] = business_hours_of(calendar).time_zone if calendar else UTC_ZONE
    return zones


async def read_case_view(
    services: Services, db: DatabaseDep, cases: Cases, case_id: str, *, timeline: bool
) -> CaseView:
    """The case as of now (`api.console.views`)."""
    tracker = await cases.tracker(case_id, await services.clock())
    zones = await db.run(
        calendar_zones,
        process=tracker.process,
        version=tracker.process_version,
        cache=services.versions,
    )
    events = await cases.timeline(case_id) if timeline else []
    return case_view(tracker, zones, events)


def _workflow_url(services: Services, case_id: str) -> str:
    """The case's workflow in the Temporal UI (`TEMPORAL_UI_URL`, as the CLI links it)."""
    settings = services.temporal.settings
    ui = settings.ui_url.rstrip("/")
    namespace = quote(settings.namespace, safe="")
    return f"{ui}/namespaces/{namespace}/workflows/{quote(case_workflow_id(case_id), safe='')}"


@router.get("/cases")
async def my_cases(request: Request, services: ServicesDep, db: DatabaseDep) -> Response:
    visit = await signed_in(request, services, Visit.may_read_cases, CANNOT_READ)
    if not isinstance(visit, Visit):
        return visit
    assert visit.principal is not None  # signed in
    field = services.settings.sla_console_owner_field
    asked = request.query_params.get("owner")
    owner = visit.principal.name if asked is None else asked.strip()
    context: dict[str, Any] = {"field": field, "owner": owner, "rows": [], "error": None}
    if owner:
        try:
            owner = OWNER_VALUE.validate_python(owner)
        except ValidationError:
            context["error"] = f"The {field} value may not hold quotes, backslashes or controls."
            return page(request, services, visit, "cases.html", 422, **context)
    value = owner or None  # empty: every open case
    found = await db.run(
        reports.open_cases,
        owner=value if field == "owner" else None,
        account_id=value if field == "account_id" else None,
        limit=MY_CASES_SHOWN,
    )
    context["rows"] = case_rows(found, await services.clock())
    return page(request, services, visit, "cases.html", **context)


@router.get("/cases/{case_id}")
async def case_page(
    request: Request, services: ServicesDep, db: DatabaseDep, cases: TemporalDep, case_id: CasePath
) -> Response:
    return await _case(request, services, db, cases, case_id)


async def _case(
    request: Request,
    services: Services,
    db: DatabaseDep,
    cases: Cases,
    case_id: str,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    """The case page, with the reason a command was refused when there is one."""
    visit = await signed_in(request, services, Visit.may_read_cases, CANNOT_READ)
    if not isinstance(visit, Visit):
        return visit
    try:
        view = await read_case_view(services, db, cases, case_id, timeline=True)
    except SlaError as failure:
        return page(
            request,
            services,
            visit,
            "message.html",
            failure.status_code,
            title=f"Case {case_id}",
            text=failure.message,
        )
    return page(
        request,
        services,
        visit,
        "case.html",
        status_code,
        case=view,
        error=error,
        may_act=visit.may_act(),
        workflow_url=_workflow_url(services, case_id),
    )


# ------------------------------------------------------------------------------------ commands


async def _command(
    request: Request,
    services: Services,
    db: DatabaseDep,
    cases: Cases,
    case_id: str,
    run: Any,
) -> Response:
    """Check the session, the token and the role, run the command through the gateway, and show
    the case again: after a redirect when it worked, with the reason when it was refused."""
    visit = await signed_in(request, services, Visit.may_act, CANNOT_ACT)
    if not isinstance(visit, Visit):
        return visit
    form = await form_of(request, visit)
    if form is None:
        return forbidden(request, services, visit, CSRF_REFUSED)
    try:
        await run(form)
    except ValidationError as invalid:
        problem = "; ".join(str(e["msg"]) for e in invalid.errors())
        return await _case(request, services, db, cases, case_id, problem, 422)
    except SlaError as refused:
        status = refused.status_code
        return await _case(request, services, db, cases, case_id, refused.message, status)
    return RedirectResponse(f"/console/cases/{quote(case_id, safe='')}", status_code=303)


@router.post("/cases/{case_id}/pause")
async def pause_case(
    request: Request, services: ServicesDep, db: DatabaseDep, cases: TemporalDep, case_id: CasePath
) -> Response:
    async def run(form: dict[str, str]) -> None:
        command = Pause(reason=form.get("reason", "").strip())
        await cases.command(case_id, CaseSlaWorkflow.pause, command)

    return await _command(request, services, db, cases, case_id, run)


@router.post("/cases/{case_id}/resume")
async def resume_case(
    request: Request, services: ServicesDep, db: DatabaseDep, cases: TemporalDep, case_id: CasePath
) -> Response:
    async def run(_form: dict[str, str]) -> None:
        await cases.command(case_id, CaseSlaWorkflow.resume, Resume())

    return await _command(request, services, db, cases, case_id, run)


@router.post("/cases/{case_id}/milestones/{name}/complete")
async def complete_milestone(
    request: Request,
    services: ServicesDep,
    db: DatabaseDep,
    cases: TemporalDep,
    case_id: CasePath,
    name: MilestonePath,
) -> Response:
    async def run(_form: dict[str, str]) -> None:
        command = CompleteMilestone(milestone=name)
        await cases.command(case_id, CaseSlaWorkflow.complete_milestone, command)

    return await _command(request, services, db, cases, case_id, run)
