"""The delivery log: one row per action (its idempotency key), written by the handlers.

A handler asks `begin` before acting: a key already delivered is never acted on again, which is
what makes a retry after a crash safe. Ops read the rows (attempts, status, last error).
"""

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from api.db import transaction, utcnow
from api.models import DeliveryRecord
from workflows.contract import ActionRequest


@dataclass(frozen=True, slots=True)
class DeliveryLog:
    database_url: str

    def begin(self, request: ActionRequest) -> bool:
        """Count an attempt; False if the action was already delivered."""
        for _ in range(2):  # a concurrent first attempt may insert the row under us
            try:
                with transaction(self.database_url) as session:
                    record = session.get(DeliveryRecord, request.idempotency_key)
                    if record is None:
                        session.add(
                            DeliveryRecord(
                                idempotency_key=request.idempotency_key,
                                case_id=request.case_id,
                                milestone=request.milestone,
                                instance=request.instance,
                                kind=request.kind,
                                n=request.n,
                                handler=request.handler,
                                due_at=request.due_at,
                                attempts=1,
                                status="pending",
                            )
                        )
                        return True
                    if record.status == "delivered":
                        return False
                    record.attempts += 1
                    record.status = "pending"
                    record.last_attempt_at = utcnow()
                    return True
            except IntegrityError:
                continue
        raise RuntimeError(f"could not record an attempt of {request.idempotency_key}")

    def delivered(self, request: ActionRequest) -> int:
        """Mark the action delivered; the number of attempts it took."""
        with transaction(self.database_url) as session:
            record = session.get(DeliveryRecord, request.idempotency_key)
            assert record is not None, "begin() first"
            record.status = "delivered"
            record.delivered_at = utcnow()
            record.last_error = None
            return record.attempts

    def attempt_failed(self, request: ActionRequest, error: str, *, final: bool) -> None:
        """Record a failed attempt; `final` when no retry will follow."""
        with transaction(self.database_url) as session:
            record = session.get(DeliveryRecord, request.idempotency_key)
            if record is None or record.status == "delivered":
                return
            record.last_error = error[:2000]
            if final:
                record.status = "failed"

    def attempts(self, key: str) -> int:
        with transaction(self.database_url) as session:
            record = session.get(DeliveryRecord, key)
            return record.attempts if record else 0
