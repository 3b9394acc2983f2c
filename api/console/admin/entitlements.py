"""The admin pages of entitlements: the list with each allowance's use, create and edit forms,
and the cases an allowance covered (a page at a time, as `api.console.paging` pages)."""

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from api.console.admin.forms import (
    CANNOT_CHANGE,
    CANNOT_VIEW,
    USAGE_SHOWN,
    DbId,
    Problems,
    admin_form,
    json_box,
    may_change,
    may_view,
    message,
    or_none,
    problems_of,
    save_refused,
    saved_notice,
)
from api.console.admin.processes import criteria_words
from api.console.pages import Visit, page, signed_in
from api.console.paging import STALE_LINK, Listing, console_secret
from api.crud import business_hours as hours_crud
from api.crud import entitlements as entitlements_crud
from api.crud import processes as processes_crud
from api.deps import DatabaseDep, Services, ServicesDep
from api.errors import SlaError
from api.schemas import (
    EntitlementCreate,
    EntitlementUpdate,
)
from database.models import EntitlementCaseRecord
from workflows.entitlements import Entitlement
from workflows.values import Instant

router = APIRouter(prefix="/console/admin", include_in_schema=False)
USAGE: Listing[EntitlementCaseRecord, tuple[datetime, str]] = Listing(
    noun="cases",
    size=USAGE_SHOWN,
    keys=TypeAdapter(tuple[Instant, str]),
    key_of=lambda row: (row.started_at, row.case_id),
)


ENTITLEMENT_FIELDS = (
    "name",
    "account_id",
    "process",
    "business_hours",
    "starts_on",
    "ends_on",
    "cases_allowed",
    "applies_when",
    "priority",
    "on_exhausted",
)


def _entitlement_values(entitlement: Entitlement) -> dict[str, str]:
    applies = entitlement.applies_when
    return {
        "name": entitlement.name,
        "account_id": entitlement.account_id or "",
        "process": entitlement.process,
        "business_hours": entitlement.business_hours or "",
        "starts_on": entitlement.starts_on.isoformat() if entitlement.starts_on else "",
        "ends_on": entitlement.ends_on.isoformat() if entitlement.ends_on else "",
        "cases_allowed": ""
        if entitlement.cases_allowed is None
        else str(entitlement.cases_allowed),
        "applies_when": ""
        if applies is None
        else json.dumps(applies.model_dump(mode="json", exclude_defaults=True), indent=2),
        "priority": str(entitlement.priority),
        "on_exhausted": entitlement.on_exhausted,
    }


def _entitlement_body(
    form: dict[str, str], model: type[BaseModel], *, with_account: bool
) -> tuple[BaseModel | None, Problems]:
    """The form as the API's request model, or the problems found: `applies_when` is read as
    the API reads a body (`json_box`), its problems reported on its field, and the model's own
    errors on theirs."""
    problems: Problems = {}
    applies_when: Any = None
    if text := form.get("applies_when", "").strip():
        try:
            applies_when = json_box(text)
        except ValueError as error:
            problems["applies_when"] = [str(error)]
    data: dict[str, Any] = {
        "name": form.get("name", "").strip(),
        "process": form.get("process", "").strip(),
        "business_hours": or_none(form, "business_hours"),
        "starts_on": or_none(form, "starts_on"),
        "ends_on": or_none(form, "ends_on"),
        "cases_allowed": or_none(form, "cases_allowed"),
        "applies_when": applies_when,
        "priority": form.get("priority", "").strip() or "0",
        "on_exhausted": form.get("on_exhausted", "refuse"),
    }
    if with_account:
        data["account_id"] = or_none(form, "account_id")
    try:
        body = model.model_validate(data)
    except ValidationError as error:
        for field, messages in problems_of(error, ENTITLEMENT_FIELDS).items():
            problems.setdefault(field, []).extend(messages)
        return None, problems
    return (None, problems) if problems else (body, problems)


async def _entitlement_choices(db: DatabaseDep) -> dict[str, list[tuple[str, str]]]:
    """The options of the process and business-hours selects, as (value, text)."""

    def read(session: Session) -> dict[str, list[tuple[str, str]]]:
        processes = [(p.name, p.name) for p in processes_crud.list_processes(session)]
        calendars = [(c.name, c.name) for c in hours_crud.list_business_hours(session)]
        return {
            "processes": [("", "Choose a process"), *processes],
            "calendars": [("", "The process's own"), *calendars],
        }

    return await db.run(read)


@router.get("/entitlements")
async def entitlements_page(request: Request, services: ServicesDep, db: DatabaseDep) -> Response:
    visit = await signed_in(request, services, may_view, CANNOT_VIEW)
    if not isinstance(visit, Visit):
        return visit

    def read(session: Session) -> list[tuple[int, Entitlement]]:
        records = entitlements_crud.list_entitlements(session)
        found = entitlements_crud.entitlements_of(session, records=records, cache=services.versions)
        return [(record.id, e) for record, e in zip(records, found, strict=True)]

    return page(
        request,
        services,
        visit,
        "admin_entitlements.html",
        entitlements=await db.run(read),
        criteria_words=criteria_words,
        may_change=may_change(visit),
        saved=saved_notice(request),
    )


async def _entitlement_form_page(
    request: Request,
    services: Services,
    db: DatabaseDep,
    visit: Visit,
    *,
    entitlement_id: int | None,
    values: dict[str, str],
    status_code: int = 200,
    problems: Problems | None = None,
) -> Response:
    return page(
        request,
        services,
        visit,
        "admin_entitlement.html",
        status_code,
        entitlement_id=entitlement_id,
        values=values,
        problems=problems or {},
        choices=await _entitlement_choices(db),
        may_change=may_change(visit),
    )


async def _read_entitlement(
    db: DatabaseDep, services: Services, entitlement_id: int
) -> Entitlement:
    def read(session: Session) -> Entitlement:
        record = entitlements_crud.get_entitlement(session, entitlement_id=entitlement_id)
        return entitlements_crud.entitlements_of(
            session, records=[record], cache=services.versions
        )[0]

    return await db.run(read)


@router.get("/entitlements/new")
async def new_entitlement_page(
    request: Request, services: ServicesDep, db: DatabaseDep
) -> Response:
    visit = await signed_in(request, services, may_change, CANNOT_CHANGE)
    if not isinstance(visit, Visit):
        return visit
    values = {"priority": "0", "on_exhausted": "refuse"}
    return await _entitlement_form_page(
        request, services, db, visit, entitlement_id=None, values=values
    )


@router.post("/entitlements")
async def create_entitlement(request: Request, services: ServicesDep, db: DatabaseDep) -> Response:
    posted = await admin_form(request, services)
    if isinstance(posted, Response):
        return posted
    visit, form = posted
    body, problems = _entitlement_body(form, EntitlementCreate, with_account=True)
    status_code = 422
    if isinstance(body, EntitlementCreate):
        try:
            await db.write(entitlements_crud.create_entitlement, body=body)
        except SlaError as error:
            status_code, problems = save_refused(error, ENTITLEMENT_FIELDS)
        else:
            return RedirectResponse("/console/admin/entitlements?saved=created", status_code=303)
    return await _entitlement_form_page(
        request,
        services,
        db,
        visit,
        entitlement_id=None,
        values=form,
        status_code=status_code,
        problems=problems,
    )


@router.get("/entitlements/{entitlement_id}")
async def entitlement_page(
    request: Request, services: ServicesDep, db: DatabaseDep, entitlement_id: DbId
) -> Response:
    visit = await signed_in(request, services, may_view, CANNOT_VIEW)
    if not isinstance(visit, Visit):
        return visit
    try:
        entitlement = await _read_entitlement(db, services, entitlement_id)
    except SlaError as error:
        return message(request, services, visit, error, "Entitlement")
    return await _entitlement_form_page(
        request,
        services,
        db,
        visit,
        entitlement_id=entitlement_id,
        values=_entitlement_values(entitlement),
    )


@router.post("/entitlements/{entitlement_id}")
async def update_entitlement(
    request: Request, services: ServicesDep, db: DatabaseDep, entitlement_id: DbId
) -> Response:
    posted = await admin_form(request, services)
    if isinstance(posted, Response):
        return posted
    visit, form = posted
    try:
        # The account is not writable; the form shows it as it is stored.
        account = (await _read_entitlement(db, services, entitlement_id)).account_id or ""
    except SlaError as error:
        return message(request, services, visit, error, "Entitlement")
    values = {**form, "account_id": account}
    body, problems = _entitlement_body(form, EntitlementUpdate, with_account=False)
    status_code = 422
    if isinstance(body, EntitlementUpdate):
        try:
            await db.write(
                entitlements_crud.update_entitlement, entitlement_id=entitlement_id, changes=body
            )
        except SlaError as error:
            status_code, problems = save_refused(error, ENTITLEMENT_FIELDS)
        else:
            return RedirectResponse("/console/admin/entitlements?saved=saved", status_code=303)
    return await _entitlement_form_page(
        request,
        services,
        db,
        visit,
        entitlement_id=entitlement_id,
        values=values,
        status_code=status_code,
        problems=problems,
    )


@router.get("/entitlements/{entitlement_id}/cases")
async def usage_page(
    request: Request, services: ServicesDep, db: DatabaseDep, entitlement_id: DbId
) -> Response:
    """The cases the entitlement's allowance took, as `GET /entitlements/{id}/cases` lists
    them, `USAGE_SHOWN` a page (`?after=` a token of the page before)."""
    visit = await signed_in(request, services, may_view, CANNOT_VIEW)
    if not isinstance(visit, Visit):
        return visit
    path = f"/console/admin/entitlements/{entitlement_id}/cases"
    secret = console_secret(services)
    cursor, stale = USAGE.position(secret, request.query_params.get("after"), path, {})

    def read(session: Session) -> tuple[Entitlement, list[EntitlementCaseRecord]]:
        # A stale link still reads the entitlement (its name heads the page), not its cases.
        rows = (
            []
            if stale
            else entitlements_crud.covered_cases(
                session,
                entitlement_id=entitlement_id,
                limit=USAGE.size + 1,
                after=None if cursor is None else cursor.key,
            )
        )
        record = entitlements_crud.get_entitlement(session, entitlement_id=entitlement_id)
        found = entitlements_crud.entitlements_of(
            session, records=[record], cache=services.versions
        )[0]
        return found, list(rows)

    try:
        entitlement, fetched = await db.run(read)
    except SlaError as error:
        return message(request, services, visit, error, "Entitlement")
    rows, pager = USAGE.page(secret, fetched, cursor, path, {}, stale=stale)
    return page(
        request,
        services,
        visit,
        "admin_usage.html",
        400 if stale else 200,
        entitlement_id=entitlement_id,
        entitlement=entitlement,
        rows=rows,
        pager=pager,
        stale=stale,
        problems=[STALE_LINK] if stale else [],
    )
