"""The record store's group commit, on the test database (SQLite, or PostgreSQL in `make test`):
batches written at once from many threads share a transaction, the newest revision of a record
wins whichever order they arrive in, and a batch the database refuses costs only its own
writer."""

import threading
import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from database.engine import transaction
from database.models import CaseRecordRow, MilestoneRecordRow
from database.records import RecordStore, _Pending
from tests.api.test_open_cases import NOW, batch
from workflows.records import RecordBatch


def write_together(store: RecordStore, batches: Sequence[RecordBatch]) -> list[Exception | None]:
    """Write `batches` from one thread each, the first group held until every other writer
    waits in the queue (so the rest is one group, whatever the scheduling); what each got."""
    outcomes: list[Exception | None] = [None] * len(batches)
    groups: list[int] = []
    write_group = store._write_group

    def held(group: list[_Pending]) -> None:
        if not groups:
            queued = threading.Event()
            for _ in range(1000):
                with store._turn:
                    if len(store._queue) == len(batches) - len(group):
                        queued.set()
                        break
                queued.wait(0.01)
            assert queued.is_set(), "the other writers never queued"
        groups.append(len(group))
        write_group(group)

    store._write_group = held  # type: ignore[method-assign]
    start = threading.Barrier(len(batches))

    def writer(n: int) -> None:
        start.wait()
        try:
            store.write(batches[n])
        except Exception as error:
            outcomes[n] = error

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(len(batches))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(groups) == 2, groups
    assert sum(groups) == len(batches), groups
    return outcomes


def revision(written: RecordBatch, n: int) -> RecordBatch:
    """`written` as its case's batch `n`, its `as_of` telling which revision a row holds."""
    as_of = NOW + timedelta(seconds=n)
    return RecordBatch(
        revision=n,
        case=written.case.model_copy(update={"as_of": as_of}),
        milestones=[m.model_copy(update={"as_of": as_of}) for m in written.milestones],
    )


def test_writers_at_once_share_a_transaction_and_the_newest_revision_wins(
    database_url: str,
) -> None:
    tag = uuid.uuid4().hex[:8]
    cases = [f"group-{tag}-{k}" for k in range(8)]
    # Each case's revisions 1..4, newest first for half of them: arrival order must not matter.
    batches = [
        revision(batch(case_id, "on_track", [("active", NOW), ("active", NOW)]), n)
        for case_id in cases
        for n in (range(1, 5) if cases.index(case_id) % 2 else range(4, 0, -1))
    ]
    outcomes = write_together(RecordStore(database_url), batches)

    assert outcomes == [None] * len(batches)
    with transaction(database_url) as session:
        stored_cases = session.execute(
            select(CaseRecordRow.case_id, CaseRecordRow.revision, CaseRecordRow.as_of).where(
                CaseRecordRow.case_id.in_(cases)
            )
        ).all()
        stored_milestones = session.execute(
            select(MilestoneRecordRow.revision, MilestoneRecordRow.as_of).where(
                MilestoneRecordRow.case_id.in_(cases)
            )
        ).all()
    newest = NOW + timedelta(seconds=4)
    assert sorted(stored_cases) == [(case_id, 4, newest) for case_id in sorted(cases)]
    assert stored_milestones == [(4, newest)] * (2 * len(cases))


def test_a_batch_the_database_refuses_fails_only_its_own_writer(database_url: str) -> None:
    tag = uuid.uuid4().hex[:8]
    good = [batch(f"good-{tag}-{k}", "on_track", [("active", NOW)]) for k in range(5)]
    broken = batch(f"bad-{tag}", "on_track", [("active", NOW)])
    # A state the column may not hold (NOT NULL), as a bug in a newer worker might write.
    bad = RecordBatch.model_construct(
        revision=1,
        case=broken.case,
        milestones=[broken.milestones[0].model_copy(update={"state": None})],
    )
    outcomes = write_together(RecordStore(database_url), [*good, bad])

    assert outcomes[:5] == [None] * 5
    assert isinstance(outcomes[5], IntegrityError)
    with transaction(database_url) as session:
        written = session.scalars(
            select(CaseRecordRow.case_id).where(CaseRecordRow.case_id.like(f"%-{tag}%"))
        ).all()
    assert sorted(written) == sorted(b.case.case_id for b in good)
