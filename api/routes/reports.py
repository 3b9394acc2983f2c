"""`/reports` and `/accounts/{account_id}/milestones`: SLA compliance by group and period (JSON or
CSV), the open milestones at risk, and an account's milestones over time (Gainsight's engagement
graph), all read from the milestone records, so they outlive Temporal's retention."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Response
from sqlalchemy.orm import Session

from api.auth import OpsKey
from api.crud import reports
from api.crud.reports import GroupBy
from api.deps import DatabaseDep, ServicesDep
from api.errors import InvalidInputError
from api.routes.responses import errors
from api.schemas import (
    AtRiskListPublic,
    AtRiskPublic,
    ComplianceFigures,
    ComplianceGroup,
    ComplianceReport,
    LevelName,
    MilestoneRecordPublic,
    MilestoneRecordsPublic,
    ProcessName,
)
from api.spreadsheets import csv_text
from workflows.values import Instant, Label

router = APIRouter(tags=["reports"])
DEFAULT_SPAN = timedelta(days=30)
MAX_SPAN = timedelta(days=3660)
CSV_COLUMNS = ("key", "color", *ComplianceFigures.model_fields)


def _period(
    start: datetime | None, end: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    end = end or now
    start = start or end - DEFAULT_SPAN
    if start >= end:
        raise InvalidInputError("'from' must be before 'to'", ("query", "from"))
    if end - start > MAX_SPAN:
        raise InvalidInputError("a report spans at most ten years", ("query", "from"))
    return start, end


@dataclass(frozen=True)
class ComplianceQuery:
    """What a compliance report is asked for: the grouping, the period and the filters."""

    group_by: GroupBy
    start: datetime | None
    end: datetime | None
    filters: dict[str, str | None]


def compliance_query(
    group_by: GroupBy = "milestone_type",
    start: Annotated[Instant | None, Query(alias="from")] = None,
    end: Annotated[Instant | None, Query(alias="to")] = None,
    process: Annotated[ProcessName | None, Query()] = None,
    account_id: Annotated[LevelName | None, Query()] = None,
    milestone_type: Annotated[Label | None, Query()] = None,
    reporting_category: Annotated[Label | None, Query()] = None,
    priority: Annotated[Label | None, Query()] = None,
    entitlement: Annotated[ProcessName | None, Query()] = None,
) -> ComplianceQuery:
    filters = {
        "process": process,
        "account_id": account_id,
        "milestone_type": milestone_type,
        "reporting_category": reporting_category,
        "priority": priority,
        "entitlement": entitlement,
    }
    return ComplianceQuery(group_by, start, end, filters)


ComplianceQueryDep = Annotated[ComplianceQuery, Depends(compliance_query)]


async def _compliance(
    services: ServicesDep, db: DatabaseDep, query: ComplianceQuery
) -> ComplianceReport:
    start, end = _period(query.start, query.end, await services.clock())

    def read(session: Session) -> ComplianceReport:
        groups, total = reports.compliance(
            session, start=start, end=end, group_by=query.group_by, filters=query.filters
        )
        return ComplianceReport(
            start=start,
            end=end,
            group_by=query.group_by,
            groups=[ComplianceGroup(**group) for group in groups],
            total=ComplianceFigures(**total),
        )

    return await db.run(read)


def _csv(report: ComplianceReport) -> Response:
    rows = [group.model_dump() for group in report.groups]
    rows.append({"key": "total", **report.total.model_dump()})
    return Response(
        content=csv_text(CSV_COLUMNS, rows),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="compliance.csv"'},
    )


@router.get(
    "/reports/compliance",
    response_model=ComplianceReport,
    responses={
        **errors(),
        200: {"content": {"text/csv": {}}, "description": "The report (CSV on Accept: text/csv)"},
    },
)
async def read_compliance(
    services: ServicesDep,
    db: DatabaseDep,
    _: OpsKey,
    query: ComplianceQueryDep,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """SLA compliance of the milestone instances resolved in [from, to) (default: the last 30
    days), per group: met, completed late, violated and never completed, cancelled, the met rate
    and the business time to complete. `Accept: text/csv` answers CSV."""
    report = await _compliance(services, db, query)
    if accept is not None and "text/csv" in accept:
        return _csv(report)
    return Response(content=report.model_dump_json(by_alias=True), media_type="application/json")


@router.get(
    "/reports/compliance.csv",
    response_class=Response,
    responses={**errors(), 200: {"content": {"text/csv": {}}, "description": "The report"}},
)
async def read_compliance_csv(
    services: ServicesDep, db: DatabaseDep, _: OpsKey, query: ComplianceQueryDep
) -> Response:
    """The compliance report as CSV, for spreadsheets: one row a group, then `total`."""
    return _csv(await _compliance(services, db, query))


@router.get("/reports/at-risk", responses=errors())
async def read_at_risk(
    services: ServicesDep,
    db: DatabaseDep,
    _: OpsKey,
    account_id: Annotated[LevelName | None, Query()] = None,
    process: Annotated[ProcessName | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AtRiskListPublic:
    """Open milestone instances whose warning fired or that are violated, the soonest target
    first, with the calendar time left (negative: overdue)."""
    now = await services.clock()

    def read(session: Session) -> AtRiskListPublic:
        rows = reports.at_risk(session, account_id=account_id, process=process, limit=limit)
        data = [
            AtRiskPublic(
                **MilestoneRecordPublic.model_validate(row).model_dump(),
                remaining_seconds=None
                if row.target_at is None
                else (row.target_at - now).total_seconds(),
            )
            for row in rows
        ]
        return AtRiskListPublic(as_of=now, data=data, count=len(data))

    return await db.run(read)


@router.get("/accounts/{account_id}/milestones", responses=errors())
async def read_account_milestones(
    services: ServicesDep,
    db: DatabaseDep,
    _: OpsKey,
    account_id: Annotated[LevelName, Path()],
    start: Annotated[Instant | None, Query(alias="from")] = None,
    end: Annotated[Instant | None, Query(alias="to")] = None,
) -> MilestoneRecordsPublic:
    """The account's milestone instances that started in [from, to) (default: the last 30
    days), each with its type's color and its outcome: the data of an engagement graph."""
    start, end = _period(start, end, await services.clock())

    def read(session: Session) -> MilestoneRecordsPublic:
        rows = reports.account_milestones(session, account_id=account_id, start=start, end=end)
        data = [MilestoneRecordPublic.model_validate(row) for row in rows]
        return MilestoneRecordsPublic(data=data, count=len(data))

    return await db.run(read)
