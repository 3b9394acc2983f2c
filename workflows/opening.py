"""What a starter knows of a case before its workflow runs: the case as it opens, computed by
the same pure clock the workflow runs, so the starter can set every search attribute and write
the opening milestone records, and the case's first workflow task does neither (it only arms its
timers). Used by the API and the benchmark; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from temporalio.common import TypedSearchAttributes

from workflows.clock import CaseClock
from workflows.contract import CURRENT_BEHAVIOUR, StartCase
from workflows.records import RecordBatch, records_of
from workflows.search_attributes import initial


@dataclass(frozen=True, slots=True)
class Opening:
    """A new case as of its start: the input to start it with, and what the starter sets."""

    start: StartCase
    """The input, with the opening instant and the behaviour spelled out."""
    search_attributes: TypedSearchAttributes
    records: RecordBatch
    """The opening records, as revision 0: the case's own first batch (revision 1) wins."""
    summary: str
    """The workflow's static summary, which the Temporal UI shows in its list and header."""


def opening(start: StartCase, now: datetime) -> Opening:
    """The case `start` describes as it opens at `now` (or its `opened_at`): raises `ValueError`
    (`CommandInvalidError` included) or `ArithmeticError` when it cannot open, exactly as its
    workflow would."""
    start = start.model_copy(
        update={"opened_at": start.opened_at or now, "behaviour": CURRENT_BEHAVIOUR}
    )
    clock = CaseClock.open_case(start, now)
    clock.advance(now)
    tracker = clock.tracker(now)
    case, milestones = records_of(tracker)
    return Opening(
        start=start,
        search_attributes=initial(start, tracker),
        records=RecordBatch(revision=0, case=case, milestones=milestones),
        summary=summary_of(start),
    )


def summary_of(start: StartCase) -> str:
    """ "Case 12638 · Premium Support v3 · account acme"."""
    account = start.fields.get("account_id")
    process = f"{start.process.name} v{start.process.version}"
    return " · ".join(
        [f"Case {start.case_id}", process, *([f"account {account}"] if account else [])]
    )
