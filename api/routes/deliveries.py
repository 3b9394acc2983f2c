"""`/deliveries`: the delivery log the action handlers keep (one row per action, by idempotency
key), for ops: which webhooks and mails failed, after how many attempts, and with what error.
Read from the config database, so it outlives the case's workflow."""

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from api.auth import OpsKey
from api.crud.deliveries import delivery_log
from api.deps import DatabaseDep
from api.routes.responses import errors
from api.schemas import DeliveriesPublic, DeliveryPublic, DeliveryStatus
from workflows.contract import HANDLER_PATTERN, CaseId

router = APIRouter(tags=["deliveries"])


@router.get("/deliveries", responses=errors())
async def read_deliveries(
    db: DatabaseDep,
    _: OpsKey,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    case_id: Annotated[CaseId | None, Query()] = None,
    handler: Annotated[str | None, Query(pattern=HANDLER_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> DeliveriesPublic:
    """The logged deliveries, the latest attempt first, each with its case, milestone, instance,
    kind, level, handler, idempotency key, status, attempts, last error and times. `status=failed`
    lists the actions given up on."""

    def read(session: Session) -> DeliveriesPublic:
        rows = delivery_log(session, status=status, case_id=case_id, handler=handler, limit=limit)
        data = [DeliveryPublic.model_validate(row) for row in rows]
        return DeliveriesPublic(data=data, count=len(data))

    return await db.run(read)
