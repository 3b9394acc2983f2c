"""Reads of the delivery log the action handlers keep: what became of each attempt of an action
that is still retrying, which the case's workflow learns only when the retries end, and the log
itself as ops list it (`delivery_log`, a page at a time after a row's sort key)."""

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select
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


def delivery_log(
    session: Session,
    *,
    status: str | None,
    case_id: str | None,
    handler: str | None,
    limit: int,
    after: tuple[datetime, str] | None = None,
) -> Sequence[DeliveryRecord]:
    """The logged deliveries matching the filters, the latest attempt first (then by idempotency
    key); with `after`, the (last attempt, idempotency key) of a row already listed, only the
    rows that come after it in that order."""
    query = select(DeliveryRecord)
    if after is not None:
        # Keyset paging: a seek past the last row shown, so rows written meanwhile never shift
        # a page the way an OFFSET would.
        attempted, key = after
        query = query.where(
            or_(
                DeliveryRecord.last_attempt_at < attempted,
                and_(
                    DeliveryRecord.last_attempt_at == attempted,
                    DeliveryRecord.idempotency_key > key,
                ),
            )
        )
    if status is not None:
        query = query.where(DeliveryRecord.status == status)
    if case_id is not None:
        query = query.where(DeliveryRecord.case_id == case_id)
    if handler is not None:
        query = query.where(DeliveryRecord.handler == handler)
    order = (DeliveryRecord.last_attempt_at.desc(), DeliveryRecord.idempotency_key)
    return session.scalars(query.order_by(*order).limit(limit)).all()
