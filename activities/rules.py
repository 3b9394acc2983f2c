"""What the action handlers would refuse in an action whatever the case, checked before a process
is published: a handler no worker runs, parameters of the wrong shape, a webhook URL the
destination rules refuse. Each refusal is the very message the delivery would record, because it
comes from the same function the handler calls when the action falls due.

Only what is known at publishing counts: a host that does not resolve now, or not within
`RESOLVE_SECONDS`, may resolve when the action falls due (the delivery checks it again and
retries it), and the worker's secrets never reach the API.
"""

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as ResolveTimeout
from typing import Any

from temporalio.exceptions import ApplicationError

from activities.case_system import case_changes, escalation
from activities.destinations import check_destination
from activities.mail import email_params
from activities.settings import DestinationRules
from activities.webhook import webhook_url
from workflows.contract import (
    ACTION_HANDLERS,
    CASE_UPDATE,
    EMAIL,
    ESCALATE,
    WEBHOOK,
    Action,
    unknown_handler,
)

RESOLVE_SECONDS = 2.0
"""How long publishing waits for a webhook host's addresses: a resolver that does not answer
must not hold up an admin's save (the name resolver has no timeout of its own)."""
_RESOLVERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="publish-resolve")


def _webhook(params: dict[str, Any], rules: DestinationRules) -> None:
    def resolve(host: str) -> Sequence[str]:
        try:
            return _RESOLVERS.submit(rules.resolve, host).result(timeout=RESOLVE_SECONDS)
        except ResolveTimeout:
            raise OSError(f"no answer within {RESOLVE_SECONDS:g} s") from None

    check_destination(webhook_url(params), rules.webhook_allowed_hosts, resolve)


PARAMETER_CHECKS: dict[str, Callable[[dict[str, Any], DestinationRules], object]] = {
    WEBHOOK: _webhook,
    EMAIL: lambda params, _rules: email_params(params),
    CASE_UPDATE: lambda params, _rules: case_changes(params),
    ESCALATE: lambda params, _rules: escalation(params),
}
"""Each handler's checks of an action's parameters, as it applies them when the action runs."""
assert PARAMETER_CHECKS.keys() == set(ACTION_HANDLERS), "a check for every handler, no other"


def refusal(action: Action, rules: DestinationRules) -> str | None:
    """Why the workers would refuse `action` for good whenever it falls due; None when nothing
    known now stands in its way."""
    check = PARAMETER_CHECKS.get(action.handler)
    if check is None:
        return unknown_handler(action.handler)
    try:
        check(action.params, rules)
    except ApplicationError as error:
        return error.message if error.non_retryable else None
    return None
