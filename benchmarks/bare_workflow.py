"""The bare comparison workflow of `benchmarks/throughput.py`.

What a hand-written workflow without the milestone engine would do for a case whose milestones
have only violation actions: sleep until each due instant (`started_at + target`), run the
action, end. It runs the same activity as the case workflow, with the same `ActionRequest`, and in
the same way: by default through `workflows.delivery.deliver` (a local activity first, as the case
does); with `regular=True` as a plain `workflow.execute_activity`, the usual hand-written choice.
With `like_case=True` it also does the two things a case does beyond its actions: it writes a
milestone record after each action and a last one at the end (`workflows.recording`, the case's
own writer), and it ends only when a `close` update comes, not by itself.

It lives in its own module because workflows are re-imported inside the Temporal sandbox.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.contract import WEBHOOK, ActionRequest, ActionResult
    from workflows.delivery import deliver
    from workflows.recording import write_records
    from workflows.records import CaseRecord, MilestoneRecord, RecordBatch

BARE_WORKFLOW_TYPE = "BareMilestones"


class BareCase(BaseModel):
    """Input of the bare workflow: due instants are `started_at + target`, in order."""

    case_id: str
    targets: list[timedelta]
    started_at: datetime | None = None
    """When the starter sent the start request, as a case's starter sets its `opened_at`
    (`workflows.opening`): time spent waiting for the first workflow task counts. Default: the
    first task's instant."""
    handler: str = WEBHOOK
    regular: bool = False
    """Run each action as a regular activity instead of the case's local-first delivery."""
    like_case: bool = False
    """Write milestone records as the case does, and end by a `close` update."""


@workflow.defn(name=BARE_WORKFLOW_TYPE)
class BareWorkflow:
    def __init__(self) -> None:
        self._closed = False

    @workflow.run
    async def run(self, case: BareCase) -> int:
        started = case.started_at or workflow.now()
        for n, target in enumerate(case.targets, start=1):
            due = started + target
            # Like the case: no timer for an instant that has already come.
            if due > workflow.now():
                await workflow.sleep(due - workflow.now())
            request = ActionRequest(
                idempotency_key=f"{case.case_id}/M{n}/1/violation/1",
                case_id=case.case_id,
                milestone=f"M{n}",
                instance=1,
                kind="violation",
                n=1,
                handler=case.handler,
                params={},
                due_at=due,
                target_at=due,
                case_fields={},
                process="Bare",
                process_version=1,
            )
            batch = _record(case, started, n, target, closed=False) if case.like_case else None
            written = False
            if case.regular:
                await workflow.execute_activity(
                    case.handler,
                    request,
                    result_type=ActionResult,
                    start_to_close_timeout=timedelta(seconds=10),
                    retry_policy=RetryPolicy(maximum_attempts=1),
                )
            else:  # like the case: the records ride with the action
                written = (await deliver(request, None, batch)).records_written
            if batch is not None and not written:
                await write_records(batch)
        if case.like_case:
            await workflow.wait_condition(lambda: self._closed)
            last = len(case.targets)
            await write_records(_record(case, started, last, case.targets[-1], closed=True))
        return len(case.targets)

    @workflow.update(name="close")
    def close(self) -> str:
        """End the workflow (`like_case`): the case's `close`, answered in a word."""
        self._closed = True
        return "closed"


def _record(
    case: BareCase, started: datetime, n: int, target: timedelta, closed: bool
) -> RecordBatch:
    """Milestone `n` violated (and the case closed): the case's records, written by hand."""
    now = workflow.now()
    return RecordBatch(
        revision=n + closed,
        case=CaseRecord(
            case_id=case.case_id,
            account_id=None,
            process="Bare",
            process_version=1,
            opened_at=started,
            closed_at=now if closed else None,
            sla_state="done" if closed else "violated",
            breached=True,
            as_of=now,
        ),
        milestones=[
            MilestoneRecord(
                case_id=case.case_id,
                milestone=f"M{n}",
                instance=1,
                account_id=None,
                process="Bare",
                process_version=1,
                reporting_category=None,
                color="#D62728",
                priority_at_start=None,
                priority_at_end=None,
                state="cancelled" if closed else "active",
                started_at=started,
                target_at=started + target,
                warned_at=None,
                violated_at=started + target,
                completed_at=None,
                cancelled_at=now if closed else None,
                target_seconds=target.total_seconds(),
                business_elapsed_seconds=(now - started).total_seconds(),
                stopped_seconds=0,
                completed_late=False,
                outcome="cancelled" if closed else None,
                resolved_at=now if closed else None,
                as_of=now,
            )
        ],
    )
