"""How the case workflow runs an action: the activity, its timeouts and its retries.

Each action handler (`webhook`, `email`, `case_update`, `escalate`, or one of your own) is an
activity of that name taking an `ActionRequest`. An action first runs as a *local* activity: most
deliveries succeed at once, and a local activity costs one history event and no extra workflow
task. If that attempt fails with a retryable error, the action continues as a regular activity
with exponential backoff until its expiry (`Action.expires_after`, else the handler's default),
so a receiver that is down for hours still gets it once it is back. A handler that reports a
non-retryable failure (an HTTP 4xx other than 408/429, a bad address) is not retried.

Exactly once: every attempt carries the same idempotency key; the activities consult their
delivery log before acting, and receivers can deduplicate on the key.

Runs inside the workflow sandbox: only Temporal's workflow APIs, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, FailureError

from workflows.contract import (
    ACTION_HANDLERS,
    CASE_UPDATE,
    DELIVERY_FAILED_HANDLER,
    DELIVERY_REJECTED,
    EMAIL,
    ESCALATE,
    WEBHOOK,
    ActionRequest,
    ActionResult,
    DeliveryFailure,
    RecordBatch,
    unknown_handler,
)

NON_RETRYABLE = (DELIVERY_REJECTED,)
"""ApplicationError types a handler raises when retrying cannot help."""


@dataclass(frozen=True, slots=True)
class HandlerPolicy:
    """Timeouts and retries of one handler."""

    attempt_timeout: timedelta
    """How long one attempt may take (an HTTP request, an SMTP session)."""
    expires_after: timedelta
    """How long retries go on before the delivery is recorded as failed."""
    first_retry: timedelta = timedelta(seconds=1)
    max_retry_interval: timedelta = timedelta(minutes=10)


DEFAULT_POLICY = HandlerPolicy(
    attempt_timeout=timedelta(seconds=30), expires_after=timedelta(hours=24)
)
POLICIES: dict[str, HandlerPolicy] = {
    # A warning or violation that arrives a day late is worse than useless noise: stop after 6 h.
    WEBHOOK: HandlerPolicy(attempt_timeout=timedelta(seconds=15), expires_after=timedelta(hours=6)),
    EMAIL: HandlerPolicy(attempt_timeout=timedelta(seconds=60), expires_after=timedelta(hours=6)),
    CASE_UPDATE: HandlerPolicy(
        attempt_timeout=timedelta(seconds=15), expires_after=timedelta(hours=24)
    ),
    ESCALATE: HandlerPolicy(
        attempt_timeout=timedelta(seconds=15), expires_after=timedelta(hours=24)
    ),
}
# The local attempt is short so a slow receiver never holds up the case's commands for long.
LOCAL_ATTEMPT_TIMEOUT = timedelta(seconds=10)
UNKNOWN_HANDLER_FAILS = "unknown-handler-fails"
"""Marks a case that records an action naming no handler as failed for good (before, the SDK
refused to schedule it and the action stayed "running")."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """The outcome of running one action."""

    delivered: bool
    attempts: int
    error: str | None = None
    records_written: bool = False
    """Whether its local attempt also wrote the record batch it was handed."""


async def deliver(
    request: ActionRequest, expires_after: timedelta | None, records: RecordBatch | None = None
) -> Delivery:
    """Run `request` with its handler: a local attempt, then durable retries if needed. An
    action naming no handler (planted past publishing's check) fails for good at once, in the
    delivery log too. `records`, the batch of the task that made the action due, rides with the
    local attempt: its handler writes it once it has acted (`Delivery.records_written`); a
    retry carries none, the case then writes the batch itself."""
    if request.handler not in ACTION_HANDLERS and workflow.patched(UNKNOWN_HANDLER_FAILS):
        error = unknown_handler(request.handler)
        return Delivery(
            delivered=False, attempts=await _record_failure(request, error), error=error
        )
    policy = POLICIES.get(request.handler, DEFAULT_POLICY)
    try:
        result = await workflow.execute_local_activity(
            request.handler,
            request if records is None else request.model_copy(update={"records": records}),
            result_type=ActionResult,
            start_to_close_timeout=min(policy.attempt_timeout, LOCAL_ATTEMPT_TIMEOUT),
            retry_policy=RetryPolicy(maximum_attempts=1),
            summary=summary_of(request),
        )
        return Delivery(
            delivered=True, attempts=result.attempts, records_written=result.records_written
        )
    except FailureError as local_failure:  # local activities raise the handler's error itself
        if _non_retryable(local_failure):
            return Delivery(delivered=False, attempts=1, error=_message(local_failure))
    try:
        result = await workflow.execute_activity(
            request.handler,
            request,
            result_type=ActionResult,
            start_to_close_timeout=policy.attempt_timeout,
            schedule_to_close_timeout=expires_after or policy.expires_after,
            retry_policy=RetryPolicy(
                initial_interval=policy.first_retry,
                backoff_coefficient=2.0,
                maximum_interval=policy.max_retry_interval,
                non_retryable_error_types=list(NON_RETRYABLE),
            ),
            summary=summary_of(request),
        )
        # The handlers count every attempt in the delivery log, the local one included.
        return Delivery(delivered=True, attempts=result.attempts)
    except FailureError as failure:
        error = _message(failure)
        attempts = await _record_failure(request, error)
        return Delivery(delivered=False, attempts=attempts, error=error)


def summary_of(request: ActionRequest) -> str:
    """What the Temporal UI shows beside the action's marker or activity."""
    return (
        f"{request.milestone} #{request.instance} {request.kind} level {request.n}"
        f" by {request.handler}, key {request.idempotency_key}"
    )


async def _record_failure(request: ActionRequest, error: str) -> int:
    """Tell the delivery log the workflow gave up: the attempts the log counted (0 when it
    could not be told; best effort, the tracker has the failure anyway)."""
    try:
        attempts = await workflow.execute_local_activity(
            DELIVERY_FAILED_HANDLER,
            DeliveryFailure(request=request, error=error),
            result_type=int,
            start_to_close_timeout=LOCAL_ATTEMPT_TIMEOUT,
            retry_policy=RetryPolicy(maximum_attempts=3),
            summary=f"failed: {request.idempotency_key}",
        )
    except FailureError as failure:
        workflow.logger.warning(
            "could not record failure of %s: %s", request.idempotency_key, failure
        )
        return 0
    return attempts if isinstance(attempts, int) else 0


def _cause(failure: FailureError) -> BaseException:
    return (failure.cause or failure) if isinstance(failure, ActivityError) else failure


def _non_retryable(failure: FailureError) -> bool:
    cause = _cause(failure)
    return isinstance(cause, ApplicationError) and (
        cause.non_retryable or cause.type in NON_RETRYABLE
    )


def _message(failure: FailureError) -> str:
    return str(_cause(failure))
