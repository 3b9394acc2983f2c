"""Reports over the milestone records: compliance per group and period, an account's milestones
over time, and the open milestones at risk. Everything is computed by the database in one pass,
percentiles included (nearest rank, the same on SQLite and PostgreSQL), so a report never loads
its rows.

An instance belongs to the period in which it was resolved (`resolved_at`: completed, violated
and never completed, or cancelled). `met` is completed on time; `met_rate` = met / (met +
completed_late + violated_open), None when that is 0; times to complete are business seconds.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from sqlalchemy import ColumnElement, Integer, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from api.crud.shared import name_key
from database.models import CaseRecordRow, MilestoneRecordRow, MilestoneTypeRecord

GroupBy = Literal[
    "milestone_type",
    "reporting_category",
    "account",
    "priority",
    "process",
    "entitlement",
    "day",
    "week",
    "month",
]
GROUPS: tuple[GroupBy, ...] = get_args(GroupBy)
"""Every grouping, in order (`benchmarks/reports.py` runs each)."""
Record = MilestoneRecordRow
COMPLETED = ("met", "completed_late")


def compliance(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    group_by: GroupBy,
    filters: dict[str, str | None],
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The figures of each group of instances resolved in [start, end), and of all of them."""
    dialect = session.get_bind().dialect.name
    where = _where(start, end, filters)
    key = _key(group_by, dialect).label("key")
    groups = _figures(session, key, where, grouped=True)
    total = _figures(session, literal("total").label("key"), where, grouped=False)
    if group_by == "milestone_type":
        colors = _type_colors(session, [group["key"] for group in groups])
        for group in groups:
            group["color"] = colors.get(group["key"]) or group["color"]
    else:
        for group in groups:
            group.pop("color")
    summary = total[0] if total else _empty()
    summary.pop("color", None)
    summary.pop("key", None)
    return groups, summary


def _figures(
    session: Session, key: ColumnElement[Any], where: list[ColumnElement[bool]], grouped: bool
) -> list[dict[str, Any]]:
    """One pass over the records: the counts, and the nearest-rank median and 90th percentile of
    the time to complete (PostgreSQL's `percentile_disc`, or the `nearest_ranks` aggregate this
    module gives SQLite, which has none)."""
    completed = case((Record.outcome.in_(COMPLETED), Record.business_elapsed_seconds))
    if session.get_bind().dialect.name == "postgresql":
        percentiles: list[ColumnElement[Any]] = [
            func.percentile_disc(0.5).within_group(completed).label("p50"),
            func.percentile_disc(0.9).within_group(completed).label("p90"),
        ]
    else:
        _give_sqlite_nearest_ranks(session)
        percentiles = [func.nearest_ranks(completed).label("ranks")]
    query = select(
        key,
        func.count().label("instances"),
        *(
            func.sum(case((Record.outcome == outcome, 1), else_=0)).label(outcome)
            for outcome in ("met", "completed_late", "violated_open", "cancelled")
        ),
        func.max(Record.color).label("color"),
        *percentiles,
    ).where(*where)
    rows = [row._asdict() for row in session.execute(query.group_by(key) if grouped else query)]
    groups = []
    for row in sorted(rows, key=lambda r: (r["key"] is None, str(r["key"]))):
        if not row["instances"]:
            continue
        median, p90 = (
            json.loads(row["ranks"] or "[null, null]")
            if "ranks" in row
            else (
                row["p50"],
                row["p90"],
            )
        )
        groups.append(_group(row, median, p90))
    return groups


class _NearestRanks:
    """SQLite aggregate: the nearest-rank median and 90th percentile of its non-null values."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value: float | None) -> None:
        if value is not None:
            self.values.append(value)

    def finalize(self) -> str | None:
        values = sorted(self.values)
        n = len(values)
        if not n:
            return None
        return json.dumps([values[(n + 1) // 2 - 1], values[(9 * n + 9) // 10 - 1]])


def _give_sqlite_nearest_ranks(session: Session) -> None:
    connection = session.connection().connection.driver_connection
    connection.create_aggregate("nearest_ranks", 1, _NearestRanks)  # type: ignore[union-attr]


def _group(row: dict[str, Any], median: float | None, p90: float | None) -> dict[str, Any]:
    met, late, violated = (
        int(row[name] or 0) for name in ("met", "completed_late", "violated_open")
    )
    judged = met + late + violated
    return {
        "key": row["key"],
        "color": row["color"],
        "instances": int(row["instances"]),
        "met": met,
        "completed_late": late,
        "violated_open": violated,
        "cancelled": int(row["cancelled"] or 0),
        "met_rate": met / judged if judged else None,
        "median_time_to_complete": median,
        "p90_time_to_complete": p90,
    }


def _empty() -> dict[str, Any]:
    return _group(
        {
            "key": "total",
            "color": None,
            "instances": 0,
            "met": 0,
            "completed_late": 0,
            "violated_open": 0,
            "cancelled": 0,
        },
        None,
        None,
    )


FILTERS: dict[str, InstrumentedAttribute[Any]] = {
    "process": Record.process,
    "account_id": Record.account_id,
    "milestone_type": Record.milestone,
    "reporting_category": Record.reporting_category,
    "priority": Record.priority_at_end,
    "entitlement": Record.entitlement,
}


def _where(
    start: datetime, end: datetime, filters: dict[str, str | None]
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [Record.resolved_at >= start, Record.resolved_at < end]
    for name, value in filters.items():
        if value is not None:
            where.append(FILTERS[name] == value)
    return where


COLUMNS: dict[str, InstrumentedAttribute[Any]] = {
    "milestone_type": Record.milestone,
    "reporting_category": Record.reporting_category,
    "account": Record.account_id,
    "priority": Record.priority_at_end,
    "process": Record.process,
    "entitlement": Record.entitlement,
}


def _key(group_by: GroupBy, dialect: str) -> ColumnElement[Any]:
    column = COLUMNS.get(group_by)
    return column.expression if column is not None else _period(group_by, dialect)


def _period(group_by: str, dialect: str) -> ColumnElement[Any]:
    """The resolution day, the Monday of its ISO week, or its month, as text (UTC)."""
    at = Record.resolved_at
    if dialect == "postgresql":
        utc = func.timezone("UTC", at)
        if group_by == "week":
            return func.to_char(func.date_trunc("week", utc), "YYYY-MM-DD")
        return func.to_char(utc, "YYYY-MM-DD" if group_by == "day" else "YYYY-MM")
    # SQLite keeps UTC timestamps as text.
    if group_by == "week":
        return func.date(at, "-6 days", "weekday 1")
    return func.strftime("%Y-%m-%d" if group_by == "day" else "%Y-%m", at)


def _type_colors(session: Session, names: Sequence[str | None]) -> dict[str | None, str]:
    """Each milestone type's color as configured now (the global type first)."""
    keys = {name_key(name): name for name in names if name is not None}
    if not keys:
        return {}
    rows = session.execute(
        select(MilestoneTypeRecord.name_key, MilestoneTypeRecord.color)
        .where(MilestoneTypeRecord.name_key.in_(list(keys)))
        .order_by(MilestoneTypeRecord.scope != "global")
    )
    colors: dict[str | None, str] = {}
    for key, color in rows:
        colors.setdefault(keys[key], color)
    return colors


# ------------------------------------------------------------------------- accounts and risk


def account_milestones(
    session: Session, *, account_id: str, start: datetime, end: datetime
) -> Sequence[Record]:
    """The account's instances started in [start, end), in the order they started."""
    return session.scalars(
        select(Record)
        .where(Record.account_id == account_id, Record.started_at >= start, Record.started_at < end)
        .order_by(Record.started_at, Record.case_id, Record.milestone, Record.instance)
    ).all()


AtRiskKey = tuple[datetime | None, str, str, int]
"""Where an instance stands in the at-risk order: (target, case id, milestone, instance)."""


def at_risk(
    session: Session,
    *,
    account_id: str | None,
    process: str | None,
    limit: int,
    after: AtRiskKey | None = None,
) -> Sequence[Record]:
    """Open instances whose warning fired or that are violated, soonest target first (paused
    ones, which have none, last), then by case, milestone and instance. With `after`, the
    `AtRiskKey` of an instance already listed, only the instances that come after it."""
    where: list[ColumnElement[bool]] = [
        Record.state.in_(("active", "paused")),
        or_(Record.warned_at.is_not(None), Record.violated_at.is_not(None)),
    ]
    if account_id is not None:
        where.append(Record.account_id == account_id)
    if process is not None:
        where.append(Record.process == process)
    if after is not None:
        where.append(_after_at_risk(after))
    return session.scalars(
        select(Record)
        .where(and_(*where))
        .order_by(
            cast(Record.target_at.is_(None), Integer),
            Record.target_at,
            Record.case_id,
            Record.milestone,
            Record.instance,
        )
        .limit(limit)
    ).all()


def _after_at_risk(key: AtRiskKey) -> ColumnElement[bool]:
    """The instances after `key` in the at-risk order: a keyset seek (no OFFSET), so instances
    recorded while ops page through never shift a page. Spelled out column by column, not as a
    row-value comparison, since the target's NULLs (paused, listed last) need their own terms."""
    target_at, case_id, milestone, instance = key
    same_target_later = or_(
        Record.case_id > case_id,
        and_(
            Record.case_id == case_id,
            or_(
                Record.milestone > milestone,
                and_(Record.milestone == milestone, Record.instance > instance),
            ),
        ),
    )
    if target_at is None:
        return and_(Record.target_at.is_(None), same_target_later)
    return or_(
        Record.target_at.is_(None),
        Record.target_at > target_at,
        and_(Record.target_at == target_at, same_target_later),
    )


URGENT_FIRST = ("violated", "at_risk", "on_track", "paused")
"""The order of "My cases": violated, at risk, on track, paused; each by next deadline."""


@dataclass(frozen=True, slots=True)
class OpenCase:
    """An open case as "My cases" lists it."""

    case_id: str
    sla_state: str
    process: str
    account_id: str | None
    next_deadline: datetime | None


def open_cases(
    session: Session, *, owner: str | None, account_id: str | None, limit: int
) -> list[OpenCase]:
    """Open cases (no `closed_at` in their record) of an owner or an account, or all of them,
    each with its next deadline: the earliest target of its running (`active`) instances, a
    missed one included, as the case's `NextDeadline` search attribute has it. The most urgent
    first (`URGENT_FIRST`, then by next deadline), so `limit` keeps the ones that matter."""
    case_record = CaseRecordRow
    listed: list[ColumnElement[bool]] = [case_record.closed_at.is_(None)]
    if owner is not None:
        listed.append(case_record.owner == owner)
    if account_id is not None:
        listed.append(case_record.account_id == account_id)
    # One index seek per listed case (`ix_milestone_record_case_open`), never a pass over the
    # open instances of every case; wrapped so the ordering can name the result (PostgreSQL
    # takes no output name inside an ORDER BY expression).
    due = (
        select(func.min(Record.target_at))
        .where(
            Record.case_id == case_record.case_id,
            Record.state == "active",
            Record.target_at.is_not(None),
        )
        .correlate(case_record)
        .scalar_subquery()
    )
    listing = (
        select(
            case_record.case_id,
            case_record.sla_state,
            case_record.process,
            case_record.account_id,
            due.label("next_deadline"),
        )
        .where(*listed)
        .subquery()
    )
    urgency = case(
        *((listing.c.sla_state == state, rank) for rank, state in enumerate(URGENT_FIRST)),
        else_=len(URGENT_FIRST),
    )
    deadline = listing.c.next_deadline
    rows = session.execute(
        select(listing)
        .order_by(urgency, deadline.is_(None), deadline, listing.c.case_id)
        .limit(limit)
    )
    return [
        OpenCase(case_id, sla_state, process, account, _aware(at))
        for case_id, sla_state, process, account, at in rows
    ]


def _aware(instant: datetime | None) -> datetime | None:
    """MIN() over a UTC column comes back naive from SQLite."""
    return (
        instant.replace(tzinfo=UTC) if instant is not None and instant.tzinfo is None else instant
    )
