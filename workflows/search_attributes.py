"""The custom search attributes of a case's workflow: how ops find cases in the Temporal UI and
CLI (`SlaState = "at_risk"`, `NextDeadline < "..."`), and what the API's case listing queries.

The starter sets the ones it knows (`initial`), the workflow keeps them current (each change is a
history event and a visibility write, so it upserts only what changed), and the worker registers
them on a namespace. No I/O, safe inside the workflow sandbox.
"""

from typing import Any

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

from workflows.contract import CaseTracker, StartCase

CASE_ID = SearchAttributeKey.for_keyword("CaseId")
SLA_STATE = SearchAttributeKey.for_keyword("SlaState")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("NextDeadline")
PRIORITY = SearchAttributeKey.for_keyword("Priority")
ENTITLEMENT_PROCESS = SearchAttributeKey.for_keyword("EntitlementProcess")
ACCOUNT_ID = SearchAttributeKey.for_keyword("AccountId")
OWNER = SearchAttributeKey.for_keyword("Owner")
"""The case's `owner` field (an agent or a queue): what "my cases" filters on."""
ENTITLEMENT = SearchAttributeKey.for_keyword("Entitlement")
"""The entitlement the case runs under: set by its starter, never changed (it is pinned)."""
SEARCH_ATTRIBUTES = (
    CASE_ID,
    SLA_STATE,
    NEXT_DEADLINE,
    PRIORITY,
    ENTITLEMENT_PROCESS,
    ACCOUNT_ID,
    OWNER,
    ENTITLEMENT,
)


def initial(start: StartCase, opening: CaseTracker | None = None) -> TypedSearchAttributes:
    """What a starter knows of a new case's search attributes; with the `opening` tracker (see
    `workflows.opening`), all of them, so the case's first task upserts none."""
    pairs: list[SearchAttributePair[Any]] = [
        SearchAttributePair(CASE_ID, start.case_id),
        SearchAttributePair(ENTITLEMENT_PROCESS, start.process.name),
        SearchAttributePair(SLA_STATE, opening.sla_state if opening else "on_track"),
    ]
    if start.entitlement is not None and start.entitlement.name is not None:
        pairs.append(SearchAttributePair(ENTITLEMENT, start.entitlement.name))
    if opening is not None and opening.next_deadline is not None:
        pairs.append(SearchAttributePair(NEXT_DEADLINE, opening.next_deadline))
    for key, field in ((PRIORITY, "priority"), (ACCOUNT_ID, "account_id"), (OWNER, "owner")):
        if start.fields.get(field) is not None:
            pairs.append(SearchAttributePair(key, str(start.fields[field])))
    return TypedSearchAttributes(pairs)
