"""Reads and repairs of the milestone records by case: what a case's rows hold now, and a
rebuilt batch written over them (with the case's own revision, so a write still on its way from
the workflow with the same revision changes nothing, and an older one never lands)."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from database.models import CaseRecordRow, MilestoneRecordRow
from database.records import write_batch
from workflows.records import CaseRecord, MilestoneRecord, RecordBatch


def stored(session: Session, *, case_id: str) -> tuple[CaseRecord | None, list[MilestoneRecord]]:
    """The case's records as stored."""
    case = session.get(CaseRecordRow, case_id)
    rows = session.scalars(
        select(MilestoneRecordRow)
        .where(MilestoneRecordRow.case_id == case_id)
        .order_by(MilestoneRecordRow.milestone, MilestoneRecordRow.instance)
    )
    milestones = [MilestoneRecord.model_validate(row, from_attributes=True) for row in rows]
    return (
        None if case is None else CaseRecord.model_validate(case, from_attributes=True),
        milestones,
    )


def write(session: Session, *, batch: RecordBatch) -> None:
    """Write a rebuilt batch (committed)."""
    write_batch(session, batch)
    session.commit()
