"""`/cases`: start a case's SLA clock, read its tracker and timeline, send it commands, and find
cases by SLA state. Every call goes to the case's `CaseSla` workflow through Temporal; commands
are updates, so a command the workflow refuses comes back with the workflow's reason verbatim
(409 when it conflicts with the case's state, 422 when its input is wrong)."""

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import AwareDatetime, BaseModel

from api import crud
from api.deps import AdminKey, AgentKey, CaseSystemKey, OpsKey, Services, ServicesDep, TemporalDep
from api.errors import InvalidInputError, NotFoundError
from api.routes.responses import errors
from api.schemas import (
    CaseCreate,
    CaseProcessChange,
    CasesPublic,
    LevelName,
    MilestoneCompletion,
    ProcessName,
)
from workflows.business_hours import BusinessHours
from workflows.clock import PUBLIC_HOLIDAY_YEARS
from workflows.contract import (
    ApplyProcess,
    CaseId,
    CaseTracker,
    Close,
    EntitlementProcess,
    MilestoneStatus,
    Pause,
    RecordEvent,
    SlaState,
    StartCase,
    TimelineEvent,
    UpdateCase,
)

router = APIRouter(prefix="/cases", tags=["cases"])
CasePath = Annotated[CaseId, Path()]
MilestoneName = Annotated[str, Path(min_length=1, max_length=100)]
TEMPORAL_ERRORS = (404, 409, 502, 503, 504)
MAX_PAST = timedelta(days=3653)


def _json(payload: bytes, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(content=payload, status_code=status_code, media_type="application/json")


def _payload(command: BaseModel) -> dict[str, Any]:
    return command.model_dump(mode="json")


def _calendars(
    services: Services, process: EntitlementProcess, year: int
) -> dict[str, BusinessHours]:
    """The calendars a process names, as stored now, with public holidays written out for the
    years a case may run (so a newer `holidays` package never moves its deadlines)."""
    with services.sessions() as session:
        stored = crud.calendars_named(session, process.calendar_names())
    return {
        name: crud.business_hours_of(stored[crud.name_key(name)]).with_public_holidays(
            year - 1, year + PUBLIC_HOLIDAY_YEARS
        )
        for name in process.calendar_names()
    }


def _version(services: Services, process_name: str, version: int | None) -> EntitlementProcess:
    with services.sessions() as session:
        process = crud.process_named(session, name=process_name)
        if process is None:
            raise InvalidInputError(
                f"unknown entitlement process {process_name!r}: create it under "
                "/entitlement-processes first",
                ("body", "process"),
            )
        try:
            published = crud.get_version(
                session,
                process=process,
                version=version or process.latest_version,
                cache=services.versions,
            )
        except NotFoundError as error:
            raise InvalidInputError(error.message, ("body", "version")) from None
    return published.definition


def _start_case(services: Services, body: CaseCreate, now: datetime) -> StartCase:
    process = _version(services, body.process, body.version)
    opened_at = body.opened_at or now
    return StartCase(
        case_id=body.case_id,
        fields=body.fields,
        opened_at=body.opened_at,
        process=process,
        calendars=_calendars(services, process, opened_at.year),
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CaseTracker,
    responses={
        **errors(*TEMPORAL_ERRORS),
        200: {"model": CaseTracker, "description": "The case was already started"},
    },
)
async def create_case(
    services: ServicesDep, cases: TemporalDep, _: CaseSystemKey, body: CaseCreate
) -> Response:
    """Start the case's SLA clock on the process version (default: the latest), pinning the
    version and its calendars. Idempotent on `case_id`: starting a case again answers 200 with
    the case as it is."""
    now = await services.clock()
    if body.opened_at is not None and body.opened_at > now:
        raise InvalidInputError(
            f"opened_at {body.opened_at.isoformat()} is in the future: give a past or present time",
            ("body", "opened_at"),
        )
    if body.opened_at is not None and body.opened_at < now - MAX_PAST:
        raise InvalidInputError(
            f"opened_at {body.opened_at.isoformat()} is more than 10 years ago",
            ("body", "opened_at"),
        )
    start = await run_in_threadpool(_start_case, services, body, now)
    tracker, created = await cases.start(start, now)
    return _json(tracker, status.HTTP_201_CREATED if created else status.HTTP_200_OK)


@router.get("", responses=errors(502, 503, 504))
async def read_cases(
    cases: TemporalDep,
    _: OpsKey,
    sla_state: SlaState | None = None,
    deadline_before: Annotated[AwareDatetime | None, Query()] = None,
    process: Annotated[ProcessName | None, Query()] = None,
    account_id: Annotated[LevelName | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> CasesPublic:
    """Cases by their search attributes (`SlaState`, `NextDeadline`, `EntitlementProcess`,
    `AccountId`), newest first; e.g. `?sla_state=at_risk` for the cases about to breach. The
    visibility store lags the cases by a moment."""
    data = await cases.list(
        sla_state=sla_state,
        deadline_before=deadline_before,
        process=process,
        account_id=account_id,
        limit=limit,
    )
    return CasesPublic(data=data, count=len(data))


@router.get("/{case_id}", response_model=CaseTracker, responses=errors(*TEMPORAL_ERRORS))
async def read_case(
    services: ServicesDep, cases: TemporalDep, _: OpsKey, case_id: CasePath
) -> Response:
    """The tracker: every milestone's countdown as of now."""
    return _json(await cases.tracker(case_id, await services.clock()))


@router.get(
    "/{case_id}/timeline",
    response_model=list[TimelineEvent],
    responses=errors(*TEMPORAL_ERRORS),
)
async def read_case_timeline(cases: TemporalDep, _: OpsKey, case_id: CasePath) -> Response:
    """What happened to the case's milestones, in order, with the instant of each."""
    return _json(await cases.timeline(case_id))


@router.patch("/{case_id}", response_model=CaseTracker, responses=errors(*TEMPORAL_ERRORS))
async def update_case(
    cases: TemporalDep, _: CaseSystemKey, case_id: CasePath, body: UpdateCase
) -> Response:
    """Changed case fields (null removes a field): targets, pauses and starts follow the
    process's rules."""
    return _json(await cases.command(case_id, "update_case", _payload(body)))


@router.post("/{case_id}/pause", response_model=CaseTracker, responses=errors(*TEMPORAL_ERRORS))
async def pause_case(cases: TemporalDep, _: AgentKey, case_id: CasePath, body: Pause) -> Response:
    """Stop every milestone clock of the case, with a reason, until it is resumed."""
    return _json(await cases.command(case_id, "pause", _payload(body)))


@router.post("/{case_id}/resume", response_model=CaseTracker, responses=errors(*TEMPORAL_ERRORS))
async def resume_case(cases: TemporalDep, _: AgentKey, case_id: CasePath) -> Response:
    return _json(await cases.command(case_id, "resume", None))


@router.post("/{case_id}/close", response_model=CaseTracker, responses=errors(*TEMPORAL_ERRORS))
async def close_case(
    cases: TemporalDep, _: CaseSystemKey, case_id: CasePath, body: Close | None = None
) -> Response:
    """Close the case: the last field changes (if any) apply first, then the process exits."""
    return _json(await cases.command(case_id, "close", _payload(body or Close())))


@router.post("/{case_id}/events", response_model=CaseTracker, responses=errors(*TEMPORAL_ERRORS))
async def record_case_event(
    cases: TemporalDep, _: CaseSystemKey, case_id: CasePath, body: RecordEvent
) -> Response:
    """A case event such as `agent_replied`: milestones that start or complete on it do."""
    return _json(await cases.command(case_id, "record_event", _payload(body)))


@router.post(
    "/{case_id}/milestones/{name}/complete",
    response_model=MilestoneStatus,
    responses=errors(*TEMPORAL_ERRORS),
)
async def complete_case_milestone(
    cases: TemporalDep,
    _: AgentKey,
    case_id: CasePath,
    name: MilestoneName,
    body: MilestoneCompletion | None = None,
) -> Response:
    """Complete the milestone's active instance, at `at` (default now): its outcome."""
    payload = {"name": name, "at": body.at.isoformat() if body and body.at else None}
    return _json(await cases.command(case_id, "complete_milestone", payload))


@router.post("/{case_id}/process", response_model=CaseTracker, responses=errors(*TEMPORAL_ERRORS))
async def change_case_process(
    services: ServicesDep,
    cases: TemporalDep,
    _: AdminKey,
    case_id: CasePath,
    body: CaseProcessChange,
) -> Response:
    """Move a running case to another version of its process: elapsed business time, pauses
    and breaches stay; targets follow the new version's rules."""
    name = await cases.process_of(case_id)
    process = await run_in_threadpool(_version, services, name, body.version)
    now = await services.clock()
    calendars = await run_in_threadpool(_calendars, services, process, now.year)
    command = ApplyProcess(process=process, calendars=calendars)
    return _json(await cases.command(case_id, "apply_process", _payload(command)))
