"""The admin pages of milestone types: the catalog per level, create and edit forms, the active
toggle, and reordering (drag and drop, or buttons) under the Gainsight rule: at an account or
relationship level only the local types move, the global ones stay after them."""

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from api.console.admin.forms import (
    CANNOT_VIEW,
    DbId,
    Problems,
    admin_form,
    level_of,
    level_query,
    may_change,
    may_view,
    message,
    or_none,
    problems_of,
    record_level,
    save_refused,
    saved_notice,
)
from api.console.pages import Visit, page, signed_in
from api.crud import milestone_types as types_crud
from api.deps import DatabaseDep, Services, ServicesDep
from api.errors import SlaError
from api.schemas import (
    Level,
    MilestoneTypeCreate,
    MilestoneTypeReorder,
    MilestoneTypeUpdate,
)
from database.models import MilestoneTypeRecord

router = APIRouter(prefix="/console/admin", include_in_schema=False)


TYPE_FIELDS = (
    "name",
    "color",
    "description",
    "reporting_category",
    "recurrence",
    "active",
    "scope",
    "account_id",
    "relationship_type",
)


@dataclass(frozen=True)
class TypeRow:
    """A type as its level's list shows it, with the orders its move buttons would post."""

    record: MilestoneTypeRecord
    frozen: bool
    """A global type seen from an account or a relationship level: it stays after the local
    ones, in the global order, and cannot move here (Gainsight's rule)."""
    up: str | None
    down: str | None


def _swapped(ids: list[int], n: int, m: int) -> str:
    """The order with places `n` and `m` exchanged, as a move button posts it."""
    order = list(ids)
    order[n], order[m] = order[m], order[n]
    return ",".join(map(str, order))


def _type_rows(records: list[MilestoneTypeRecord], local_level: bool) -> list[TypeRow]:
    movable = [r for r in records if not (local_level and r.scope == "global")]
    ids = [r.id for r in movable]
    rows = [
        TypeRow(
            record,
            frozen=False,
            up=_swapped(ids, n, n - 1) if n > 0 else None,
            down=_swapped(ids, n, n + 1) if n < len(ids) - 1 else None,
        )
        for n, record in enumerate(movable)
    ]
    rows += [TypeRow(r, True, None, None) for r in records if r not in movable]
    return rows


async def _types_page(
    request: Request,
    services: Services,
    db: DatabaseDep,
    visit: Visit,
    level: dict[str, str | None],
    *,
    status_code: int = 200,
    problems: Problems | None = None,
    order_problems: Problems | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    local_level = level["scope"] != "global"
    records: list[MilestoneTypeRecord] = []
    level_problems: Problems = {}
    try:
        checked = Level.model_validate(level)
        records = list(
            await db.run(
                types_crud.list_milestone_types,
                scope=checked.scope,
                account_id=checked.account_id,
                relationship_type=checked.relationship_type,
            )
        )
    except (ValidationError, SlaError) as error:
        level_problems = problems_of(error, ("scope", "account_id", "relationship_type"))
        status_code = 422
    return page(
        request,
        services,
        visit,
        "admin_types.html",
        status_code,
        level=level,
        level_query=level_query(level),
        local_level=local_level,
        rows=_type_rows(records, local_level),
        level_problems=level_problems,
        problems=problems or {},
        order_problems=order_problems or {},
        values=values or {**level, "color": "#4C78A8", "recurrence": "none", "active": "on"},
        may_change=may_change(visit),
        saved=saved_notice(request),
    )


@router.get("/types")
async def types_page(request: Request, services: ServicesDep, db: DatabaseDep) -> Response:
    visit = await signed_in(request, services, may_view, CANNOT_VIEW)
    if not isinstance(visit, Visit):
        return visit
    return await _types_page(request, services, db, visit, level_of(dict(request.query_params)))


def _back_to_types(level: dict[str, str | None], saved: str) -> Response:
    query = level_query(level)
    return RedirectResponse(f"/console/admin/types?{query}&saved={saved}#types", status_code=303)


def _type_values(form: dict[str, str]) -> dict[str, object]:
    """What the create and the edit form of a type both post, as the API's models take it."""
    return {
        "name": form.get("name", "").strip(),
        "color": form.get("color", ""),
        "description": form.get("description", "").strip(),
        "reporting_category": or_none(form, "reporting_category"),
        "recurrence": form.get("recurrence", "none"),
        "active": form.get("active") == "on",
    }


@router.post("/types")
async def create_type(request: Request, services: ServicesDep, db: DatabaseDep) -> Response:
    posted = await admin_form(request, services)
    if isinstance(posted, Response):
        return posted
    visit, form = posted
    level = level_of(form)
    try:
        body = MilestoneTypeCreate.model_validate({**level, **_type_values(form)})
        await db.write(types_crud.create_milestone_type, body=body)
    except (ValidationError, SlaError) as error:
        status, problems = save_refused(error, TYPE_FIELDS)
        return await _types_page(
            request, services, db, visit, level, status_code=status, problems=problems, values=form
        )
    return _back_to_types(level, "created")


@router.post("/types/reorder")
async def reorder_types(request: Request, services: ServicesDep, db: DatabaseDep) -> Response:
    """The order the drag and drop or a move button posts: every type of the level's own, as
    `POST /milestone-types/reorder` takes it (the crud refuses a global type here)."""
    posted = await admin_form(request, services)
    if isinstance(posted, Response):
        return posted
    visit, form = posted
    level = level_of(form)
    try:
        ids = [int(part) for part in form.get("ids", "").split(",") if part.strip()]
        body = MilestoneTypeReorder.model_validate({**level, "ids": ids})
        await db.write(types_crud.reorder_milestone_types, body=body)
    except ValueError as error:  # pydantic's ValidationError is a ValueError too
        problems = (
            problems_of(error, ())
            if isinstance(error, ValidationError)
            else {"": [f"the order is not a list of type ids: {error}"]}
        )
        return await _types_page(
            request, services, db, visit, level, status_code=422, order_problems=problems
        )
    except SlaError as error:
        return await _types_page(
            request,
            services,
            db,
            visit,
            level,
            status_code=error.status_code,
            order_problems=problems_of(error, ()),
        )
    return _back_to_types(level, "reordered")


@router.post("/types/{type_id}/active")
async def toggle_type(
    request: Request, services: ServicesDep, db: DatabaseDep, type_id: DbId
) -> Response:
    posted = await admin_form(request, services)
    if isinstance(posted, Response):
        return posted
    visit, form = posted
    changes = MilestoneTypeUpdate(active=form.get("active") == "true")
    try:
        record = await db.write(types_crud.update_milestone_type, type_id=type_id, changes=changes)
    except SlaError as error:
        return message(request, services, visit, error, "Milestone type")
    # Back to the level the admin was looking at when it is one (a global type is toggled from
    # an account's page too), else to the type's own: unchecked text is never a redirect.
    try:
        back = Level.model_validate(level_of(form)).model_dump()
    except ValidationError:
        back = record_level(record)
    return _back_to_types(back, "saved")


async def _type_edit_page(
    request: Request,
    services: Services,
    db: DatabaseDep,
    visit: Visit,
    type_id: int,
    *,
    status_code: int = 200,
    problems: Problems | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    try:
        record = await db.run(types_crud.get_milestone_type, type_id=type_id)
    except SlaError as error:
        return message(request, services, visit, error, "Milestone type")
    if values is None:
        values = {
            "name": record.name,
            "color": record.color,
            "description": record.description,
            "reporting_category": record.reporting_category or "",
            "recurrence": record.recurrence,
            "active": "on" if record.active else "",
        }
    return page(
        request,
        services,
        visit,
        "admin_type.html",
        status_code,
        record=record,
        level_query=level_query(record_level(record)),
        problems=problems or {},
        values=values,
        may_change=may_change(visit),
    )


@router.get("/types/{type_id}")
async def type_page(
    request: Request, services: ServicesDep, db: DatabaseDep, type_id: DbId
) -> Response:
    visit = await signed_in(request, services, may_view, CANNOT_VIEW)
    if not isinstance(visit, Visit):
        return visit
    return await _type_edit_page(request, services, db, visit, type_id)


@router.post("/types/{type_id}")
async def update_type(
    request: Request, services: ServicesDep, db: DatabaseDep, type_id: DbId
) -> Response:
    posted = await admin_form(request, services)
    if isinstance(posted, Response):
        return posted
    visit, form = posted
    try:
        changes = MilestoneTypeUpdate.model_validate(_type_values(form))
        record = await db.write(types_crud.update_milestone_type, type_id=type_id, changes=changes)
    except (ValidationError, SlaError) as error:
        status, problems = save_refused(error, TYPE_FIELDS)
        return await _type_edit_page(
            request,
            services,
            db,
            visit,
            type_id,
            status_code=status,
            problems=problems,
            values=form,
        )
    return _back_to_types(record_level(record), "saved")
