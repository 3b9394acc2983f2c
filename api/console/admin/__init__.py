"""The console's admin pages, one module a resource: milestone types (`types`), business hours
(`hours`), processes (`processes`, and their editor `process_editor`) and entitlements
(`entitlements`); what they share is in `forms`. Ops keys may look at what exists (its forms
disabled); the forms of something new, and changing anything, need the admin role. Pages read
and write through the same crud functions as the HTTP API, validating forms with the API's own
request models, so a rule lives in one place; a refusal is shown next to its field, with the
form's values kept. Their links join `pages.NAVIGATION`.
"""

from fastapi import APIRouter

from api.console.admin import entitlements, hours, process_editor, processes, types

router = APIRouter()
for module in (types, hours, processes, process_editor, entitlements):
    router.include_router(module.router)
