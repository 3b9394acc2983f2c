"""The bare comparison workflow of `benchmarks/throughput.py`.

What a hand-written workflow without the milestone engine would do for a case whose milestones
have only violation actions: sleep until each due instant (`started_at + target`), run the
action, end. It runs the same activity as the case workflow, with the same `ActionRequest`, and in
the same way: by default through `workflows.delivery.deliver` (a local activity first, as the case
does); with `regular=True` as a plain `workflow.execute_activity`, the usual hand-written choice.

It lives in its own module because workflows are re-imported inside the Temporal sandbox.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.contract import ActionRequest, ActionResult
    from workflows.delivery import deliver

BARE_WORKFLOW_TYPE = "BareMilestones"


class BareCase(BaseModel):
    """Input of the bare workflow: due instants are `started_at + target`, in order."""

    case_id: str
    targets: list[timedelta]
    started_at: datetime | None = None
    """When the starter sent the start request, as a case's starter sets its `opened_at`
    (`workflows.opening`): time spent waiting for the first workflow task counts. Default: the
    first task's instant."""
    handler: str = "noop"
    regular: bool = False
    """Run each action as a regular activity instead of the case's local-first delivery."""


@workflow.defn(name=BARE_WORKFLOW_TYPE)
class BareWorkflow:
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
            if case.regular:
                await workflow.execute_activity(
                    case.handler,
                    request,
                    result_type=ActionResult,
                    start_to_close_timeout=timedelta(seconds=10),
                    retry_policy=RetryPolicy(maximum_attempts=1),
                )
            else:
                await deliver(request, None)
        return len(case.targets)
