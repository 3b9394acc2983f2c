"""The process editor in a real headless Chromium: an admin opens a process's latest version,
writes a new version with a changed target in the JSON editor, previews it (the difference names
the target, before and after, and nothing is published yet), publishes, and lands on version
n+1, which the API reads back. Screenshots go to tests/console/screenshots; the browser console
must stay free of errors (the `pages` fixture)."""

import json
import re
import uuid
from typing import Any

from playwright.async_api import expect

from tests.helpers.api import ADMIN_KEY
from tests.helpers.console import Pages, Served


async def created(served: Served, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await served.admin.post(path, json=body)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_an_admin_publishes_a_new_version_with_a_changed_target(
    served: Served, pages: Pages
) -> None:
    tag = uuid.uuid4().hex[:6]
    reply, fix = f"Editor reply {tag}", f"Editor fix {tag}"
    for name, color in ((reply, "#D62728"), (fix, "#2CA02C")):
        await created(served, "/milestone-types", {"name": name, "color": color})
    process = await created(
        served,
        "/entitlement-processes",
        {
            "name": f"Editor plan {tag}",
            "milestones": [
                {"milestone_type": reply, "target": "1h"},
                {"milestone_type": fix, "target": "8h"},
            ],
        },
    )
    page = await pages.open()
    await page.goto(f"/console/admin/processes/{process['id']}/versions/1")
    await page.get_by_label("API key").fill(ADMIN_KEY)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("link", name="New version").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"{process['name']}: version 2")

    editor = page.get_by_label("Definition (JSON)")
    draft = json.loads(await editor.input_value())
    assert draft == {
        "milestones": [
            {"milestone_type": reply, "target": "1h"},
            {"milestone_type": fix, "target": "8h"},
        ]
    }
    draft["milestones"][0]["target"] = "3h"
    await editor.fill(json.dumps(draft, indent=2))
    await page.get_by_label("Notes").fill("a slower first reply")
    await page.get_by_role("button", name="Preview").click()

    await expect(page.get_by_role("heading", name="Preview of version 2")).to_be_visible()
    row = page.locator(".changed-milestone", has_text=reply).get_by_role("row", name="target")
    await expect(row.locator("td.old")).to_have_text("1h")
    await expect(row.locator("td.new")).to_have_text("3h")
    await expect(page.locator(".changed-milestone")).to_have_count(1)  # the fix is unchanged
    await expect(editor).to_have_value(json.dumps(draft, indent=2))  # kept for publishing
    latest = await served.admin.get(f"/entitlement-processes/{process['id']}")
    assert latest.json()["latest_version"] == 1  # a preview publishes nothing
    await page.screenshot(path=served.screenshots / "process-editor-light.png", full_page=True)

    await page.get_by_role("button", name="Publish").click()
    await expect(page).to_have_url(
        re.compile(rf"/console/admin/processes/{process['id']}/versions/2\?saved=created$")
    )
    await expect(page.get_by_role("status")).to_have_text("Done: version 2 published.")
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"{process['name']} version 2")
    await expect(page.locator(".milestone", has_text=reply)).to_contain_text("3h of business time")
    version = (await served.admin.get(f"/entitlement-processes/{process['id']}/versions/2")).json()
    assert (version["notes"], version["definition"]["milestones"][0]["target"]) == (
        "a slower first reply",
        "PT3H",
    )

    # The editor of version 3, dark, at a phone's width: for the screenshot.
    dark = await pages.open(scheme="dark", width=390)
    await dark.goto(f"/console/admin/processes/{process['id']}/versions/new")
    await dark.get_by_label("API key").fill(ADMIN_KEY)
    await dark.get_by_role("button", name="Sign in").click()
    await expect(dark.get_by_role("heading", level=1)).to_have_text(f"{process['name']}: version 3")
    await dark.screenshot(path=served.screenshots / "process-editor-390-dark.png", full_page=True)
