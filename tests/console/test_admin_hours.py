"""The business-hours forms in a real headless Chromium, checked against the HTTP API: an admin
creates a calendar from the list page and sees its week; edits it, types an interval that is not
one and sees the refusal next to Monday with the text kept, then fixes it and sees Monday's
hours change in the week view and in `GET /business-hours/{id}`.

Screenshots of the form go to tests/console/screenshots (light, and dark at 390 px). Every
page's browser console must stay free of errors (the `pages` fixture).
"""

import re
import uuid
from typing import Any

from playwright.async_api import expect

from tests.helpers.api import ADMIN_KEY
from tests.helpers.console import Pages, Served


async def sign_in(page: Any, key: str, then: str) -> None:
    await page.goto(then)
    await page.get_by_label("API key").fill(key)
    await page.get_by_role("button", name="Sign in").click()


async def shoot(page: Any, served: Served, name: str) -> None:
    await page.screenshot(path=served.screenshots / f"{name}.png", full_page=True)


async def test_an_admin_creates_business_hours_and_edits_an_interval(
    served: Served, pages: Pages
) -> None:
    name = f"Lisbon desk {uuid.uuid4().hex[:6]}"
    page = await pages.open()
    await sign_in(page, ADMIN_KEY, "/console/admin/business-hours")
    await page.get_by_role("link", name="New business hours").click()
    await expect(page.get_by_role("heading", name="New business hours")).to_be_visible()
    await page.get_by_label("Name", exact=True).fill(name)
    await page.get_by_label("Time zone").fill("Europe/Lisbon")
    await page.get_by_label("Monday").fill("09:00-12:00, 13:00-17:30")
    await page.get_by_label("Friday").fill("09:00-13:00")
    await page.get_by_label("Holidays of its own, one a line").fill("2026-06-13 Santo António")
    await shoot(page, served, "business-hours-form-light")
    await page.get_by_role("button", name="Create business hours").click()

    await expect(page.locator("#saved")).to_have_text("Done: created.")
    await expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
    hours_id = re.search(r"/business-hours/(\d+)\?saved=created$", page.url)
    assert hours_id is not None, page.url
    days = page.locator(".day")
    await expect(days.nth(0).locator(".open-block")).to_have_text(
        ["09:00\u201312:00", "13:00\u201317:30"]
    )
    # Tuesday keeps the form's office hours; the weekend stays closed.
    await expect(days.nth(1).locator(".open-block")).to_have_text(["09:00\u201317:00"])
    await expect(days.nth(4).locator(".open-block")).to_have_text(["09:00\u201313:00"])
    await expect(days.nth(5)).to_contain_text("closed")

    await page.get_by_role("link", name="Edit", exact=True).click()
    await expect(page.get_by_label("Monday")).to_have_value("09:00-12:00, 13:00-17:30")
    pages.expected.append("status of 422")
    await page.get_by_label("Monday").fill("08:00-12:00, 1300")
    await page.get_by_role("button", name="Save business hours").click()
    await expect(page.locator("#error-mon")).to_contain_text("'1300' is not an interval")
    await expect(page.get_by_label("Monday")).to_have_value("08:00-12:00, 1300")  # kept
    await expect(page.get_by_label("Friday")).to_have_value("09:00-13:00")

    await page.get_by_label("Monday").fill("08:00-12:00, 13:00-18:00")
    await page.get_by_role("button", name="Save business hours").click()
    await expect(page.locator("#saved")).to_have_text("Done: saved.")
    await expect(days.nth(0).locator(".open-block")).to_have_text(
        ["08:00\u201312:00", "13:00\u201318:00"]
    )
    read = await served.admin.get(f"/business-hours/{hours_id[1]}")
    assert read.status_code == 200, read.text
    assert read.json()["weekly"] == {
        "mon": [["08:00", "12:00"], ["13:00", "18:00"]],
        "tue": [["09:00", "17:00"]],
        "wed": [["09:00", "17:00"]],
        "thu": [["09:00", "17:00"]],
        "fri": [["09:00", "13:00"]],
    }
    assert read.json()["holidays"] == [
        {"date": "2026-06-13", "name": "Santo António", "open": None}
    ]

    dark = await pages.open(scheme="dark", width=390)
    await sign_in(dark, ADMIN_KEY, f"/console/admin/business-hours/{hours_id[1]}/edit")
    await expect(dark.get_by_label("Monday")).to_have_value("08:00-12:00, 13:00-18:00")
    await shoot(dark, served, "business-hours-form-390-dark")
