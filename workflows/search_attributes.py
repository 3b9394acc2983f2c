"""The custom search attributes of a case's workflow: how ops find cases in the Temporal UI and
CLI (`SlaState = "at_risk"`, `NextDeadline < "..."`), and what the API's case listing queries.

The workflow keeps them current; the worker registers them on a namespace. Nothing else here: no
I/O, safe inside the workflow sandbox.
"""

from temporalio.common import SearchAttributeKey

CASE_ID = SearchAttributeKey.for_keyword("CaseId")
SLA_STATE = SearchAttributeKey.for_keyword("SlaState")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("NextDeadline")
PRIORITY = SearchAttributeKey.for_keyword("Priority")
ENTITLEMENT_PROCESS = SearchAttributeKey.for_keyword("EntitlementProcess")
ACCOUNT_ID = SearchAttributeKey.for_keyword("AccountId")
SEARCH_ATTRIBUTES = (CASE_ID, SLA_STATE, NEXT_DEADLINE, PRIORITY, ENTITLEMENT_PROCESS, ACCOUNT_ID)
