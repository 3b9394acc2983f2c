"""`/records`: the milestone records against the cases' workflows. `GET /records/check` compares
the records of open cases with their live trackers; `POST /records/rebuild` re-derives the records
from every case Temporal still holds (open and closed) and repairs them, idempotently."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import AdminKey, OpsKey
from api.crud import records
from api.deps import DatabaseDep, ServicesDep, TemporalDep
from api.errors import SlaError
from api.routes.responses import errors
from api.schemas import RecordsCheckPublic, RecordsRebuildPublic
from api.temporal import Cases
from workflows.contract import CaseTracker
from workflows.records import RecordBatch, differences, records_of
from workflows.values import Instant

router = APIRouter(prefix="/records", tags=["records"])
CONCURRENCY = 10
"""Cases read from Temporal at once."""


async def _each(case_ids: list[str], work: Callable[[str], Awaitable[None]]) -> list[str]:
    """Run `work` on every case, a few at a time; the cases it failed on, with why."""
    gate = asyncio.Semaphore(CONCURRENCY)
    failures: list[str] = []

    async def one(case_id: str) -> None:
        async with gate:
            try:
                await work(case_id)
            except SlaError as error:
                failures.append(f"{case_id}: {error.message}")

    await asyncio.gather(*(one(case_id) for case_id in case_ids))
    return sorted(failures)


async def _tracker(cases: Cases, case_id: str, as_of: datetime | None) -> CaseTracker:
    return await cases.tracker(case_id, as_of)


@router.get("/check", responses=errors(502, 503, 504))
async def check_records(
    services: ServicesDep, db: DatabaseDep, cases: TemporalDep, _: OpsKey
) -> RecordsCheckPublic:
    """Every open case's records against its live tracker: the differences, one line each (a
    write still on its way from the workflow shows here for a moment)."""
    case_ids = await cases.case_ids(running=True)
    found: list[str] = []

    async def check(case_id: str) -> None:
        tracker = await _tracker(cases, case_id, await services.clock())
        kept = await db.run(records.stored, case_id=case_id)
        found.extend(differences(records_of(tracker), kept, left_out=tracker.left_out is not None))

    failures = await _each(case_ids, check)
    return RecordsCheckPublic(
        cases=len(case_ids), differences=sorted(found), failures=failures, count=len(found)
    )


@router.post("/rebuild", responses=errors(502, 503, 504))
async def rebuild_records(
    db: DatabaseDep,
    cases: TemporalDep,
    _: AdminKey,
    since: Annotated[Instant | None, Query()] = None,
) -> RecordsRebuildPublic:
    """Re-derive the records of every case Temporal still holds, started since `since` (default:
    all), from its workflow, and write them over what is stored. Safe to run again."""
    case_ids = await cases.case_ids(running=False, since=since)
    written: list[int] = []

    async def rebuild(case_id: str) -> None:
        tracker = await _tracker(cases, case_id, None)
        case, milestones = records_of(tracker)
        batch = RecordBatch(revision=tracker.records_revision, case=case, milestones=milestones)
        await db.run(records.write, batch=batch)
        written.append(len(milestones))

    failures = await _each(case_ids, rebuild)
    return RecordsRebuildPublic(
        cases=len(written), milestones=sum(written), failures=failures, count=len(written)
    )
