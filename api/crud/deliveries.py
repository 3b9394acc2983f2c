"""Reads of the delivery log the action handlers keep: what became of each attempt of an action
that is still retrying, which the case's workflow learns only when the retries end."""

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from database.models import DeliveryRecord
from workflows.contract import CaseTracker


def attempts_so_far(session: Session, *, tracker: CaseTracker) -> CaseTracker:
    """The tracker with each running action's attempts and last error as the log has them."""
    running = [
        action
        for milestone in tracker.milestones
        for action in milestone.actions
        if action.status == "running"
    ]
    logged = _records(session, {action.idempotency_key for action in running})
    for action in running:
        record = logged.get(action.idempotency_key)
        if record is not None:
            action.attempts = record.attempts
            action.error = record.last_error
    return tracker


def _records(session: Session, keys: Collection[str]) -> dict[str, DeliveryRecord]:
    if not keys:
        return {}
    query = select(DeliveryRecord).where(DeliveryRecord.idempotency_key.in_(keys))
    return {record.idempotency_key: record for record in session.scalars(query)}
