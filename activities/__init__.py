"""Action handlers: one Temporal activity per handler name, each taking an `ActionRequest`.

`webhook`, `email`, `case_update` and `escalate` act; `delivery_failed` records that the workflow
gave up on an action; `write_records` stores a case's milestone records (`database.records`). An
action may be handed its task's record batch too: its handler writes it once it has acted, and
says whether it did (`ActionResult.records_written`), so the case needs no write of its own.

Every action handler consults the delivery log first (a key already delivered is not acted on
again) and records each attempt, so a retry after a crash delivers at most once more, and the
receiver can drop even that by the idempotency key. A result's `attempts` is the
log's count. A failure retrying cannot change (a refusal, a template or parameter that does not
work) is final at once. They are synchronous and run on the worker's thread pool.
"""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.case_system import escalate_case, update_case_system
from activities.delivery_log import AttemptInFlightError, DeliveryLog
from activities.http import failed, rejected
from activities.mail import send_email
from activities.settings import ActionSettings
from activities.webhook import deliver_webhook
from database.records import RecordStore
from workflows.contract import (
    ACTION_HANDLERS,
    CASE_UPDATE,
    DELIVERY_FAILED_HANDLER,
    EMAIL,
    ESCALATE,
    WEBHOOK,
    WRITE_RECORDS,
    ActionRequest,
    ActionResult,
    DeliveryFailure,
)
from workflows.records import RecordBatch

Handler = Callable[[ActionRequest, ActionSettings], str]
DEFAULT_LEASE = timedelta(minutes=1)
LEASE_MARGIN = timedelta(seconds=2)


class ActionHandlers:
    """The handlers, bound to one worker's settings."""

    def __init__(self, settings: ActionSettings | None = None) -> None:
        self.settings = settings or ActionSettings()
        self.log = DeliveryLog(self.settings.database_url)
        self.records = RecordStore(self.settings.database_url)

    def activities(self) -> list[Callable[..., Any]]:
        """Every action handler of `ACTION_HANDLERS` (each a method of its name), and the two
        activities of the case's bookkeeping."""
        handlers = [getattr(self, name) for name in ACTION_HANDLERS]
        return [*handlers, self.delivery_failed, self.write_records]

    @activity.defn(name=WEBHOOK)
    def webhook(self, request: ActionRequest) -> ActionResult:
        return self._run(request, deliver_webhook)

    @activity.defn(name=EMAIL)
    def email(self, request: ActionRequest) -> ActionResult:
        return self._run(request, send_email)

    @activity.defn(name=CASE_UPDATE)
    def case_update(self, request: ActionRequest) -> ActionResult:
        return self._run(request, update_case_system)

    @activity.defn(name=ESCALATE)
    def escalate(self, request: ActionRequest) -> ActionResult:
        return self._run(request, escalate_case)

    @activity.defn(name=DELIVERY_FAILED_HANDLER)
    def delivery_failed(self, failure: DeliveryFailure) -> int:
        """The workflow gave up on an action (retries exhausted): mark it failed for ops. The
        number of attempts the log holds, for the workflow to show."""
        return self.log.attempt_failed(failure.request, failure.error, final=True)

    @activity.defn(name=WRITE_RECORDS)
    def write_records(self, batch: RecordBatch) -> None:
        """Store a case's changed milestone records (a newer revision always wins)."""
        self.records.write(batch)

    def _run(self, request: ActionRequest, handler: Handler) -> ActionResult:
        result = self._act(request, handler)
        records = request.records
        if records is None:
            return result
        try:
            self.records.write(records)
        except Exception as error:  # the case writes the batch itself: nothing is lost
            activity.logger.warning("records of %s left to the case: %r", request.case_id, error)
            return result
        return result.model_copy(update={"records_written": True})

    def _act(self, request: ActionRequest, handler: Handler) -> ActionResult:
        # An attempt holds the action until Temporal would have given up on it, and a little.
        lease = (activity.info().start_to_close_timeout or DEFAULT_LEASE) + LEASE_MARGIN
        try:
            fresh = self.log.begin(request, lease)
        except AttemptInFlightError as busy:
            raise failed(str(busy)) from None
        if not fresh:
            activity.logger.info("already delivered: %s", request.idempotency_key)
            return ActionResult(
                status="delivered",
                attempts=self.log.attempts(request.idempotency_key),
                detail="already delivered",
            )
        try:
            detail = act(handler, request, self.settings)
        except ApplicationError as error:
            self.log.attempt_failed(request, str(error), final=error.non_retryable)
            raise
        except Exception as error:
            self.log.attempt_failed(request, repr(error), final=False)
            raise
        return ActionResult(status="delivered", attempts=self.log.delivered(request), detail=detail)


def act(handler: Handler, request: ActionRequest, settings: ActionSettings) -> str:
    """Run `handler`; an error the same request raises again on every retry is final."""
    try:
        return handler(request, settings)
    except (ValueError, TypeError, LookupError) as error:
        # Network, SMTP and database failures are OSError or library errors; these come from the
        # request itself (a template, a parameter of the wrong shape): retrying for hours would
        # only hide them.
        raise rejected(
            f"{request.handler} cannot act on this request ({type(error).__name__}: {error}): "
            "fix the action's params"
        ) from error
