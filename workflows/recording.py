"""How the case workflow writes its milestone records: after each workflow task, the records that
changed since the last write go out in one batch, to the `write_records` activity.

A batch first runs as a local activity (one history event, in the task that made the change);
if the database does not take it, the batch continues as a regular activity retried with backoff
until it does, so the records catch up, and the case never waits for them: commands and actions
go on meanwhile. Every batch carries the case's next revision, and the store keeps the newest.

Runs inside the workflow sandbox: only Temporal's workflow APIs, no I/O.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import FailureError

from workflows.contract import WRITE_RECORDS, CaseTracker
from workflows.records import CaseRecord, MilestoneRecord, RecordBatch, changed, records_of

LOCAL_ATTEMPT_TIMEOUT = timedelta(seconds=5)
ATTEMPT_TIMEOUT = timedelta(seconds=30)
RETRIES = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
)
"""No expiry: a database down for a day gets the records when it is back."""


class RecordChanges:
    """What the case last sent, so the next batch holds only what changed since."""

    def __init__(self) -> None:
        self._sent: dict[tuple[object, ...], tuple[object, ...]] = {}
        self.primed = False
        """Whether the records were taken as written by the case's starter: then the first
        batch holds them all, so one the starter never wrote is written with it."""

    def prime(self, tracker: CaseTracker) -> None:
        """Take the records of `tracker` as written already (by the case's starter)."""
        self.batch(tracker, 0)
        self.primed = True

    def batch(self, tracker: CaseTracker, revision: int) -> RecordBatch | None:
        """The records that changed since the last batch, as batch `revision`; None if none."""
        case, milestones = records_of(tracker)
        fresh = [
            milestone
            for milestone in milestones
            if self._note(("milestone", milestone.milestone, milestone.instance), milestone)
        ]
        case_changed = self._note(("case",), case)
        if not (fresh or case_changed):
            return None
        if self.primed:
            fresh, self.primed = milestones, False
        return RecordBatch(revision=revision, case=case, milestones=fresh)

    def _note(self, key: tuple[object, ...], record: MilestoneRecord | CaseRecord) -> bool:
        digest = changed(record)
        if self._sent.get(key) == digest:
            return False
        self._sent[key] = digest
        return True


async def write_records(batch: RecordBatch) -> str | None:
    """Store `batch`: a local attempt, then durable retries until the database takes it. None
    once stored; else why it never will be (a final error), for the case to show."""
    try:
        await workflow.execute_local_activity(
            WRITE_RECORDS,
            batch,
            start_to_close_timeout=LOCAL_ATTEMPT_TIMEOUT,
            retry_policy=RetryPolicy(maximum_attempts=1),
        )
        return None
    except FailureError as failure:
        workflow.logger.info("records of %s wait for the database: %s", batch.case.case_id, failure)
    try:
        await workflow.execute_activity(
            WRITE_RECORDS, batch, start_to_close_timeout=ATTEMPT_TIMEOUT, retry_policy=RETRIES
        )
    except FailureError as failure:  # only a non-retryable error ends the retries
        workflow.logger.error("records of %s not written: %s", batch.case.case_id, failure)
        return str(failure.cause or failure)
    return None
