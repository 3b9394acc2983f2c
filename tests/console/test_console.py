"""The console in a real headless Chromium: an agent signs in, finds their cases (the violated one
first), follows a live countdown, pauses it (it stands still), resumes it and completes the
milestone (met); a clock outside business hours stands still and says so; a wrong key, a form
without its CSRF token, and signing out. Each test saves screenshots under
tests/console/screenshots (light, dark, and 390 px wide for the case page); with
`SLA_DOCS_SCREENSHOTS=1` the tracker test also writes the README's docs/screenshots.
"""

import os
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.async_api import expect

from tests.helpers.console import DOCS_SCREENSHOTS, Pages, Served

PROCESS = "Console 24x7"
TYPES = {"First Response": "#D62728", "Resolution": "#2CA02C"}


@pytest.fixture(scope="session")
async def process(served: Served) -> str:
    """A process around the clock (no business hours), so its clocks run whenever tests do."""
    for name, color in TYPES.items():
        response = await served.admin.post("/milestone-types", json={"name": name, "color": color})
        assert response.status_code == 201, response.text
    body = {
        "name": PROCESS,
        "pause_when": {"all": [{"field": "status", "op": "eq", "value": "Waiting"}]},
        "milestones": [
            {"milestone_type": "First Response", "target": "1h"},
            {"milestone_type": "Resolution", "target": "8h"},
        ],
    }
    response = await served.admin.post("/entitlement-processes", json=body)
    assert response.status_code == 201, response.text
    return PROCESS


async def start_case(served: Served, process: str, **extra: Any) -> str:
    case_id = f"SH-{uuid.uuid4().hex[:6].upper()}"
    fields = {"priority": "High", "status": "New", "owner": "dana"}
    body = {"case_id": case_id, "process": process, "fields": fields, **extra}
    response = await served.admin.post("/cases", json=body)
    assert response.status_code == 201, response.text
    return case_id


async def sign_in(page: Any, key: str, then: str = "/console/cases") -> None:
    await page.goto(then)
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await page.get_by_label("API key").fill(key)
    await page.get_by_role("button", name="Sign in").click()


def milestone(page: Any, name: str) -> Any:
    return page.locator(".milestone", has=page.get_by_role("heading", name=name))


async def shoot(page: Any, served: Served, name: str) -> None:
    await page.screenshot(path=served.screenshots / f"{name}.png", full_page=True)


async def test_agent_follows_pauses_resumes_and_completes_a_milestone(
    served: Served, process: str, pages: Pages
) -> None:
    late = await start_case(
        served, process, opened_at=(datetime.now(UTC) - timedelta(hours=2)).isoformat()
    )
    case_id = await start_case(served, process)
    page = await pages.open()
    await sign_in(page, served.agent_key)

    # My cases (owner defaults to the key's name): the violated case first. The visibility
    # store lags the cases by a moment, so the list is read again until both are in it.
    rows = page.locator(".case-row")
    for _ in range(100):
        if await rows.count() >= 2:
            break
        await page.wait_for_timeout(200)
        await page.reload()
    await expect(rows.first).to_contain_text(late)
    await expect(rows.first).to_contain_text("violated")
    await expect(page.get_by_label("Cases whose owner is")).to_have_value("dana")
    await shoot(page, served, "my-cases-light")

    await page.get_by_role("link", name=case_id).click()
    await expect(page.get_by_role("heading", name=f"Case {case_id}")).to_be_visible()
    first = milestone(page, "First Response")
    countdown = first.locator(".countdown")
    await expect(first.locator(".status")).to_have_text("Running")
    before = await countdown.inner_text()
    await expect(countdown).not_to_have_text(before)  # it ticks (polled, about a second)
    await expect(first.locator(".facts")).to_contain_text("(UTC)")  # the calendar's zone
    link = page.get_by_role("link", name="Workflow in the Temporal UI")
    assert (await link.get_attribute("href")).endswith(
        f"/namespaces/default/workflows/case-{case_id}"
    )
    await shoot(page, served, "tracker-light")

    await page.get_by_label("Reason for pausing").fill("Waiting on the customer's logs")
    await page.get_by_role("button", name="Pause").click()
    await expect(first.locator(".status")).to_have_text("Paused: Waiting on the customer's logs")
    await expect(first).to_have_attribute("data-ticking", "no")
    still = await countdown.inner_text()
    await page.wait_for_timeout(1500)  # over a second: a running countdown would have moved
    assert await countdown.inner_text() == still
    await shoot(page, served, "tracker-paused-light")

    await page.get_by_role("button", name="Resume").click()
    await expect(first.locator(".status")).to_have_text("Running")
    resumed = await countdown.inner_text()
    await expect(countdown).not_to_have_text(resumed)

    await first.get_by_role("button", name="Complete First Response").click()
    await expect(first.locator(".status")).to_have_text("Met")
    await expect(first.locator(".badge")).to_have_text("completed")
    timeline = page.locator(".timeline")
    for kind in ("paused", "resumed", "completed"):
        await expect(timeline).to_contain_text(kind)
    await shoot(page, served, "tracker-met-light")

    # The same case in the dark scheme, and on a 390 px phone.
    for scheme, width, name in (("dark", 1280, "tracker-dark"), ("light", 390, "tracker-390")):
        other = await pages.open(scheme=scheme, width=width)
        await sign_in(other, served.agent_key, f"/console/cases/{late}")
        await expect(milestone(other, "First Response").locator(".status")).to_have_text(
            "Violated: overdue"
        )
        await shoot(other, served, name)
        if scheme == "dark":
            await other.goto("/console/cases")
            await shoot(other, served, "my-cases-dark")
    if os.environ.get("SLA_DOCS_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for name in ("tracker-light", "tracker-dark"):
            target = "tracker.png" if name == "tracker-light" else "tracker-dark.png"
            shutil.copy(served.screenshots / f"{name}.png", DOCS_SCREENSHOTS / target)


async def test_a_clock_outside_business_hours_stands_still_and_says_so(
    served: Served, process: str, pages: Pages
) -> None:
    # Open one hour, two days from now (UTC): closed now, and still closed at midnight.
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(datetime.now(UTC).weekday() + 2) % 7]
    calendar: dict[str, Any] = {
        "name": "Console closed today",
        "time_zone": "Europe/London",
        "weekly": {day: [["09:00", "10:00"]]},
    }
    response = await served.admin.post("/business-hours", json=calendar)
    assert response.status_code == 201, response.text
    body = {
        "name": "Console office",
        "business_hours": calendar["name"],
        "milestones": [{"milestone_type": "First Response", "target": "1h"}],
    }
    response = await served.admin.post("/entitlement-processes", json=body)
    assert response.status_code == 201, response.text
    case_id = await start_case(served, "Console office")  # the types come with `process`
    page = await pages.open()
    await sign_in(page, served.agent_key, f"/console/cases/{case_id}")
    first = milestone(page, "First Response")
    await expect(first.locator(".status")).to_have_text("Stopped: outside business hours")
    await expect(first).to_have_attribute("data-ticking", "no")
    await expect(first.locator(".facts")).to_contain_text("Europe/London")
    still = await first.locator(".countdown").inner_text()
    assert still == "01:00:00"
    await shoot(page, served, "outside-hours-light")


async def test_a_wrong_key_is_refused_with_a_message(served: Served, pages: Pages) -> None:
    pages.expected.append("status of 401")  # Chromium logs the refused sign-in's status
    for scheme in ("light", "dark"):
        page = await pages.open(scheme=scheme)
        await sign_in(page, "sla_not-a-key")
        await expect(page.get_by_role("alert")).to_contain_text("That API key is not known")
        await expect(page.get_by_label("API key")).to_be_visible()
        await shoot(page, served, f"wrong-key-{scheme}")


async def test_a_post_without_the_csrf_token_is_refused(
    served: Served, process: str, pages: Pages
) -> None:
    case_id = await start_case(served, process)
    page = await pages.open()
    await sign_in(page, served.agent_key, f"/console/cases/{case_id}")
    await expect(page.get_by_role("heading", name=f"Case {case_id}")).to_be_visible()
    for form in ({"reason": "forged"}, {"reason": "forged", "csrf": "0" * 32}):
        refused = await page.request.post(f"/console/cases/{case_id}/pause", form=form)
        assert refused.status == 403
        assert "security token is missing or out of date" in await refused.text()
    await page.reload()
    await expect(milestone(page, "First Response").locator(".status")).to_have_text("Running")
    await shoot(page, served, "csrf-light")


async def test_sign_out_ends_the_session(served: Served, pages: Pages) -> None:
    page = await pages.open(scheme="dark")
    await sign_in(page, served.agent_key)
    await expect(page.get_by_role("heading", name="My cases")).to_be_visible()
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("status")).to_have_text("You are signed out.")
    await shoot(page, served, "signed-out-dark")
    await page.goto("/console/cases")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
