"""The delivery log: one row per action (its idempotency key), written by the handlers.

A handler asks `begin` before acting: a key already delivered is never acted on again, and an
attempt under way holds the key until its own deadline (a lease), so an attempt that timed out in
Temporal's eyes but still runs in its thread cannot race the retry into a second delivery. Ops
read the rows: attempts, status, last error.

One gap remains by nature: a worker killed between the receiver's answer and the log's commit
sends once more after the lease; the idempotency key lets the receiver drop it.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from database.engine import transaction, utcnow
from database.models import DeliveryRecord
from workflows.contract import ActionRequest


class AttemptInFlightError(Exception):
    """Another attempt of the action holds it; retry once its lease ends."""

    def __init__(self, key: str, until: datetime) -> None:
        super().__init__(
            f"an earlier attempt of {key} may still be under way until {until.isoformat()}: "
            "retrying after that"
        )


@dataclass(frozen=True, slots=True)
class DeliveryLog:
    database_url: str

    def begin(self, request: ActionRequest, lease: timedelta) -> bool:
        """Take the action for one attempt lasting at most `lease`; False if it was already
        delivered. Raises `AttemptInFlightError` while another attempt holds it."""
        for _ in range(2):  # a concurrent first attempt may insert the row under us
            try:
                return self._begin(request, lease)
            except IntegrityError:
                continue
        raise RuntimeError(f"could not record an attempt of {request.idempotency_key}")

    def _begin(self, request: ActionRequest, lease: timedelta) -> bool:
        now = utcnow()
        with transaction(self.database_url) as session:
            record = session.get(DeliveryRecord, request.idempotency_key, with_for_update=True)
            if record is None:
                session.add(_row(request, attempts=1, status="sending", lease_until=now + lease))
                return True
            if record.status == "delivered":
                return False
            if record.status == "sending" and record.lease_until and record.lease_until > now:
                raise AttemptInFlightError(request.idempotency_key, record.lease_until)
            record.attempts += 1
            record.status = "sending"
            record.last_attempt_at = now
            record.lease_until = now + lease
            return True

    def delivered(self, request: ActionRequest) -> int:
        """Mark the action delivered; the number of attempts it took."""
        with transaction(self.database_url) as session:
            record = session.get(DeliveryRecord, request.idempotency_key)
            assert record is not None, "begin() first"
            record.status = "delivered"
            record.delivered_at = utcnow()
            record.last_error = None
            record.lease_until = None
            return record.attempts

    def attempt_failed(self, request: ActionRequest, error: str, *, final: bool) -> int:
        """Record a failed attempt (its lease ends); `final` when no retry will follow. The
        number of attempts the action has had: 0 when none ever began (an action that could
        not run at all), which a final failure logs as failed all the same."""
        with transaction(self.database_url) as session:
            record = session.get(DeliveryRecord, request.idempotency_key)
            if record is None:
                if final:
                    session.add(_row(request, attempts=0, status="failed", last_error=error[:2000]))
                return 0
            if record.status != "delivered":
                record.last_error = error[:2000]
                record.status = "failed" if final else "pending"
                record.lease_until = None
            return record.attempts

    def attempts(self, key: str) -> int:
        with transaction(self.database_url) as session:
            record = session.get(DeliveryRecord, key)
            return record.attempts if record else 0


def _row(request: ActionRequest, **state: object) -> DeliveryRecord:
    return DeliveryRecord(
        idempotency_key=request.idempotency_key,
        case_id=request.case_id,
        milestone=request.milestone,
        instance=request.instance,
        kind=request.kind,
        n=request.n,
        handler=request.handler,
        due_at=request.due_at,
        **state,
    )
