"""The console's pages under `/console`: sign-in and sign-out, "My cases" and the case page (the
Milestone Tracker with pause, resume and complete), server-rendered from `templates/`.

Pages read and command cases through the same gateway as the HTTP API (`api.temporal.Cases`)
and keys through the same lookup (`api.auth`); they hold no case logic of their own. Every POST
carries the session's CSRF token (403 without it). Navigation shows what the signed-in key's
roles may open (`navigation`), so the ops and admin pages can join it.
"""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from api.auth import principal_of_hash, principal_of_key
from api.caches import VersionCache
from api.console.session import (
    ANONYMOUS_LIFETIME,
    COOKIE,
    CSRF_FIELD,
    ConsoleSession,
    csrf_matches,
    decode,
    encode,
    new_session,
)
from api.console.views import (
    PROBE,
    UTC_ZONE,
    CaseView,
    case_view,
    duration_text,
    open_cases,
    urgency,
)
from api.crud.business_hours import business_hours_of, calendars_named
from api.crud.processes import get_version, process_named
from api.crud.shared import name_key
from api.deps import DatabaseDep, Services, ServicesDep, TemporalDep
from api.errors import NotFoundError, SlaError
from api.keys import Principal, hash_key
from api.schemas import LevelName
from api.temporal import Cases
from workflows.case_sla import CaseSlaWorkflow
from workflows.contract import CaseId, CompleteMilestone, Pause, Resume, case_workflow_id

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
TEMPLATES.env.filters["duration"] = duration_text
router = APIRouter(prefix="/console", include_in_schema=False)
MY_CASES_SHOWN = 50
"""My cases shows this many open cases, the most urgent first (each costs two tracker reads)."""
LISTED = 200
OWNER_VALUE: TypeAdapter[str] = TypeAdapter(LevelName)
CasePath = Annotated[CaseId, PathParam()]
MilestonePath = Annotated[str, PathParam(min_length=1, max_length=100)]


# ------------------------------------------------------------------------------------ sessions


@dataclass(frozen=True)
class Visit:
    """Who is looking: the browser's session (new ones need their cookie set) and, once signed
    in, the principal of its key as the key lookup knows it now."""

    session: ConsoleSession
    principal: Principal | None
    fresh: bool

    def may_read_cases(self) -> bool:
        return self.principal is not None and (
            self.principal.may("agent") or self.principal.may("ops")
        )

    def may_act(self) -> bool:
        return self.principal is not None and self.principal.may("agent")


async def _visit(request: Request, services: Services) -> Visit:
    # Sessions expire by the wall clock; `services.clock` is the cases' clock (Temporal's).
    now = datetime.now(UTC)
    session = decode(request.cookies.get(COOKIE), services.settings.sla_console_secret, now)
    principal = None
    if session is not None and session.key_hash is not None:
        principal = await principal_of_hash(services, session.key_hash)
        if principal is None:  # the key was revoked: the session ends with it
            session = None
    if session is None:
        return Visit(new_session(None, now, ANONYMOUS_LIFETIME), None, fresh=True)
    return Visit(session, principal, fresh=False)


def _set_cookie(
    request: Request, response: Response, services: Services, s: ConsoleSession
) -> None:
    response.set_cookie(
        COOKIE,
        encode(s, services.settings.sla_console_secret),
        max_age=max(int((s.expires_at - datetime.now(UTC)).total_seconds()), 0),
        path="/console",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def navigation(principal: Principal | None) -> list[tuple[str, str]]:
    """The pages the key's roles may open, as (label, path)."""
    if principal is None:
        return []
    links = []
    if principal.may("agent") or principal.may("ops"):
        links.append(("My cases", "/console/cases"))
    return links


def _page(
    request: Request,
    services: Services,
    visit: Visit,
    template: str,
    status_code: int = 200,
    **context: Any,
) -> Response:
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "principal": visit.principal,
            "csrf": visit.session.csrf,
            "csrf_field": CSRF_FIELD,
            "navigation": navigation(visit.principal),
            **context,
        },
        status_code=status_code,
    )
    if visit.fresh:
        _set_cookie(request, response, services, visit.session)
    # Scripts and styles come from the console's own files only (a type's color is an inline
    # style); pages are never framed, and signed-in pages are not kept by caches.
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _to_sign_in(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/console/sign-in?{urlencode({'next': target})}", status_code=303)


def _safe_next(target: str | None) -> str:
    """Only a console path: never a redirect to another site."""
    if target and target.startswith("/console/") and not target.startswith("//"):
        return target
    return "/console/cases"


async def _form(request: Request, visit: Visit) -> dict[str, str] | None:
    """The posted form's fields, or None when its CSRF token is missing or wrong."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    return fields if csrf_matches(visit.session, fields.get(CSRF_FIELD)) else None


def _forbidden(request: Request, services: Services, visit: Visit, message: str) -> Response:
    return _page(request, services, visit, "message.html", 403, title="Not allowed", text=message)


CSRF_REFUSED = (
    "This form's security token is missing or out of date, so nothing was done: reload the "
    "page and try again."
)


# ------------------------------------------------------------------------------ sign-in and out


@router.get("")
async def console_home() -> Response:
    return RedirectResponse("/console/cases", status_code=303)


@router.get("/sign-in")
async def sign_in_page(request: Request, services: ServicesDep) -> Response:
    visit = await _visit(request, services)
    return _page(
        request, services, visit, "sign_in.html", next=_safe_next(request.query_params.get("next"))
    )


@router.post("/sign-in")
async def sign_in(request: Request, services: ServicesDep) -> Response:
    visit = await _visit(request, services)
    form = await _form(request, visit)
    if form is None:
        return _forbidden(request, services, visit, CSRF_REFUSED)
    target = _safe_next(form.get("next"))
    principal = await principal_of_key(services, form.get("key", "").strip())
    if principal is None:
        return _page(
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
    key_hash = hash_key(form.get("key", "").strip())
    response = RedirectResponse(target, status_code=303)
    _set_cookie(request, response, services, new_session(key_hash, now, lifetime))
    return response


@router.post("/sign-out")
async def sign_out(request: Request, services: ServicesDep) -> Response:
    visit = await _visit(request, services)
    if await _form(request, visit) is None:
        return _forbidden(request, services, visit, CSRF_REFUSED)
    response = RedirectResponse("/console/sign-in?signed_out=1", status_code=303)
    response.delete_cookie(COOKIE, path="/console")
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
    """The case as of now, with each clock's rate (`api.console.views`)."""
    now = await services.clock()
    first, second = await asyncio.gather(
        cases.tracker(case_id, now), cases.tracker(case_id, now + PROBE)
    )
    zones = await db.run(
        calendar_zones,
        process=first.process,
        version=first.process_version,
        cache=services.versions,
    )
    events = await cases.timeline(case_id) if timeline else []
    return case_view(first, second, zones, events)


def _workflow_url(services: Services, case_id: str) -> str:
    """The case's workflow in the Temporal UI (`TEMPORAL_UI_URL`, as the CLI links it)."""
    settings = services.temporal.settings
    ui = settings.ui_url.rstrip("/")
    namespace = quote(settings.namespace, safe="")
    return f"{ui}/namespaces/{namespace}/workflows/{quote(case_workflow_id(case_id), safe='')}"


@router.get("/cases")
async def my_cases(
    request: Request, services: ServicesDep, db: DatabaseDep, cases: TemporalDep
) -> Response:
    visit = await _visit(request, services)
    if visit.principal is None:
        return _to_sign_in(request)
    if not visit.may_read_cases():
        return _forbidden(request, services, visit, "Your key's roles cannot read cases.")
    field = services.settings.sla_console_owner_field
    asked = request.query_params.get("owner")
    owner = visit.principal.name if asked is None else asked.strip()
    context: dict[str, Any] = {"field": field, "owner": owner, "views": [], "error": None}
    if owner:
        try:
            owner = OWNER_VALUE.validate_python(owner)
        except ValidationError:
            context["error"] = f"The {field} value may not hold quotes, backslashes or controls."
            return _page(request, services, visit, "cases.html", 422, **context)
    value = owner or None  # empty: every open case
    try:
        listed = await cases.list(
            sla_state=None,
            deadline_before=None,
            process=None,
            owner=value if field == "owner" else None,
            account_id=value if field == "account_id" else None,
            priority=value if field == "priority" else None,
            limit=LISTED,
        )
    except SlaError as error:
        context["error"] = (
            "Listing cases needs Temporal and its visibility store, which did not answer: "
            f"{error.message}. A case's own page still works: /console/cases/<case id>."
        )
        return _page(request, services, visit, "cases.html", **context)
    found = await asyncio.gather(
        *(
            read_case_view(services, db, cases, s.case_id, timeline=False)
            for s in open_cases(listed)[:MY_CASES_SHOWN]
        ),
        return_exceptions=True,
    )
    # A case that closed since the listing is simply no longer open.
    views = [v for v in found if isinstance(v, CaseView) and v.closed_at is None]
    context["views"] = sorted(views, key=urgency)
    return _page(request, services, visit, "cases.html", **context)


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
    visit = await _visit(request, services)
    if visit.principal is None:
        return _to_sign_in(request)
    if not visit.may_read_cases():
        return _forbidden(request, services, visit, "Your key's roles cannot read cases.")
    try:
        view = await read_case_view(services, db, cases, case_id, timeline=True)
    except SlaError as failure:
        return _page(
            request,
            services,
            visit,
            "message.html",
            failure.status_code,
            title=f"Case {case_id}",
            text=failure.message,
        )
    return _page(
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
    visit = await _visit(request, services)
    if visit.principal is None:
        return _to_sign_in(request)
    form = await _form(request, visit)
    if form is None:
        return _forbidden(request, services, visit, CSRF_REFUSED)
    if not visit.may_act():
        return _forbidden(
            request, services, visit, "Pausing, resuming and completing need the 'agent' role."
        )
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
