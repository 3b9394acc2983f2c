"""The console's milestone-type forms over HTTP: the active toggle leads back to the level the
admin was looking at, or, when the form names none that is valid, to the type's own (a form's
unchecked text is never echoed into a redirect)."""

import httpx

from tests.helpers.console import Console
from tests.helpers.factories import create_type


async def test_the_active_toggle_leads_back_to_the_types_own_level(
    admin: httpx.AsyncClient, console: Console
) -> None:
    created = await create_type(admin, "Onboarding", color="#123456")
    await console.open("/console/admin/types")
    for level, back in (
        ({"scope": "account", "account_id": "ACME"}, "scope=account&account_id=ACME"),
        ({"scope": "y" * 300_000}, "scope=global"),
        ({"scope": "account", "account_id": "x" * 300_000}, "scope=global"),
    ):
        toggled = await console.client.post(
            f"/console/admin/types/{created['id']}/active",
            data={"csrf": console.csrf, "active": "false", **level},
            follow_redirects=False,
        )
        assert toggled.status_code == 303
        assert toggled.headers["location"] == f"/console/admin/types?{back}&saved=saved#types"
    read = await admin.get(f"/milestone-types/{created['id']}")
    assert read.json()["active"] is False
