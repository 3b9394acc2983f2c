"""Writing the milestone and case records: each batch (from a case's workflow, or rebuilt from a
tracker by the API) is upserted every row only over a row of the same or an older revision, so a
retried or late batch never undoes a newer one, and writing a batch twice changes nothing.

Batches written at the same time from many threads (a worker's record activities in a burst of
cases) share one transaction: a group commit, so a thousand cases that changed at once cost a
few transactions, not a thousand."""

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from database.engine import transaction
from database.models import CaseRecordRow, MilestoneRecordRow
from workflows.records import RecordBatch

Row = dict[str, Any]


@dataclass(slots=True)
class _Pending:
    batch: RecordBatch
    done: bool = False
    error: Exception | None = None


class RecordStore:
    """Writes batches to one database; concurrent writers share a transaction."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._turn = threading.Condition()
        self._queue: list[_Pending] = []
        self._writing = False

    def write(self, batch: RecordBatch) -> None:
        """Store `batch`, returning once it is committed, or raising why it is not.

        The first writer to find the database free writes every batch queued by then in one
        transaction; the others wait for it, and one of those still queued writes the next
        group."""
        mine = _Pending(batch)
        with self._turn:
            self._queue.append(mine)
            while self._writing and not mine.done:
                self._turn.wait()
            if mine.done:
                return _settled(mine)
            self._writing = True
            group, self._queue = self._queue, []
        try:
            self._write_group(group)
        except BaseException as error:  # interrupted: no writer may think its batch is stored
            for pending in group:
                pending.error = pending.error or RuntimeError(
                    f"the write was interrupted: {error!r}"
                )
            raise
        finally:
            with self._turn:
                for pending in group:
                    pending.done = True
                self._writing = False
                self._turn.notify_all()
        _settled(mine)

    def _write_group(self, group: list[_Pending]) -> None:
        try:
            with transaction(self.database_url) as session:
                write_batches(session, (pending.batch for pending in group))
            return
        except Exception as error:
            if len(group) == 1:
                group[0].error = error
                return
        # One bad batch must not cost the others their write: each on its own, then.
        for pending in group:
            try:
                with transaction(self.database_url) as session:
                    write_batches(session, [pending.batch])
            except Exception as error:
                pending.error = error


def _settled(pending: _Pending) -> None:
    if pending.error is not None:
        raise pending.error


def write_batch(session: Session, batch: RecordBatch) -> None:
    """Upsert the batch's case and milestone records (the caller commits)."""
    write_batches(session, [batch])


def write_batches(session: Session, batches: Iterable[RecordBatch]) -> None:
    """Upsert the case and milestone records of `batches` (the caller commits). A record that
    two of them hold is written once, at the newer revision."""
    cases: dict[tuple[object, ...], Row] = {}
    milestones: dict[tuple[object, ...], Row] = {}
    for batch in batches:
        _newest(cases, CaseRecordRow.__table__, batch.case.model_dump(), batch.revision)
        for milestone in batch.milestones:
            _newest(
                milestones, MilestoneRecordRow.__table__, milestone.model_dump(), batch.revision
            )
    upsert(session, CaseRecordRow.__table__, list(cases.values()))
    upsert(session, MilestoneRecordRow.__table__, list(milestones.values()))


def _newest(rows: dict[tuple[object, ...], Row], table: Any, row: Row, revision: int) -> None:
    # One statement may not touch a row twice (PostgreSQL's ON CONFLICT refuses it).
    key = tuple(row[column.name] for column in table.primary_key.columns)
    if key not in rows or rows[key]["revision"] < revision:
        rows[key] = {**row, "revision": revision}


def upsert(session: Session, table: Any, rows: list[Row]) -> None:
    """Insert `rows` into `table`, or update the stored ones whose revision is not newer."""
    if rows:
        session.execute(_upsert(table, session.get_bind().dialect.name), rows)


@cache
def _upsert(table: Table, dialect: str) -> Any:
    """One statement per table and dialect, run with many rows: compiled once, then cached."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table)
    keys = [column.name for column in table.primary_key.columns]
    return statement.on_conflict_do_update(
        index_elements=keys,
        set_={
            column.name: statement.excluded[column.name]
            for column in table.columns
            if column.name not in keys
        },
        where=table.c.revision <= statement.excluded.revision,
    )
