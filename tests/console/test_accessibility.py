"""Every console page passes an accessibility checker: axe-core (installed from npm into
tests/console/a11y by `make install`, never served to users) runs in Chromium on each page, in
the light and the dark color scheme, with the WCAG 2 A and AA rules (labels, names, contrast,
landmarks, ...). A violation fails the test with the rule, what it asks for and where.

axe-core is injected through the DevTools protocol with the page's CSP bypassed: the console's
own policy allows no script but its own files, and the checker is not one of them.
"""

import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.api import ADMIN_KEY
from tests.helpers.console import Served

AXE = Path(__file__).parent / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def axe_source() -> str:
    if AXE.exists():
        return AXE.read_text()
    missing = f"{AXE} is missing: `make install` installs it (npm ci in tests/console/a11y)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{missing}, and CI=true: the accessibility check must run")
    pytest.skip(missing)


async def created(served: Served, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await served.admin.post(path, json=body)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.fixture(scope="module")
async def paths(served: Served) -> list[str]:
    """One of every page, on configuration and a case made for them."""
    tag = uuid.uuid4().hex[:6]
    calendar = await created(
        served,
        "/business-hours",
        {
            "name": f"A11y office {tag}",
            "time_zone": "Europe/London",
            "weekly": {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
        },
    )
    await created(served, "/milestone-types", {"name": f"A11y Response {tag}", "color": "#D62728"})
    process = await created(
        served,
        "/entitlement-processes",
        {
            "name": f"A11y {tag}",
            "business_hours": calendar["name"],
            "milestones": [{"milestone_type": f"A11y Response {tag}", "target": "1h"}],
        },
    )
    entitlement = await created(
        served,
        "/entitlements",
        {"name": f"A11y {tag}", "account_id": f"A11Y-{tag}", "process": process["name"]},
    )
    case_id = f"A11Y-{tag}"
    await created(
        served,
        "/cases",
        {"case_id": case_id, "fields": {"account_id": f"A11Y-{tag}", "owner": "dana"}},
    )
    return [
        "/console/cases?owner=dana",
        f"/console/cases/{case_id}",
        "/console/dashboard",
        "/console/at-risk",
        "/console/deliveries",
        f"/console/accounts/A11Y-{tag}",
        "/console/admin/types",
        "/console/admin/business-hours",
        f"/console/admin/business-hours/{calendar['id']}",
        "/console/admin/business-hours/new",
        f"/console/admin/business-hours/{calendar['id']}/edit",
        "/console/admin/processes",
        f"/console/admin/processes/{process['id']}/versions/1",
        "/console/admin/processes/new",
        f"/console/admin/processes/{process['id']}/versions/new",
        "/console/admin/entitlements",
        f"/console/admin/entitlements/{entitlement['id']}",
    ]


async def violations(page: Any, axe_source: str) -> list[str]:
    await page.evaluate(axe_source)
    found = await page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => `${v.id} (${v.impact}): ${v.help} at `"
        " + v.nodes.map(n => n.target.join(' ')).join(', '))",
        RULES,
    )
    return [f"{page.url}: {line}" for line in found]


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_every_page_passes_the_accessibility_checker(
    browser: Any, served: Served, paths: list[str], axe_source: str, scheme: str
) -> None:
    context = await browser.new_context(
        base_url=served.url,
        color_scheme=scheme,
        bypass_csp=True,
        viewport={"width": 1280, "height": 900},
    )
    try:
        page = await context.new_page()
        await page.goto("/console/sign-in")
        found = await violations(page, axe_source)
        await page.get_by_label("API key").fill(ADMIN_KEY)
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url("**/console/cases")
        for path in paths:
            response = await page.goto(path)
            assert response is not None, path
            assert response.status == 200, path
            found += await violations(page, axe_source)
    finally:
        await context.close()
    assert found == [], "\n".join(found)
