"""The console's ops pages: the compliance dashboard (from the reports), the at-risk list, an
account's milestones over time (the engagement graph) and the delivery log's failures. Their
links join `pages.NAVIGATION`; ops and admin keys may open them.

The pages read through the same crud as the HTTP API (`api.crud.reports`, `api.crud.deliveries`),
so a bar shows exactly what `GET /reports/compliance` answers for the same period and filters.
Charts are server-rendered SVG and HTML (no script, no chart library): this module turns the
figures into geometry (`Bar`, `TrendBar`, `Mark`), the templates only draw it. It holds no report
logic of its own.

The long listings (at risk, deliveries) go a page at a time (`api.console.paging`).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from api.console.pages import Visit, page, signed_in
from api.console.paging import STALE_LINK, Listing, console_secret
from api.crud import reports
from api.crud.deliveries import delivery_log
from api.crud.reports import AtRiskKey, GroupBy
from api.deps import DatabaseDep, ServicesDep
from api.schemas import DbInt, DeliveryStatus, LevelName, ProcessName
from database.models import DeliveryRecord, MilestoneRecordRow
from workflows.contract import HANDLER_PATTERN, CaseId
from workflows.values import Instant, Label

router = APIRouter(prefix="/console", include_in_schema=False)
NEEDS_OPS = "The ops pages (dashboard, at risk, accounts, deliveries) need the 'ops' role."
DEFAULT_DAYS = 30
MAX_DAYS = 3660
"""A report spans at most ten years, as the reports API allows."""
LISTED = 200
AccountPath = Annotated[str, PathParam()]

_FILTERS: dict[str, TypeAdapter[str]] = {
    "process": TypeAdapter(ProcessName),
    "account_id": TypeAdapter(LevelName),
    "priority": TypeAdapter(Label),
    "entitlement": TypeAdapter(ProcessName),
}
_ACCOUNT: TypeAdapter[str] = TypeAdapter(LevelName)
_CASE: TypeAdapter[str] = TypeAdapter(CaseId)
_STATUSES: tuple[DeliveryStatus, ...] = ("failed", "pending", "sending", "delivered")


def may_see_ops(visit: Visit) -> bool:
    return visit.may("ops")


# ------------------------------------------------------------------------------ period, filters


@dataclass(frozen=True)
class Period:
    """Whole UTC days, `first` to `last` inclusive: the instants [start, end) the reports read."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), UTC)


def period_of(query: dict[str, str], today: date, problems: list[str]) -> Period:
    """The period a page's `from` and `to` dates name (default: the last 30 days, today
    included); a date that does not parse is reported in `problems` and its default used."""
    last = _date(query.get("to"), today, "to", problems)
    first = _date(query.get("from"), last - timedelta(days=DEFAULT_DAYS - 1), "from", problems)
    if first > last:
        problems.append("'from' must not be after 'to': showing the 30 days up to 'to'.")
        first = last - timedelta(days=DEFAULT_DAYS - 1)
    if (last - first).days >= MAX_DAYS:
        problems.append("A period spans at most ten years: showing the 30 days up to 'to'.")
        first = last - timedelta(days=DEFAULT_DAYS - 1)
    return Period(first, last)


def _date(text: str | None, default: date, name: str, problems: list[str]) -> date:
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(f"'{name}' is not a date (YYYY-MM-DD): using {default.isoformat()}.")
        return default


def filters_of(query: dict[str, str], problems: list[str]) -> dict[str, str | None]:
    """The report filters the form names; an invalid one is dropped and reported."""
    filters: dict[str, str | None] = {}
    for name, adapter in _FILTERS.items():
        value = (query.get(name) or "").strip()
        if not value:
            filters[name] = None
            continue
        try:
            filters[name] = adapter.validate_python(value)
        except ValidationError:
            problems.append(f"The {name.replace('_', ' ')} filter {value!r} is not valid: ignored.")
            filters[name] = None
    return filters


# ------------------------------------------------------------------------------------ the charts


def rate_text(rate: float | None) -> str:
    """A met rate as every bar and table prints it: `83.3 %`, or `—` when nothing was judged."""
    return "—" if rate is None else f"{rate * 100:.1f} %"


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: its label, color (None: the theme's), length in percent of the track,
    the value as text, and what it counts."""

    key: str | None
    label: str
    color: str | None
    width: float
    value: str
    detail: str


def rate_bars(groups: Sequence[dict[str, Any]], *, colored: bool) -> list[Bar]:
    """Met rate bars, one per group, in the report's order."""
    bars = []
    for group in groups:
        judged = group["met"] + group["completed_late"] + group["violated_open"]
        rate = group["met_rate"]
        bars.append(
            Bar(
                key=group["key"],
                label=group["key"] or "(none)",
                color=group.get("color") if colored else None,
                width=0.0 if rate is None else round(rate * 100, 2),
                value=rate_text(rate),
                detail=f"{group['met']} met of {judged} judged · {group['instances']} instances",
            )
        )
    return bars


def violation_bars(groups: Sequence[dict[str, Any]]) -> list[Bar]:
    """Violations (open and completed late) by account, the most first; accounts without any
    are left out."""
    counted = [(g["violated_open"] + g["completed_late"], g) for g in groups]
    counted = [(n, g) for n, g in counted if n]
    counted.sort(key=lambda pair: (-pair[0], str(pair[1]["key"])))
    most = max((n for n, _ in counted), default=1)
    return [
        Bar(
            key=g["key"],
            label=g["key"] or "(no account)",
            color=None,
            width=round(n / most * 100, 2),
            value=str(n),
            detail=f"{g['violated_open']} violated and open · {g['completed_late']} late",
        )
        for n, g in counted
    ]


TREND_HEIGHT = 120
"""The trend's plot height in SVG units: 100 % met is this tall."""
TREND_STEP = 56
TREND_TOP = 22
TREND_LEFT = 52


@dataclass(frozen=True)
class TrendBar:
    """One week of the trend: its Monday, its met rate and the rectangle that draws it."""

    week: str
    value: str
    detail: str
    x: float
    y: float
    height: float
    labelled: bool


@dataclass(frozen=True)
class Trend:
    bars: list[TrendBar]
    width: float
    height: float
    bar_width: float
    baseline: float
    left: float
    gridlines: list[tuple[float, str]]


def weekly_trend(groups: Sequence[dict[str, Any]], period: Period) -> Trend:
    """Every week of the period (its Monday, UTC), with its met rate as a vertical bar; weeks
    without a judged instance show no bar and say so."""
    by_week = {g["key"]: g for g in groups}
    monday = period.first - timedelta(days=period.first.weekday())
    weeks = []
    while monday <= period.last:
        weeks.append(monday.isoformat())
        monday += timedelta(days=7)
    # Label at most about 12 weeks along the axis; every bar keeps its value in its title.
    every = max(1, -(-len(weeks) // 12))
    bars = []
    for i, week in enumerate(weeks):
        group = by_week.get(week)
        rate = group["met_rate"] if group else None
        height = 0.0 if rate is None else round(rate * TREND_HEIGHT, 2)
        judged = group["met"] + group["completed_late"] + group["violated_open"] if group else 0
        bars.append(
            TrendBar(
                week=week,
                value=rate_text(rate),
                detail=f"{group['met'] if group else 0} met of {judged} judged",
                x=TREND_LEFT + i * TREND_STEP + 8,
                y=TREND_TOP + TREND_HEIGHT - height,
                height=height,
                labelled=i % every == 0,
            )
        )
    baseline = TREND_TOP + TREND_HEIGHT
    gridlines = [(baseline - TREND_HEIGHT * p / 100, f"{p} %") for p in (0, 50, 100)]
    return Trend(
        bars=bars,
        width=TREND_LEFT + len(weeks) * TREND_STEP + 8,
        height=baseline + 30,
        bar_width=TREND_STEP - 16,
        baseline=baseline,
        left=TREND_LEFT,
        gridlines=gridlines,
    )


# ------------------------------------------------------------------------ the engagement graph

GRAPH_WIDTH = 800
GRAPH_LEFT = 150
GRAPH_RIGHT = 24
GRAPH_TOP = 4
LANE = 44
MARK = 7.0
OUTCOMES = {
    "met": ("Met", "circle"),
    "completed_late": ("Completed late", "triangle"),
    "violated_open": ("Violated", "diamond"),
    "cancelled": ("Cancelled", "square"),
    None: ("Open (at its start)", "ring"),
}
"""Each outcome's words and shape: met and violated differ by shape, not only by color."""


def shape_path(shape: str, x: float, y: float, r: float = MARK) -> str:
    """The SVG path of a mark's shape centred on (x, y)."""
    if shape in ("circle", "ring"):
        return f"M{x - r:.1f},{y:.1f}a{r},{r} 0 1,0 {2 * r},0a{r},{r} 0 1,0 {-2 * r},0Z"
    if shape == "triangle":
        return f"M{x:.1f},{y - r:.1f}L{x + r:.1f},{y + r * 0.8:.1f}L{x - r:.1f},{y + r * 0.8:.1f}Z"
    if shape == "diamond":
        return f"M{x:.1f},{y - r:.1f}L{x + r:.1f},{y:.1f}L{x:.1f},{y + r:.1f}L{x - r:.1f},{y:.1f}Z"
    s = r * 0.85
    return f"M{x - s:.1f},{y - s:.1f}h{2 * s:.1f}v{2 * s:.1f}h{-2 * s:.1f}Z"


@dataclass(frozen=True)
class Mark:
    """One milestone instance on the graph, at its resolution (or start, while unresolved)."""

    case_id: str
    milestone: str
    instance: int
    color: str
    outcome: str | None
    outcome_text: str
    shape: str
    at: datetime
    started_at: datetime
    resolved_at: datetime | None
    target_at: datetime | None
    path: str


@dataclass(frozen=True)
class Lane:
    milestone: str
    color: str
    y: float


@dataclass(frozen=True)
class Graph:
    marks: list[Mark]
    lanes: list[Lane]
    ticks: list[tuple[float, str]]
    width: float
    height: float
    left: float
    right: float
    axis_y: float


def engagement_graph(rows: Sequence[MilestoneRecordRow], period: Period) -> Graph:
    """Each instance a mark in its type's color, one lane per milestone type (in the order they
    first started), on a time axis spanning the period (and any later resolution)."""
    start = period.start
    end = max([period.end, *(r.resolved_at for r in rows if r.resolved_at is not None)])
    span = (end - start).total_seconds()
    right = GRAPH_WIDTH - GRAPH_RIGHT
    lanes: dict[str, Lane] = {}
    marks = []
    for row in rows:
        lane = lanes.get(row.milestone)
        if lane is None:
            lane = Lane(row.milestone, row.color, GRAPH_TOP + LANE * len(lanes) + LANE / 2)
            lanes[row.milestone] = lane
        at = row.resolved_at or row.started_at
        x = GRAPH_LEFT + (right - GRAPH_LEFT) * max(0.0, (at - start).total_seconds()) / span
        words, shape = OUTCOMES[row.outcome]
        marks.append(
            Mark(
                case_id=row.case_id,
                milestone=row.milestone,
                instance=row.instance,
                color=row.color,
                outcome=row.outcome,
                outcome_text=words,
                shape=shape,
                at=at,
                started_at=row.started_at,
                resolved_at=row.resolved_at,
                target_at=row.target_at,
                path=shape_path(shape, x, lane.y),
            )
        )
    axis_y = GRAPH_TOP + LANE * max(len(lanes), 1) + 8
    ticks = []
    for i in range(5):
        at = start + (end - start) * i / 4
        ticks.append((GRAPH_LEFT + (right - GRAPH_LEFT) * i / 4, at.strftime("%Y-%m-%d")))
    return Graph(
        marks=marks,
        lanes=list(lanes.values()),
        ticks=ticks,
        width=GRAPH_WIDTH,
        height=axis_y + 28,
        left=GRAPH_LEFT,
        right=right,
        axis_y=axis_y,
    )


# --------------------------------------------------------------------------------------- pages


def _query(request: Request) -> dict[str, str]:
    return dict(request.query_params.items())


AT_RISK: Listing[MilestoneRecordRow, AtRiskKey] = Listing(
    noun="milestones at risk",
    size=LISTED,
    keys=TypeAdapter(tuple[Instant | None, str, str, DbInt]),
    key_of=lambda row: (row.target_at, row.case_id, row.milestone, row.instance),
)
DELIVERIES: Listing[DeliveryRecord, tuple[datetime, str]] = Listing(
    noun="deliveries",
    size=LISTED,
    keys=TypeAdapter(tuple[Instant, str]),
    key_of=lambda row: (row.last_attempt_at, row.idempotency_key),
)


@router.get("/dashboard")
async def dashboard(request: Request, services: ServicesDep, db: DatabaseDep) -> Response:
    visit = await signed_in(request, services, may_see_ops, NEEDS_OPS)
    if not isinstance(visit, Visit):
        return visit
    query = _query(request)
    problems: list[str] = []
    period = period_of(query, (await services.clock()).date(), problems)
    filters = filters_of(query, problems)

    def read(session: Session) -> dict[GroupBy, tuple[list[dict[str, Any]], dict[str, Any]]]:
        return {
            group_by: reports.compliance(
                session, start=period.start, end=period.end, group_by=group_by, filters=filters
            )
            for group_by in ("milestone_type", "reporting_category", "week", "account")
        }

    figures = await db.run(read)
    total = figures["milestone_type"][1]
    return page(
        request,
        services,
        visit,
        "ops_dashboard.html",
        problems=problems,
        period=period,
        filters={k: v or "" for k, v in filters.items()},
        total=total,
        total_rate=rate_text(total["met_rate"]),
        types=rate_bars(figures["milestone_type"][0], colored=True),
        categories=rate_bars(figures["reporting_category"][0], colored=False),
        trend=weekly_trend(figures["week"][0], period),
        accounts=violation_bars(figures["account"][0]),
        known_accounts=sorted(str(g["key"]) for g in figures["account"][0] if g["key"]),
    )


@router.get("/at-risk")
async def at_risk(request: Request, services: ServicesDep, db: DatabaseDep) -> Response:
    visit = await signed_in(request, services, may_see_ops, NEEDS_OPS)
    if not isinstance(visit, Visit):
        return visit
    problems: list[str] = []
    query = _query(request)
    filters = filters_of(query, problems)
    now = await services.clock()
    path = "/console/at-risk"
    # The links keep the filters this page reads (an invalid one was dropped, as in the form).
    kept = {name: value for name in ("account_id", "process") if (value := filters[name])}
    shown = {k: v or "" for k, v in filters.items()}
    secret = console_secret(services)
    cursor, stale = AT_RISK.position(secret, query.get("after"), path, kept)

    def read(session: Session) -> Sequence[MilestoneRecordRow]:
        return reports.at_risk(
            session,
            account_id=filters["account_id"],
            process=filters["process"],
            limit=AT_RISK.size + 1,
            after=None if cursor is None else cursor.key,
        )

    fetched = [] if stale else await db.run(read)
    rows, pager = AT_RISK.page(secret, fetched, cursor, path, kept, stale=stale)
    listed = [
        (row, None if row.target_at is None else (row.target_at - now).total_seconds())
        for row in rows
    ]
    return page(
        request,
        services,
        visit,
        "ops_at_risk.html",
        400 if stale else 200,
        problems=[*problems, STALE_LINK] if stale else problems,
        filters=shown,
        rows=listed,
        now=now,
        pager=pager,
        stale=stale,
    )


@router.get("/accounts")
async def open_account(request: Request, services: ServicesDep) -> Response:
    """The dashboard's "open an account" form: on to that account's page."""
    visit = await signed_in(request, services, may_see_ops, NEEDS_OPS)
    if not isinstance(visit, Visit):
        return visit
    account = (request.query_params.get("account_id") or "").strip()
    if not account:
        return RedirectResponse("/console/dashboard", status_code=303)
    return RedirectResponse(f"/console/accounts/{quote(account, safe='')}", status_code=303)


@router.get("/accounts/{account_id:path}")
async def account_page(
    request: Request, services: ServicesDep, db: DatabaseDep, account_id: AccountPath
) -> Response:
    visit = await signed_in(request, services, may_see_ops, NEEDS_OPS)
    if not isinstance(visit, Visit):
        return visit
    try:
        account = _ACCOUNT.validate_python(account_id)
    except ValidationError:
        text = "An account id has 1 to 200 characters, without quotes, backslashes or controls."
        return page(
            request, services, visit, "message.html", 422, title="Not an account", text=text
        )
    problems: list[str] = []
    period = period_of(_query(request), (await services.clock()).date(), problems)

    def read(session: Session) -> Sequence[MilestoneRecordRow]:
        return reports.account_milestones(
            session, account_id=account, start=period.start, end=period.end
        )

    rows = await db.run(read)
    return page(
        request,
        services,
        visit,
        "ops_account.html",
        problems=problems,
        account=account,
        period=period,
        graph=engagement_graph(rows, period),
        outcomes=[(words, shape, shape_path(shape, 9, 9, 6)) for words, shape in OUTCOMES.values()],
    )


@router.get("/deliveries")
async def deliveries(request: Request, services: ServicesDep, db: DatabaseDep) -> Response:
    visit = await signed_in(request, services, may_see_ops, NEEDS_OPS)
    if not isinstance(visit, Visit):
        return visit
    query = _query(request)
    problems: list[str] = []
    asked = query.get("status", "failed")
    status: DeliveryStatus | None = next((s for s in _STATUSES if s == asked), None)
    if status is None and asked != "any":
        problems.append(f"No delivery status {asked!r}: showing the failed ones.")
        status = "failed"
    case_id = (query.get("case_id") or "").strip() or None
    if case_id is not None:
        try:
            case_id = _CASE.validate_python(case_id)
        except ValidationError:
            problems.append(f"{case_id!r} is not a case id: showing every case.")
            case_id = None
    handler = (query.get("handler") or "").strip() or None
    if handler is not None and re.fullmatch(HANDLER_PATTERN, handler) is None:
        problems.append(f"{handler!r} is not a handler name: showing every handler.")
        handler = None

    path = "/console/deliveries"
    # The links keep the filters as this page understood them (the status always: its default
    # is "failed", not every status).
    kept: dict[str, str] = {"status": status or "any"}
    kept |= {name: value for name, value in (("case_id", case_id), ("handler", handler)) if value}
    context: dict[str, Any] = {
        "status": status or "any",
        "statuses": (*_STATUSES, "any"),
        "case_id": case_id or "",
        "handler": handler or "",
    }
    secret = console_secret(services)
    cursor, stale = DELIVERIES.position(secret, query.get("after"), path, kept)

    def read(session: Session) -> Sequence[DeliveryRecord]:
        return delivery_log(
            session,
            status=status,
            case_id=case_id,
            handler=handler,
            limit=DELIVERIES.size + 1,
            after=None if cursor is None else cursor.key,
        )

    fetched = [] if stale else await db.run(read)
    rows, pager = DELIVERIES.page(secret, fetched, cursor, path, kept, stale=stale)
    return page(
        request,
        services,
        visit,
        "ops_deliveries.html",
        400 if stale else 200,
        problems=[*problems, STALE_LINK] if stale else problems,
        rows=rows,
        pager=pager,
        stale=stale,
        **context,
    )
