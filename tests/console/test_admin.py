"""The console's admin pages in a real headless Chromium, checked against the HTTP API: an admin
creates two types for an account and sees the global types frozen after them, drags one above
the other and moves it back with the keyboard-usable buttons (the API's listing of the level
follows, the globals still last); edits an entitlement (a bad JSON is refused next to its field,
the values kept) and the API reads the change back, and its usage page lists the case it
covered; the business-hours preview shows the API's own target, the week view its hours; a
version diff names the changed target; ops and agent keys cannot post admin forms (403).

Screenshots go to tests/console/screenshots (light, dark, 390 px); with
`SLA_DOCS_SCREENSHOTS=1` the types page also goes to docs/screenshots/types.png and
types-dark.png. Every page's browser console must stay free of errors (the `pages` fixture).
"""

import os
import shutil
import uuid
from typing import Any

import pytest
from playwright.async_api import expect

from tests.helpers.api import ADMIN_KEY
from tests.helpers.console import DOCS_SCREENSHOTS, Pages, Served


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:6]}"


async def sign_in(page: Any, key: str, then: str) -> None:
    await page.goto(then)
    await page.get_by_label("API key").fill(key)
    await page.get_by_role("button", name="Sign in").click()


async def shoot(page: Any, served: Served, name: str) -> None:
    await page.screenshot(path=served.screenshots / f"{name}.png", full_page=True)


async def created(served: Served, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await served.admin.post(path, json=body)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.fixture(scope="session")
async def catalog(served: Served) -> dict[str, str]:
    """Two global types and a process on them with two versions (the first response's target
    1h, then 2h): what the types, processes and entitlements pages show."""
    names = {"first": unique("Reply"), "last": unique("Fix"), "process": unique("Admin plan")}
    for key, color in (("first", "#D62728"), ("last", "#2CA02C")):
        await created(served, "/milestone-types", {"name": names[key], "color": color})
    milestones = [
        {"milestone_type": names["first"], "target": "1h"},
        {"milestone_type": names["last"], "target": "8h"},
    ]
    process = await created(
        served, "/entitlement-processes", {"name": names["process"], "milestones": milestones}
    )
    milestones[0]["target"] = "2h"
    await created(
        served,
        f"/entitlement-processes/{process['id']}/versions",
        {"milestones": milestones, "notes": "a slower first reply"},
    )
    names["process_id"] = str(process["id"])
    return names


async def level_order(served: Served, account: str) -> list[tuple[str, str]]:
    response = await served.admin.get("/milestone-types", params={"account_id": account})
    assert response.status_code == 200, response.text
    return [(t["name"], t["scope"]) for t in response.json()["data"]]


async def test_an_admin_orders_an_accounts_own_types_and_the_globals_stay_after_them(
    served: Served, catalog: dict[str, str], pages: Pages
) -> None:
    account = f"ACCT-{uuid.uuid4().hex[:6]}"
    page = await pages.open()
    await sign_in(page, ADMIN_KEY, f"/console/admin/types?scope=account&account_id={account}")
    await expect(page.get_by_role("heading", name=f"Types of account {account}")).to_be_visible()
    for name, color in (("Alpha", "#1f77b4"), ("Beta", "#9467bd")):
        await page.get_by_label("Name", exact=True).fill(name)
        await page.get_by_label("Color").fill(color)
        await page.get_by_label("Reporting category").fill("Response")
        await page.get_by_role("button", name="Create type").click()
        await expect(page.get_by_role("status")).to_have_text("Done: created.")

    local = page.locator("#local-types > li")
    frozen = page.locator(".type-list.frozen > li")
    await expect(local).to_have_count(2)
    await expect(local.nth(0)).to_contain_text("Alpha")
    await expect(frozen.filter(has_text=catalog["first"])).to_have_count(1)
    # The globals cannot move here: not draggable, no move buttons.
    assert await frozen.first.get_attribute("draggable") is None
    assert await frozen.get_by_role("button", name="up").count() == 0
    order = await level_order(served, account)
    assert order[:2] == [("Alpha", "account"), ("Beta", "account")]

    # A name taken at this level: refused next to the field, the form keeps what was typed.
    pages.expected.append("status of 409")
    await page.get_by_label("Name", exact=True).fill("alpha")
    await page.get_by_label("Description").fill("kept after the refusal")
    await page.get_by_role("button", name="Create type").click()
    await expect(page.locator("#error-name")).to_contain_text("already exists at account")
    await expect(page.get_by_label("Description")).to_have_value("kept after the refusal")

    # Drag and drop: Beta above Alpha.
    await page.goto(f"/console/admin/types?scope=account&account_id={account}")
    await local.nth(1).drag_to(local.nth(0))
    await expect(page.get_by_role("status")).to_have_text("Done: reordered.")
    await expect(local.nth(0)).to_contain_text("Beta")
    order = await level_order(served, account)
    assert order[:2] == [("Beta", "account"), ("Alpha", "account")]
    assert {scope for _, scope in order[2:]} == {"global"}  # the globals stay last

    # The accessible alternative: a button, from the keyboard.
    await page.get_by_role("button", name="Move Beta down").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_have_text("Done: reordered.")
    await expect(local.nth(0)).to_contain_text("Alpha")
    order = await level_order(served, account)
    assert order[:2] == [("Alpha", "account"), ("Beta", "account")]
    assert {scope for _, scope in order[2:]} == {"global"}
    await page.goto(f"/console/admin/types?scope=account&account_id={account}")
    await shoot(page, served, "types-light")

    # The edit form reads back through the API; the active toggle too.
    await page.get_by_role("link", name="Edit Beta").click()
    await page.get_by_label("Description").fill("Resolved by the account team")
    await page.get_by_role("button", name="Save type").click()
    await expect(page.get_by_role("status")).to_have_text("Done: saved.")
    await page.get_by_role("button", name="Deactivate Beta").click()
    await expect(page.get_by_role("button", name="Activate Beta")).to_be_visible()
    listing = await served.admin.get("/milestone-types", params={"account_id": account})
    beta = next(t for t in listing.json()["data"] if t["name"] == "Beta")
    assert (beta["description"], beta["active"]) == ("Resolved by the account team", False)

    for scheme, width, name in (("dark", 1280, "types-dark"), ("light", 390, "types-390")):
        other = await pages.open(scheme=scheme, width=width)
        await sign_in(other, ADMIN_KEY, f"/console/admin/types?scope=account&account_id={account}")
        await expect(other.locator("#local-types > li")).to_have_count(2)
        await shoot(other, served, name)
    if os.environ.get("SLA_DOCS_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(served.screenshots / "types-light.png", DOCS_SCREENSHOTS / "types.png")
        shutil.copy(served.screenshots / "types-dark.png", DOCS_SCREENSHOTS / "types-dark.png")


async def test_an_admin_edits_an_entitlement_and_sees_its_usage(
    served: Served, catalog: dict[str, str], pages: Pages
) -> None:
    account = f"ACCT-{uuid.uuid4().hex[:6]}"
    entitlement = await created(
        served,
        "/entitlements",
        {"name": "Gold", "account_id": account, "process": catalog["process"], "cases_allowed": 5},
    )
    case_id = f"AD-{uuid.uuid4().hex[:6].upper()}"
    body = {"case_id": case_id, "entitlement": "Gold", "fields": {"account_id": account}}
    assert (await served.admin.post("/cases", json=body)).status_code == 201

    page = await pages.open()
    await sign_in(page, ADMIN_KEY, "/console/admin/entitlements")
    card = page.locator(f"#entitlement-{entitlement['id']}")
    await expect(card.locator(".allowance")).to_have_text("1 of 5 used")
    await card.get_by_role("link", name=f"Edit Gold of {account}").click()

    pages.expected.append("status of 422")
    await page.get_by_label("Priority").fill("7")
    await page.get_by_label("Applies when (JSON criteria)").fill('{"all": [{"field": "product"')
    await page.get_by_role("button", name="Save entitlement").click()
    await expect(page.locator("#error-applies_when")).to_contain_text("not JSON")
    await expect(page.get_by_label("Priority")).to_have_value("7")  # kept
    await page.get_by_label("Applies when (JSON criteria)").fill(
        '{"all": [{"field": "product", "op": "is", "value": "Cloud"}]}'
    )
    await page.get_by_role("button", name="Save entitlement").click()
    await expect(page.locator("#error-applies_when")).to_contain_text("all.0.op")

    await page.get_by_label("Applies when (JSON criteria)").fill(
        '{"all": [{"field": "product", "op": "eq", "value": "Cloud"}]}'
    )
    await page.get_by_label("Cases allowed").fill("10")
    await page.get_by_label("Ends on").fill("2030-12-31")
    await page.get_by_label("When the allowance is used up").select_option("flag")
    await page.get_by_role("button", name="Save entitlement").click()
    await expect(page.get_by_role("status")).to_have_text("Done: saved.")
    read = (await served.admin.get(f"/entitlements/{entitlement['id']}")).json()
    assert {k: read[k] for k in ("priority", "cases_allowed", "ends_on", "on_exhausted")} == {
        "priority": 7,
        "cases_allowed": 10,
        "ends_on": "2030-12-31",
        "on_exhausted": "flag",
    }
    assert read["applies_when"]["all"] == [{"field": "product", "op": "eq", "value": "Cloud"}]
    await shoot(page, served, "entitlements-light")

    await card.get_by_role("link", name=f"Usage of Gold of {account}").click()
    await expect(page.locator(".allowance")).to_have_text("1 of 10 used")
    await expect(page.get_by_role("cell", name="counted", exact=True)).to_be_visible()
    await page.get_by_role("link", name=case_id).click()
    await expect(page.get_by_role("heading", name=f"Case {case_id}")).to_be_visible()

    # A new one through the create form: a default entitlement (no account).
    await page.goto("/console/admin/entitlements")
    await page.get_by_role("link", name="New entitlement").click()
    default = unique("Standard")
    await page.get_by_label("Name").fill(default)
    await page.get_by_label("Process").select_option(catalog["process"])
    await page.get_by_role("button", name="Create entitlement").click()
    await expect(page.get_by_role("status")).to_have_text("Done: created.")
    listing = (await served.admin.get("/entitlements")).json()["data"]
    made = next(e for e in listing if e["name"] == default)
    assert (made["account_id"], made["process"], made["priority"]) == (None, catalog["process"], 0)

    dark = await pages.open(scheme="dark", width=390)
    await sign_in(dark, ADMIN_KEY, f"/console/admin/entitlements/{entitlement['id']}")
    await expect(dark.get_by_label("Priority")).to_have_value("7")
    await shoot(dark, served, "entitlement-390-dark")


async def test_business_hours_preview_week_and_a_version_diff(
    served: Served, catalog: dict[str, str], pages: Pages
) -> None:
    weekdays = ("mon", "tue", "wed", "thu", "fri")
    calendar = await created(
        served,
        "/business-hours",
        {
            "name": unique("London office"),
            "time_zone": "Europe/London",
            "weekly": {day: [["09:00", "12:30"], ["13:30", "17:00"]] for day in weekdays},
            "holidays": [{"date": "2026-12-24", "name": "Christmas Eve"}],
        },
    )
    page = await pages.open()
    await sign_in(page, ADMIN_KEY, "/console/admin/business-hours")
    await page.get_by_role("link", name=calendar["name"]).click()
    columns = page.locator(".day")
    await expect(columns).to_have_count(7)
    await expect(columns.nth(0).locator(".open-block")).to_have_text(
        ["09:00\u201312:30", "13:30\u201317:00"]
    )
    await expect(columns.nth(6)).to_contain_text("closed")

    start, duration = "2026-03-06T16:00:00Z", "3h"  # a Friday: on to Monday morning
    await page.get_by_label("Start").fill(start)
    await page.get_by_label("Business time").fill(duration)
    await page.get_by_role("button", name="Preview").click()
    api = await served.admin.get(
        f"/business-hours/{calendar['id']}/preview", params={"start": start, "duration": duration}
    )
    assert api.status_code == 200, api.text
    await expect(page.locator("#preview-target")).to_have_text(api.json()["target_at"])
    await page.goto(f"/console/admin/business-hours/{calendar['id']}?year=2026")
    await expect(page.get_by_role("cell", name="Christmas Eve")).to_be_visible()
    await shoot(page, served, "business-hours-light")

    await page.goto("/console/admin/processes")
    await page.get_by_role("button", name=f"Compare versions of {catalog['process']}").click()
    changed = page.locator(".changed-milestone", has_text=catalog["first"])
    row = changed.get_by_role("row", name="target")
    await expect(row).to_contain_text("1h")
    await expect(row).to_contain_text("2h")
    await shoot(page, served, "version-diff-light")
    await page.get_by_role("link", name="Version 2").click()
    await expect(page.locator(".milestone", has_text=catalog["first"])).to_contain_text(
        "2h of business time"
    )


async def test_ops_and_agent_keys_cannot_post_admin_forms(
    served: Served, catalog: dict[str, str], pages: Pages
) -> None:
    pages.expected.append("status of 403")
    response = await served.admin.post("/api-keys", json={"name": "olga", "roles": ["ops"]})
    ops_key = response.json()["key"]
    types = await served.admin.get("/milestone-types", params={"scope": "global"})
    type_id = types.json()["data"][0]["id"]
    forms = {
        "/console/admin/types": {"name": "Forged", "scope": "global"},
        f"/console/admin/types/{type_id}/active": {"active": "false"},
        "/console/admin/types/reorder": {"ids": str(type_id), "scope": "global"},
        "/console/admin/entitlements": {"name": "Forged", "process": catalog["process"]},
    }
    for key, name in ((ops_key, "ops"), (served.agent_key, "agent")):
        page = await pages.open()
        await sign_in(page, key, "/console/cases")
        csrf = await page.locator("form.who input[name=csrf]").get_attribute("value")
        for path, form in forms.items():
            refused = await page.request.post(path, form={**form, "csrf": csrf})
            assert refused.status == 403, (name, path)
            assert "Changing configuration needs the" in await refused.text()
        opened = await page.goto("/console/admin/types")
        if name == "ops":  # ops look, without the forms
            assert opened.status == 200
            await expect(page.get_by_role("button", name="Create type")).to_have_count(0)
            await expect(page.locator("#local-types > li[draggable]")).to_have_count(0)
        else:
            assert opened.status == 403
            await expect(page.get_by_role("link", name="Types")).to_have_count(0)
        if name == "ops":  # every admin page opens for ops, without an error in the console
            for path in (
                f"/console/admin/types/{type_id}",
                "/console/admin/business-hours",
                "/console/admin/processes",
                f"/console/admin/processes/{catalog['process_id']}/versions/1",
                f"/console/admin/processes/{catalog['process_id']}/diff",
                "/console/admin/entitlements",
            ):
                assert (await page.goto(path)).status == 200, path
    listing = await served.admin.get("/milestone-types", params={"scope": "global"})
    assert all(t["name"] != "Forged" for t in listing.json()["data"])
    assert listing.json()["data"][0]["active"] is True
