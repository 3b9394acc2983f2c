"""The API's side of Temporal: a lazily connected client, and the case operations on it (start,
tracker and timeline queries, commands as updates, the visibility listing), with every Temporal
failure turned into an `SlaError` a caller can act on.

The client is created on first use, so configuration endpoints work while Temporal is down; case
endpoints then answer 503. The workflow is called by method reference (`CaseSlaWorkflow.pause`,
`.tracker`), so every payload and answer is the contract's model, checked by its one definition.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import (
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.workflow import UpdateMethodMultiParam

from api.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    SlaError,
    TemporalTimeoutError,
    TemporalUnavailableError,
)
from api.schemas import CaseSummary
from temporal_connection.client import TemporalSettings, connect
from workflows.case_sla import CaseSlaWorkflow
from workflows.contract import (
    COMMAND_INVALID,
    WORKFLOW_TYPE,
    CaseOutcome,
    CaseTracker,
    Command,
    CommandApplied,
    SlaState,
    TimelineEvent,
    case_workflow_id,
)
from workflows.opening import Opening
from workflows.search_attributes import (
    ACCOUNT_ID,
    CASE_ID,
    ENTITLEMENT_PROCESS,
    NEXT_DEADLINE,
    OWNER,
    PRIORITY,
    SLA_STATE,
)

Clock = Callable[[], Awaitable[datetime]]
C = TypeVar("C", bound=Command)
CaseHandle = WorkflowHandle[CaseSlaWorkflow, CaseOutcome]


async def system_clock() -> datetime:
    return datetime.now(UTC)


class TemporalGateway:
    """A Temporal client made on first use; after a failed attempt, callers get the failure for
    `retry_after` seconds instead of each waiting for a connection of their own."""

    def __init__(
        self,
        settings: TemporalSettings,
        *,
        client: Client | None = None,
        retry_after: float = 1.0,
        connect_timeout: float = 5.0,
    ) -> None:
        self.settings = settings
        self._client = client
        self._retry_after = retry_after
        self._connect_timeout = connect_timeout
        self._lock: asyncio.Lock | None = None
        self._failure: tuple[float, str] | None = None

    @property
    def task_queue(self) -> str:
        return self.settings.task_queue

    def unavailable(self, reason: str) -> TemporalUnavailableError:
        return TemporalUnavailableError(
            f"Temporal at {self.settings.address} (namespace {self.settings.namespace!r}) is "
            f"unreachable: {reason}. Configuration endpoints still work; cases need Temporal "
            "(`make run` starts a dev server)"
        )

    async def client(self) -> Client:
        if self._client is not None:
            return self._client
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._client is not None:
                return self._client
            failure = self._failure
            if failure is not None and time.monotonic() - failure[0] < self._retry_after:
                raise self.unavailable(failure[1])
            try:
                self._client = await asyncio.wait_for(
                    connect(self.settings), timeout=self._connect_timeout
                )
            except (TimeoutError, RuntimeError, RPCError, OSError) as error:
                reason = str(error) or "no answer within the connect timeout"
                self._failure = (time.monotonic(), reason)
                raise self.unavailable(reason) from None
            return self._client

    async def check(self, within: float = 2.0) -> str:
        """A description of Temporal's health; raises `TemporalUnavailableError` when down."""
        client = await self.client()
        try:
            await client.service_client.check_health(timeout=timedelta(seconds=within))
        except RPCError as error:
            if error.status != RPCStatusCode.UNIMPLEMENTED:  # the time-skipping test server
                raise self.unavailable(error.message) from None
        return f"{self.settings.address} namespace {self.settings.namespace!r}"


# --------------------------------------------------------------------------- error translation


def _rejection(cause: ApplicationError) -> SlaError:
    """The workflow's reason to refuse a command: a wrong request is 422, a command the case's
    state refuses now is 409."""
    if cause.type == COMMAND_INVALID:
        return InvalidInputError(cause.message)
    return ConflictError(cause.message)


class Cases:
    """Case operations on Temporal for one request; errors come out as `SlaError`s."""

    def __init__(self, gateway: TemporalGateway, timeout: float) -> None:
        self.gateway = gateway
        self.timeout = timedelta(seconds=timeout)

    async def _handle(self, case_id: str) -> CaseHandle:
        client = await self.gateway.client()
        return client.get_workflow_handle_for(CaseSlaWorkflow.run, case_workflow_id(case_id))

    @asynccontextmanager
    async def _translated(self, case_id: str, *, command: bool) -> AsyncIterator[None]:
        try:
            yield
        except WorkflowUpdateFailedError as error:
            cause = error.cause
            if isinstance(cause, ApplicationError):
                raise _rejection(cause) from None
            raise SlaError(f"the case's workflow failed the command: {cause}", 502) from None
        except WorkflowUpdateRPCTimeoutOrCancelledError:
            raise self._timeout() from None
        except WorkflowQueryFailedError as error:
            raise SlaError(f"the case's workflow could not answer: {error}", 502) from None
        except RPCError as error:
            raise await self._rpc_error(case_id, error, command=command) from None

    def _timeout(self) -> TemporalTimeoutError:
        return TemporalTimeoutError(
            f"no worker answered within {self.timeout.total_seconds():g} s: is a worker polling "
            f"task queue {self.gateway.task_queue!r}?"
        )

    async def _rpc_error(self, case_id: str, error: RPCError, *, command: bool) -> SlaError:
        if error.status == RPCStatusCode.NOT_FOUND:
            if command and await self._closed(case_id):
                return ConflictError(f"case {case_id!r} is closed")
            return NotFoundError(f"case {case_id!r} does not exist")
        if error.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
            return self._timeout()  # the call's deadline (the SDK reports some as cancelled)
        if error.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.UNKNOWN):
            return self.gateway.unavailable(error.message)
        if error.status == RPCStatusCode.INVALID_ARGUMENT:
            return InvalidInputError(f"Temporal refused the request: {error.message}")
        return SlaError(f"Temporal answered {error.status.name}: {error.message}", 502)

    async def _closed(self, case_id: str) -> bool:
        """Whether the case's workflow exists and has finished. Reads the raw description: its
        status is all we need, and decoding search attributes is not (the time-skipping test
        server returns ones the SDK cannot decode for a finished workflow)."""
        client = await self.gateway.client()
        request = DescribeWorkflowExecutionRequest(
            namespace=client.namespace,
            execution=WorkflowExecution(workflow_id=case_workflow_id(case_id)),
        )
        try:
            description = await client.workflow_service.describe_workflow_execution(
                request, timeout=self.timeout
            )
        except RPCError:
            return False
        return bool(
            description.workflow_execution_info.status
            != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
        )

    # ------------------------------------------------------------------------------ operations

    async def start(self, new: Opening, as_of: datetime) -> tuple[CaseTracker, bool]:
        """Start the case (or find it started) with the search attributes and the summary its
        starter knows (`workflows.opening`): its tracker and whether it is new."""
        start = new.start
        client = await self.gateway.client()
        created = True
        async with self._translated(start.case_id, command=False):
            try:
                await client.start_workflow(
                    CaseSlaWorkflow.run,
                    start,
                    id=case_workflow_id(start.case_id),
                    task_queue=self.gateway.task_queue,
                    id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                    # A closed case stays closed: starting it again finds it, not a new run.
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    search_attributes=new.search_attributes,
                    static_summary=new.summary,
                    rpc_timeout=self.timeout,
                )
            except WorkflowAlreadyStartedError:
                created = False
        return await self.tracker(start.case_id, as_of), created

    async def tracker(self, case_id: str, as_of: datetime | None = None) -> CaseTracker:
        handle = await self._handle(case_id)
        async with self._translated(case_id, command=False):
            return await handle.query(CaseSlaWorkflow.tracker, as_of, rpc_timeout=self.timeout)

    async def timeline(self, case_id: str) -> list[TimelineEvent]:
        handle = await self._handle(case_id)
        async with self._translated(case_id, command=False):
            return await handle.query(CaseSlaWorkflow.timeline, rpc_timeout=self.timeout)

    async def command(
        self, case_id: str, update: UpdateMethodMultiParam[[Any, C], CommandApplied], command: C
    ) -> CommandApplied:
        """Run a command (an update) on a case: what it changed, or the workflow's reason to
        refuse."""
        handle = await self._handle(case_id)
        async with self._translated(case_id, command=True):
            return await handle.execute_update(update, command, rpc_timeout=self.timeout)

    async def case_ids(self, *, running: bool, since: datetime | None = None) -> list[str]:
        """The ids of every case the visibility store knows: running ones only, or those started
        since `since` (whatever their status), oldest first."""
        clauses = [f"WorkflowType = '{WORKFLOW_TYPE}'"]
        if running:
            clauses.append("ExecutionStatus = 'Running'")
        if since is not None:
            clauses.append(f"StartTime >= '{_visibility_instant(since)}'")
        client = await self.gateway.client()
        async with self._translated("", command=False):
            found = [
                execution.id.removeprefix("case-")
                async for execution in client.list_workflows(
                    " AND ".join(clauses), rpc_timeout=self.timeout
                )
            ]
        return found[::-1]

    async def list(
        self,
        *,
        sla_state: str | None,
        deadline_before: datetime | None,
        process: str | None,
        account_id: str | None,
        owner: str | None = None,
        priority: str | None = None,
        limit: int,
    ) -> list[CaseSummary]:
        """Cases from the visibility store, most recently started first. Values were checked to
        hold no quotes (see `api.schemas.LevelName`), so they go into the query as literals."""
        clauses = [f"WorkflowType = '{WORKFLOW_TYPE}'"]
        if sla_state is not None:
            clauses.append(f"{SLA_STATE.name} = '{sla_state}'")
        if deadline_before is not None:
            clauses.append(f"{NEXT_DEADLINE.name} < '{_visibility_instant(deadline_before)}'")
        if process is not None:
            clauses.append(f"{ENTITLEMENT_PROCESS.name} = '{process}'")
        for key, value in ((ACCOUNT_ID, account_id), (OWNER, owner), (PRIORITY, priority)):
            if value is not None:
                clauses.append(f"{key.name} = '{value}'")
        client = await self.gateway.client()
        found: list[CaseSummary] = []
        async with self._translated("", command=False):
            async for execution in client.list_workflows(
                " AND ".join(clauses), limit=limit, rpc_timeout=self.timeout
            ):
                attributes = execution.typed_search_attributes
                status = execution.status
                found.append(
                    CaseSummary(
                        case_id=attributes.get(CASE_ID) or execution.id.removeprefix("case-"),
                        workflow_id=execution.id,
                        status=status.name.lower() if status is not None else "unknown",
                        sla_state=cast(SlaState | None, attributes.get(SLA_STATE)),
                        next_deadline=attributes.get(NEXT_DEADLINE),
                        process=attributes.get(ENTITLEMENT_PROCESS),
                        priority=attributes.get(PRIORITY),
                        account_id=attributes.get(ACCOUNT_ID),
                        owner=attributes.get(OWNER),
                        started_at=execution.start_time,
                        closed_at=execution.close_time,
                    )
                )
        return found


def _visibility_instant(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
