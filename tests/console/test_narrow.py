"""The two wide views of the console fit a phone: at 390 x 844 (and at 1280 px) neither the
business-hours week view nor the account page's engagement graph makes the page scroll sideways.
On a phone the week turns into one row per weekday (a 24 h bar) that still shows the calendar's
intervals, and the graph scales down with its labels still legible (at least 11 px rendered).
Neither view's own frame scrolls sideways either (they used to, inside the card).

Screenshots go to tests/console/screenshots (`narrow-*.png`).
"""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import expect

from tests.console import test_ops
from tests.helpers.api import ADMIN_KEY
from tests.helpers.console import SCREENSHOTS, Pages, Served

ops = test_ops.ops
"""The ops pages' app and its seeded records (two accounts' milestone instances)."""

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

OVERFLOW = """() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    wider: [...document.querySelectorAll("body *")]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
        .slice(0, 8)
        .map(e => `${e.tagName.toLowerCase()}.${e.getAttribute("class") || ""}`),
})"""
"""How wide the page is against the viewport, and the first elements sticking out of it."""


@pytest.fixture
async def ops_pages(browser: Any, ops: test_ops.Ops) -> AsyncIterator[Pages]:
    opened = Pages(browser, ops.url)
    try:
        yield opened
    finally:
        await opened.close()
    assert opened.unexpected_errors() == [], "errors in the browser console"


async def opened(pages: Pages, size: dict[str, int], key: str, path: str) -> Any:
    context = await pages.browser.new_context(base_url=pages.base_url, viewport=size)
    pages.contexts.append(context)
    page = await pages.open(context=context)
    await page.goto(path)
    await page.get_by_label("API key").fill(key)
    await page.get_by_role("button", name="Sign in").click()
    return page


async def assert_no_sideways_scroll(page: Any, frame: str) -> None:
    """Neither the page nor the view's own frame (once a sideways scroller) scrolls sideways."""
    measured = await page.evaluate(OVERFLOW)
    assert measured["scrollWidth"] <= measured["innerWidth"], measured
    scroll, client = await page.locator(frame).evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert scroll <= client, (frame, scroll, client)


async def test_the_week_view_fits_a_phone_and_keeps_its_intervals(
    served: Served, pages: Pages
) -> None:
    response = await served.admin.post(
        "/business-hours",
        json={
            "name": f"Narrow office {uuid.uuid4().hex[:6]}",
            "time_zone": "Europe/London",
            "weekly": {
                **{day: [["09:00", "12:30"], ["13:30", "17:00"]] for day in ("mon", "tue")},
                **{day: [["09:00", "17:00"]] for day in ("wed", "thu", "fri")},
            },
        },
    )
    assert response.status_code == 201, response.text
    path = f"/console/admin/business-hours/{response.json()['id']}"
    for size, name in ((PHONE, "narrow-business-hours-390"), (DESKTOP, "narrow-business-hours")):
        page = await opened(pages, size, ADMIN_KEY, path)
        days = page.locator(".day")
        await expect(days).to_have_count(7)
        await expect(days.nth(0).locator(".open-block")).to_have_text(
            ["09:00\u201312:30", "13:30\u201317:00"]
        )
        await expect(days.nth(2).locator(".open-block")).to_have_text(["09:00\u201317:00"])
        await expect(days.nth(6)).to_contain_text("closed")
        await expect(page.locator(".week")).to_contain_text("09:00")
        blocks = page.locator(".open-block")
        await expect(blocks).to_have_count(7)
        for i in range(7):
            box = await blocks.nth(i).bounding_box()
            assert box is not None
            assert min(box["width"], box["height"]) > 0, box
            assert 0 <= box["x"] < box["x"] + box["width"] <= size["width"], box
        if size is PHONE:
            # One row per weekday: the days stack, and a day's blocks lie side by side.
            first, second = [await days.nth(i).bounding_box() for i in (0, 1)]
            assert first is not None
            assert second is not None
            assert second["y"] >= first["y"] + first["height"] - 1, (first, second)
            day_blocks = days.nth(0).locator(".open-block")
            morning, afternoon = [await day_blocks.nth(i).bounding_box() for i in (0, 1)]
            assert morning is not None
            assert afternoon is not None
            assert afternoon["x"] > morning["x"] + morning["width"] - 1, (morning, afternoon)
            assert abs(afternoon["y"] - morning["y"]) < 1, (morning, afternoon)
        await assert_no_sideways_scroll(page, ".week-scroll")
        await page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


async def test_the_engagement_graph_fits_a_phone_and_stays_legible(
    ops: test_ops.Ops, ops_pages: Pages
) -> None:
    for size, name in ((PHONE, "narrow-account-390"), (DESKTOP, "narrow-account")):
        page = await opened(ops_pages, size, ops.ops_key, "/console/accounts/ACME")
        await expect(page.get_by_role("heading", name="Account ACME")).to_be_visible()
        await expect(page.locator("#graph .mark")).to_have_count(7)
        await assert_no_sideways_scroll(page, ".graph-frame")
        # What shows of the graph (on a phone its frame crops the lane names' gutter) lies in
        # the viewport, every mark in it.
        frame = await page.locator(".graph-frame").bounding_box()
        assert frame is not None
        left, right = frame["x"], frame["x"] + frame["width"]
        assert 0 <= left < right <= size["width"], frame
        for i in range(7):
            box = await page.locator("#graph .mark").nth(i).bounding_box()
            assert box is not None
            assert left <= box["x"] < box["x"] + box["width"] <= right, (box, frame)
        # Every label still shown is at least 11 px tall as rendered, and none is cut off.
        labels = page.locator("#graph text")
        shown = 0
        for i in range(await labels.count()):
            label = labels.nth(i)
            if not await label.is_visible():
                continue
            shown += 1
            rendered = await label.evaluate(
                """e => parseFloat(getComputedStyle(e).fontSize)
                        * e.ownerSVGElement.getScreenCTM().a"""
            )
            assert rendered >= 11, (await label.text_content(), rendered)
            box = await label.bounding_box()
            assert box is not None
            assert left - 1 <= box["x"] < box["x"] + box["width"] <= right + 1, (box, frame)
        assert shown >= 5  # three lanes' names and at least the first and last dates
        await page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
