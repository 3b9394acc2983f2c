"""Writing the milestone and case records: each batch (from a case's workflow, or rebuilt from a
tracker by the API) is upserted in one transaction, every row only over a row of the same or an
older revision, so a retried or late batch never undoes a newer one, and writing a batch twice
changes nothing."""

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from database.engine import transaction
from database.models import CaseRecordRow, MilestoneRecordRow
from workflows.records import RecordBatch


@dataclass(frozen=True, slots=True)
class RecordStore:
    database_url: str

    def write(self, batch: RecordBatch) -> None:
        with transaction(self.database_url) as session:
            write_batch(session, batch)


def write_batch(session: Session, batch: RecordBatch) -> None:
    """Upsert the batch's case and milestone records (the caller commits)."""
    upsert(session, CaseRecordRow.__table__, [batch.case.model_dump()], batch.revision)
    rows = [milestone.model_dump() for milestone in batch.milestones]
    upsert(session, MilestoneRecordRow.__table__, rows, batch.revision)


def upsert(session: Session, table: Any, rows: list[dict[str, Any]], revision: int) -> None:
    """Insert `rows` into `table`, or update the stored ones whose revision is not newer."""
    if rows:
        session.execute(
            _upsert(table, session.get_bind().dialect.name),
            [{**row, "revision": revision} for row in rows],
        )


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
