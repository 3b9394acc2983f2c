"""The names Temporal callers use (workflow type, task queue, queries, activities) and the errors
a refused command or a failed action carries across Temporal. Pure: no I/O."""

from __future__ import annotations

from typing import ClassVar

from pydantic import ValidationError

TASK_QUEUE = "sla"
WORKFLOW_TYPE = "CaseSla"


def case_workflow_id(case_id: str) -> str:
    """The workflow id of a case: starting a case twice finds the same workflow."""
    return f"case-{case_id}"


TRACKER_QUERY = "tracker"
TIMELINE_QUERY = "timeline"

WEBHOOK = "webhook"
EMAIL = "email"
CASE_UPDATE = "case_update"
ESCALATE = "escalate"
DELIVERY_FAILED_HANDLER = "delivery_failed"
WRITE_RECORDS = "write_records"
"""Activity names: the built-in action handlers, the one that records a given-up delivery, and
the one that writes a case's milestone records."""
ACTION_HANDLERS: tuple[str, ...] = (WEBHOOK, EMAIL, CASE_UPDATE, ESCALATE)
"""The handlers an action may name: every worker registers exactly these, and publishing a
process refuses any other (an action naming one that slipped past, through Temporal directly,
fails for good when it falls due)."""


def unknown_handler(name: str) -> str:
    """Why an action naming `name` cannot run, in the words publishing and delivery share."""
    return f"no handler named {name!r}: the workers run {', '.join(ACTION_HANDLERS)}"


CASE_SYSTEM_SECRET = "case_system"
"""The secret of SLA_WEBHOOK_SECRETS that signs calls to the case system, and only those."""

COMMAND_REJECTED = "CommandRejectedError"
COMMAND_INVALID = "CommandInvalidError"
"""The `ApplicationError` types of a refused command: the API answers 409 and 422."""
DELIVERY_REJECTED = "DeliveryRejected"
DELIVERY_FAILED = "DeliveryFailed"
"""The `ApplicationError` types of a failed action: final, or worth retrying."""


class CommandRejectedError(ValueError):
    """A command that does not fit the case's state now; the message says why and what to do."""

    error_type: ClassVar[str] = COMMAND_REJECTED


class CommandInvalidError(CommandRejectedError):
    """A command that is wrong in itself (an unknown milestone, an impossible instant, a bad
    payload) whatever the case's state; callers fix the request, not the timing."""

    error_type: ClassVar[str] = COMMAND_INVALID


def problems_of(error: ValidationError) -> str:
    """A validation error as one line: `reason: Field required; nme: Extra inputs ...`."""
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'input'}: {e['msg']}" for e in error.errors()
    )
