"""`/cases`: start a case's SLA clock, read its tracker and timeline, send it commands, and find
cases by SLA state. Every call goes to the case's `CaseSla` workflow through Temporal; commands
are updates, so a command the workflow refuses comes back with the workflow's reason verbatim
(409 when it conflicts with the case's state, 422 when its input is wrong)."""

from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, TypeAdapter
from temporalio.workflow import UpdateMethodMultiParam

from api.auth import AdminKey, AgentKey, CaseReaderKey, CaseSystemKey
from api.crud.cases import case_start, process_change
from api.crud.deliveries import attempts_so_far
from api.crud.entitlements import cover_case
from api.crud.records import write as write_records
from api.deps import DatabaseDep, ServicesDep, TemporalDep
from api.errors import ConflictError, InvalidInputError
from api.routes.responses import errors
from api.schemas import (
    CaseCreate,
    CaseProcessChange,
    CasesPublic,
    CommandAnswer,
    LevelName,
    MilestoneCompletion,
    ProcessName,
)
from workflows.case_sla import CaseSlaWorkflow
from workflows.clock import check_opened_at
from workflows.contract import (
    CaseId,
    CaseTracker,
    Close,
    Command,
    CommandApplied,
    CommandInvalidError,
    CompleteMilestone,
    Pause,
    RecordEvent,
    Resume,
    SlaState,
    StartCase,
    TimelineEvent,
    UpdateCase,
)
from workflows.opening import Opening, opening
from workflows.values import Instant

router = APIRouter(prefix="/cases", tags=["cases"])
C = TypeVar("C", bound=Command)
CasePath = Annotated[CaseId, Path()]
MilestoneName = Annotated[str, Path(min_length=1, max_length=100)]
TEMPORAL_ERRORS = (404, 409, 502, 503, 504)
TIMELINE: TypeAdapter[list[TimelineEvent]] = TypeAdapter(list[TimelineEvent])


async def _attempted(db: DatabaseDep, tracker: CaseTracker) -> CaseTracker:
    """The tracker with what the delivery log knows of actions still retrying (the workflow
    learns of their attempts only when the retries end)."""
    if any(a.status == "running" for m in tracker.milestones for a in m.actions):
        return await db.run(attempts_so_far, tracker=tracker)
    return tracker


async def _tracked(
    db: DatabaseDep, tracker: CaseTracker, status_code: int = status.HTTP_200_OK
) -> Response:
    """The tracker as the answer, with the attempts of actions still retrying."""
    return _json(await _attempted(db, tracker), status_code)


def _json(answer: BaseModel, status_code: int = status.HTTP_200_OK) -> Response:
    """The answer as JSON, without FastAPI validating a model the workflow already built."""
    return Response(
        content=answer.model_dump_json(), status_code=status_code, media_type="application/json"
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
    services: ServicesDep, db: DatabaseDep, cases: TemporalDep, _: CaseSystemKey, body: CaseCreate
) -> Response:
    """Start the case's SLA clock, pinning its process version and calendars. The process is
    the one named (its latest version unless `version` says), the named entitlement's, or,
    with neither, the one of the account's entitlement that applies (else a default
    entitlement's; else the case starts with no milestones, and its tracker says why; two
    entitlements that tie are a 409). An entitlement with an allowance counts the case once;
    once used up it refuses the case (409) or starts it flagged (`entitlement.over_allowance`).

    Idempotent on `case_id`: starting a case again answers 200 with the case as it is (and
    counts nothing again), or 409 when the request names another process, entitlement or
    opening instant."""
    now = await services.clock()
    if body.opened_at is not None:
        try:
            check_opened_at(body.opened_at, now)  # before any work: the clock checks it again
        except CommandInvalidError as error:
            raise InvalidInputError(str(error), ("body", "opened_at")) from None
    chosen = await db.run(case_start, body=body, now=now, cache=services.versions)
    new = _opening(chosen.start, now)
    if chosen.allowance is not None:
        entitlement_id, entitlement = chosen.allowance
        coverage = await db.write(cover_case, entitlement_id=entitlement_id, case_id=body.case_id)
        if coverage == "refused":
            raise ConflictError(
                f"entitlement {entitlement.name!r} has used all {entitlement.cases_allowed} of "
                "its cases, and refuses more: raise cases_allowed, or start the case on "
                "another entitlement or process"
            )
        if coverage == "over_allowance":
            assert chosen.start.entitlement is not None
            flagged = chosen.start.entitlement.model_copy(update={"over_allowance": True})
            new = _opening(chosen.start.model_copy(update={"entitlement": flagged}), now)
    tracker, created = await cases.start(new, now)
    if created:
        await db.run(write_records, batch=new.records)
    if not created and (differences := _differences(body, tracker)):
        raise ConflictError(
            f"case {body.case_id!r} already exists with {' and '.join(differences)}: "
            "a retry must name the same process and opening; a new case needs a new case_id"
        )
    return await _tracked(db, tracker, status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def _opening(start: StartCase, now: datetime) -> Opening:
    try:
        return opening(start, now)
    except (ValueError, ArithmeticError) as error:  # refused here, never a workflow that fails
        raise InvalidInputError(f"the case cannot start: {error}") from None


def _differences(body: CaseCreate, case: CaseTracker) -> list[str]:
    """What a start request names that the existing case does not have."""
    found = []
    if body.process is not None and body.process.casefold() != case.process.casefold():
        found.append(f"process {case.process!r} (this request names {body.process!r})")
    named = case.entitlement.name if case.entitlement is not None else None
    if body.entitlement is not None and body.entitlement.casefold() != (named or "").casefold():
        found.append(f"entitlement {named!r} (this request names {body.entitlement!r})")
    if body.opened_at is not None and body.opened_at != case.opened_at:
        found.append(
            f"opened_at {case.opened_at.isoformat()} "
            f"(this request names {body.opened_at.isoformat()})"
        )
    return found


@router.get("", responses=errors(502, 503, 504))
async def read_cases(
    cases: TemporalDep,
    _: CaseReaderKey,
    sla_state: SlaState | None = None,
    deadline_before: Annotated[Instant | None, Query()] = None,
    process: Annotated[ProcessName | None, Query()] = None,
    account_id: Annotated[LevelName | None, Query()] = None,
    owner: Annotated[LevelName | None, Query()] = None,
    priority: Annotated[LevelName | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> CasesPublic:
    """Cases by their search attributes (`SlaState`, `NextDeadline`, `EntitlementProcess`,
    `AccountId`, `Owner`, `Priority`), newest first; e.g. `?sla_state=at_risk` for the cases
    about to breach. The visibility store lags the cases by a moment."""
    data = await cases.list(
        sla_state=sla_state,
        deadline_before=deadline_before,
        process=process,
        account_id=account_id,
        owner=owner,
        priority=priority,
        limit=limit,
    )
    return CasesPublic(data=data, count=len(data))


@router.get("/{case_id}", response_model=CaseTracker, responses=errors(*TEMPORAL_ERRORS))
async def read_case(
    services: ServicesDep, db: DatabaseDep, cases: TemporalDep, _: CaseReaderKey, case_id: CasePath
) -> Response:
    """The tracker: every milestone's countdown as of now, with the attempts and last error of
    each action still retrying."""
    return await _tracked(db, await cases.tracker(case_id, await services.clock()))


@router.get(
    "/{case_id}/timeline",
    response_model=list[TimelineEvent],
    responses=errors(*TEMPORAL_ERRORS),
)
async def read_case_timeline(cases: TemporalDep, _: CaseReaderKey, case_id: CasePath) -> Response:
    """What happened to the case's milestones, in order, with the instant of each."""
    events = await cases.timeline(case_id)
    return Response(content=TIMELINE.dump_json(events), media_type="application/json")


async def _commanded(
    services: ServicesDep,
    db: DatabaseDep,
    cases: TemporalDep,
    case_id: str,
    update: UpdateMethodMultiParam[[Any, C], CommandApplied],
    command: C,
    tracker: bool,
) -> Response:
    """Run a command: the workflow's own answer (what changed, the SLA state and the next
    deadline), and the case's tracker as of now only when the caller asked for it (a query,
    one more call to Temporal)."""
    applied = await cases.command(case_id, update, command)
    now = await services.clock() if tracker else None
    case = await _attempted(db, await cases.tracker(case_id, now)) if now is not None else None
    return _json(CommandAnswer.model_construct(**dict(applied), tracker=case))


WithTracker = Annotated[
    bool,
    Query(
        description="Also answer the case's tracker as of now (one more call to Temporal): "
        "the command's own answer says what changed, the SLA state and the next deadline."
    ),
]


@router.patch("/{case_id}", response_model=CommandAnswer, responses=errors(*TEMPORAL_ERRORS))
async def update_case(
    services: ServicesDep,
    db: DatabaseDep,
    cases: TemporalDep,
    _: CaseSystemKey,
    case_id: CasePath,
    body: UpdateCase,
    tracker: WithTracker = False,
) -> Response:
    """Changed case fields (null removes a field): targets, pauses and starts follow the
    process's rules."""
    return await _commanded(
        services, db, cases, case_id, CaseSlaWorkflow.update_case, body, tracker
    )


@router.post("/{case_id}/pause", response_model=CommandAnswer, responses=errors(*TEMPORAL_ERRORS))
async def pause_case(
    services: ServicesDep,
    db: DatabaseDep,
    cases: TemporalDep,
    _: AgentKey,
    case_id: CasePath,
    body: Pause,
    tracker: WithTracker = False,
) -> Response:
    """Stop every milestone clock of the case, with a reason, until it is resumed."""
    return await _commanded(services, db, cases, case_id, CaseSlaWorkflow.pause, body, tracker)


@router.post("/{case_id}/resume", response_model=CommandAnswer, responses=errors(*TEMPORAL_ERRORS))
async def resume_case(
    services: ServicesDep,
    db: DatabaseDep,
    cases: TemporalDep,
    _: AgentKey,
    case_id: CasePath,
    body: Resume | None = None,
    tracker: WithTracker = False,
) -> Response:
    """Start the case's clocks again after a pause."""
    command = body or Resume()
    return await _commanded(services, db, cases, case_id, CaseSlaWorkflow.resume, command, tracker)


@router.post("/{case_id}/close", response_model=CommandAnswer, responses=errors(*TEMPORAL_ERRORS))
async def close_case(
    services: ServicesDep,
    db: DatabaseDep,
    cases: TemporalDep,
    _: CaseSystemKey,
    case_id: CasePath,
    body: Close | None = None,
    tracker: WithTracker = False,
) -> Response:
    """Close the case: the last field changes (if any) apply first, then the process exits."""
    command = body or Close()
    return await _commanded(services, db, cases, case_id, CaseSlaWorkflow.close, command, tracker)


@router.post("/{case_id}/events", response_model=CommandAnswer, responses=errors(*TEMPORAL_ERRORS))
async def record_case_event(
    services: ServicesDep,
    db: DatabaseDep,
    cases: TemporalDep,
    _: CaseSystemKey,
    case_id: CasePath,
    body: RecordEvent,
    tracker: WithTracker = False,
) -> Response:
    """A case event such as `agent_replied`: milestones that start or complete on it do."""
    return await _commanded(
        services, db, cases, case_id, CaseSlaWorkflow.record_event, body, tracker
    )


@router.post(
    "/{case_id}/milestones/{name}/complete",
    response_model=CommandAnswer,
    responses=errors(*TEMPORAL_ERRORS),
)
async def complete_case_milestone(
    services: ServicesDep,
    db: DatabaseDep,
    cases: TemporalDep,
    _: AgentKey,
    case_id: CasePath,
    name: MilestoneName,
    body: MilestoneCompletion | None = None,
    tracker: WithTracker = False,
) -> Response:
    """Complete the milestone's active instance, at `at` (default now): the instance it
    completed (`milestone`, `instance`) and whether late (`completed_late`)."""
    command = CompleteMilestone(milestone=name, at=body.at if body else None)
    update = CaseSlaWorkflow.complete_milestone
    return await _commanded(services, db, cases, case_id, update, command, tracker)


@router.post("/{case_id}/process", response_model=CommandAnswer, responses=errors(*TEMPORAL_ERRORS))
async def change_case_process(
    services: ServicesDep,
    db: DatabaseDep,
    cases: TemporalDep,
    _: AdminKey,
    case_id: CasePath,
    body: CaseProcessChange,
    tracker: WithTracker = False,
) -> Response:
    """Move a running case to another version of its process: elapsed business time, pauses
    and breaches stay; targets follow the new version's rules."""
    case = await cases.tracker(case_id)
    command = await db.run(
        process_change,
        process=case.process,
        version=body.version,
        opened_at=case.opened_at,
        at=body.at,
        entitlement=case.entitlement,
        cache=services.versions,
    )
    return await _commanded(
        services, db, cases, case_id, CaseSlaWorkflow.apply_process, command, tracker
    )
