"""The console's ops pages in a real headless Chromium, on milestone records and a delivery log
seeded in the app's own database: the dashboard's bars show exactly what the reports API answers
for the same period (and filters), the account page draws one mark per instance (met and
violated by shape), the deliveries page lists a failed delivery with its error, the at-risk list
puts the soonest target first, and an agent-only key is refused the dashboard.

The ops pages read the database only (no Temporal), so these tests serve the app on a SQLite
file of their own (`ops`), whose URL they need to seed; the browser is the conftest's. Each test
saves screenshots under tests/console/screenshots; with `SLA_DOCS_SCREENSHOTS=1` the dashboard
test also writes docs/screenshots/dashboard.png and dashboard-dark.png.
"""

import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from activities.delivery_log import DeliveryLog
from api.config import ApiSettings
from api.main import create_app
from database.records import RecordStore
from temporal_connection.client import TemporalSettings
from tests.helpers.api import ADMIN_KEY, closed_port
from tests.helpers.console import DOCS_SCREENSHOTS, SCREENSHOTS, Pages, ThreadedServer
from workflows.contract import ActionRequest
from workflows.records import CaseRecord, MilestoneRecord, Outcome, RecordBatch

TYPES = {
    "Ops First Response": ("#D62728", "Responsiveness"),
    "Ops Resolution": ("#2CA02C", "Resolution"),
    "Ops Update": ("#1F77B4", "Communication"),
}
FIRST, RESOLUTION, UPDATE = TYPES
H = timedelta(hours=1)
TODAY = datetime.now(UTC).date()
BASE = datetime.combine(TODAY - timedelta(days=21), time(8), UTC)
"""The seeded instances start from here and resolve within 20 days: inside the pages' default
period (the last 30 days) and before today."""
FROM = (TODAY - timedelta(days=29)).isoformat()
TO = TODAY.isoformat()
API_PERIOD = {
    "from": f"{FROM}T00:00:00Z",
    "to": datetime.combine(TODAY + timedelta(days=1), time(), UTC).isoformat(),
}
"""The pages' period (whole UTC days, FROM to TO) as the reports API names it."""


@dataclass
class Ops:
    url: str
    admin: httpx.AsyncClient
    ops_key: str
    agent_key: str
    database_url: str


def instance(
    case_id: str,
    milestone: str,
    day: int,
    outcome: Outcome | None,
    account: str,
    *,
    priority: str = "High",
    instance_no: int = 1,
    warned: bool = False,
    target_in: timedelta = 4 * H,
) -> MilestoneRecord:
    """A milestone record started `day` days after BASE: met, completed late or cancelled 2 h
    later; violated (never completed) 1 h later, at its target; or open, with its target
    `target_in` after its start."""
    color, category = TYPES[milestone]
    started = BASE + timedelta(days=day)
    late = outcome in ("completed_late", "violated_open")
    target = started + (H if late else target_in)
    ended = started + 2 * H if outcome else None
    completed = ended if outcome in ("met", "completed_late") else None
    violated = target if late else None
    return MilestoneRecord(
        case_id=case_id,
        milestone=milestone,
        instance=instance_no,
        account_id=account,
        process="Ops Support",
        process_version=1,
        reporting_category=category,
        color=color,
        priority_at_start=priority,
        priority_at_end=priority,
        state="completed" if completed else ("cancelled" if outcome == "cancelled" else "active"),
        started_at=started,
        target_at=target,
        warned_at=started + H / 2 if warned or late else None,
        violated_at=violated,
        completed_at=completed,
        cancelled_at=ended if outcome == "cancelled" else None,
        target_seconds=(target - started).total_seconds(),
        business_elapsed_seconds=2 * 3600.0 if outcome else 3600.0,
        stopped_seconds=0.0,
        completed_late=outcome == "completed_late",
        outcome=outcome,
        resolved_at=violated if outcome == "violated_open" else ended,
        as_of=ended or started + H,
    )


def seeded() -> list[RecordBatch]:
    """Two accounts, three types, met and violated: the records the workflows would write."""
    acme, globex = "ACME", "Globex"
    month = 24 * H * 30
    cases = {
        "OPS-1": [
            instance("OPS-1", FIRST, 0, "met", acme),
            instance("OPS-1", RESOLUTION, 1, "met", acme),
        ],
        "OPS-2": [
            instance("OPS-2", FIRST, 7, "violated_open", acme, priority="Low"),
            instance("OPS-2", RESOLUTION, 8, "completed_late", acme, priority="Low"),
        ],
        "OPS-3": [
            instance("OPS-3", UPDATE, 9, "met", acme),
            instance("OPS-3", UPDATE, 10, "cancelled", acme, instance_no=2),
        ],
        "OPS-4": [
            instance("OPS-4", FIRST, 14, "met", globex),
            instance("OPS-4", RESOLUTION, 15, "violated_open", globex),
        ],
        "OPS-5": [
            instance("OPS-5", FIRST, 19, "completed_late", globex),
            instance("OPS-5", RESOLUTION, 19, None, globex, warned=True, target_in=month),
        ],
        "OPS-6": [instance("OPS-6", FIRST, 20, None, acme, warned=True, target_in=month * 5 / 6)],
    }
    return [
        RecordBatch(
            revision=1,
            case=CaseRecord(
                case_id=case_id,
                account_id=records[0].account_id,
                process="Ops Support",
                process_version=1,
                opened_at=records[0].started_at,
                closed_at=None,
                sla_state="on_track",
                breached=any(r.violated_at for r in records),
                as_of=records[-1].as_of,
            ),
            milestones=records,
        )
        for case_id, records in cases.items()
    ]


def failed_delivery(database_url: str) -> None:
    """A violation webhook given up on after two attempts, and a warning mail delivered, logged
    by the handlers' own delivery log."""
    log = DeliveryLog(database_url)
    for kind, handler, fails in (("violation", "webhook", True), ("warning", "mail", False)):
        request = ActionRequest(
            idempotency_key=f"OPS-2/{FIRST}/1/{kind}/1",
            case_id="OPS-2",
            milestone=FIRST,
            instance=1,
            kind=kind,
            n=1,
            handler=handler,
            params={},
            due_at=BASE + timedelta(days=7, hours=1),
            target_at=BASE + timedelta(days=7, hours=1),
            case_fields={},
            process="Ops Support",
            process_version=1,
        )
        assert log.begin(request, timedelta(seconds=0))
        if fails:
            log.attempt_failed(request, "HTTP 502 from https://hooks.example/sla", final=False)
            assert log.begin(request, timedelta(minutes=1))
            log.attempt_failed(request, "HTTP 503 from https://hooks.example/sla", final=True)
        else:
            log.delivered(request)


@pytest.fixture(scope="session")
async def ops(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Ops]:
    """The app on a SQLite file of its own (Temporal unreachable: no ops page needs it), with
    the types, an ops and an agent key, the records and the delivery log seeded."""
    database_url = f"sqlite:///{tmp_path_factory.mktemp('ops') / 'ops.sqlite'}"
    app = create_app(
        ApiSettings(database_url=database_url, sla_admin_key=ADMIN_KEY),
        TemporalSettings(address=f"127.0.0.1:{closed_port()}"),
    )
    port = closed_port()
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    with ThreadedServer.serving(app, port):
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as admin:
            for name, (color, category) in TYPES.items():
                body = {"name": name, "color": color, "reporting_category": category}
                response = await admin.post("/milestone-types", json=body)
                assert response.status_code == 201, response.text
            keys = {}
            for name, role in (("olga", "ops"), ("andy", "agent")):
                response = await admin.post("/api-keys", json={"name": name, "roles": [role]})
                assert response.status_code == 201, response.text
                keys[role] = response.json()["key"]
            store = RecordStore(database_url)
            for batch in seeded():
                store.write(batch)
            failed_delivery(database_url)
            SCREENSHOTS.mkdir(exist_ok=True)
            yield Ops(url, admin, keys["ops"], keys["agent"], database_url)


@pytest.fixture
async def pages(browser: Any, ops: Ops) -> AsyncIterator[Pages]:
    opened = Pages(browser, ops.url)
    try:
        yield opened
    finally:
        await opened.close()
    assert opened.unexpected_errors() == [], "errors in the browser console"


async def sign_in(page: Any, key: str, then: str) -> None:
    await page.goto(then)
    await page.get_by_label("API key").fill(key)
    await page.get_by_role("button", name="Sign in").click()


async def shoot(page: Any, name: str) -> None:
    await page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def rgb(color: str) -> str:
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


async def shown_bars(page: Any, list_id: str) -> dict[str, tuple[str, str]]:
    """Each bar of a list as the page shows it: label -> (value text, fill color)."""
    shown = {}
    rows = page.locator(f"#{list_id} .bar-row")
    for i in range(await rows.count()):
        row = rows.nth(i)
        fill = await row.locator(".bar-fill").evaluate("e => getComputedStyle(e).backgroundColor")
        label = (await row.locator(".bar-label").inner_text()).strip()
        shown[label] = ((await row.locator(".bar-value").inner_text()).strip(), fill)
    return shown


async def test_dashboard_bars_show_the_reports_api_figures(ops: Ops, pages: Pages) -> None:
    page = await pages.open()
    await sign_in(page, ops.ops_key, f"/console/dashboard?from={FROM}&to={TO}")
    await expect(page.get_by_role("heading", name="Compliance", exact=True)).to_be_visible()

    for filters in ({}, {"priority": "High"}):
        if filters:
            await page.get_by_label("Priority").fill(filters["priority"])
            await page.get_by_role("button", name="Show").click()
            await expect(page.get_by_label("Priority")).to_have_value("High")
        params = {**API_PERIOD, **filters}
        by_type = await ops.admin.get(
            "/reports/compliance", params={**params, "group_by": "milestone_type"}
        )
        assert by_type.status_code == 200, by_type.text
        expected = {
            g["key"]: (rate(g["met_rate"]), rgb(g["color"])) for g in by_type.json()["groups"]
        }
        assert len(expected) == 3
        assert await shown_bars(page, "by-type") == expected
        by_account = await ops.admin.get(
            "/reports/compliance", params={**params, "group_by": "account"}
        )
        violations = {
            g["key"]: str(g["violated_open"] + g["completed_late"])
            for g in by_account.json()["groups"]
            if g["violated_open"] + g["completed_late"]
        }
        shown = {k: v for k, (v, _) in (await shown_bars(page, "by-account")).items()}
        assert shown == violations
    # The figures the seeded records make (a check on the API as much as on the page).
    assert expected == {
        FIRST: ("66.7 %", rgb("#D62728")),  # met, met, late (OPS-2 is Low)
        RESOLUTION: ("50.0 %", rgb("#2CA02C")),
        UPDATE: ("100.0 %", rgb("#1F77B4")),
    }
    # The weekly trend: every week of the period, each with the API's figure for its Monday.
    weekly = await ops.admin.get("/reports/compliance", params={**params, "group_by": "week"})
    rates = {g["key"]: rate(g["met_rate"]) for g in weekly.json()["groups"]}
    first = date.fromisoformat(FROM)
    monday = first - timedelta(days=first.weekday())
    trend = {}
    while monday <= TODAY:
        trend[monday.isoformat()] = rates.get(monday.isoformat(), "—")
        monday += timedelta(days=7)
    bars = page.locator("#trend .trend-bar")
    await expect(bars).to_have_count(len(trend))
    drawn = {}
    for i in range(len(trend)):
        bar = bars.nth(i)
        week = await bar.get_attribute("data-week")
        drawn[week] = (await bar.locator(".trend-value").text_content()).strip()
    assert drawn == trend
    await shoot(page, "dashboard-filtered-light")

    await page.goto("/console/dashboard")  # the default period: the last 30 days, today included
    await expect(page.get_by_label("From")).to_have_value(FROM)
    await expect(page.locator("#by-type .bar-row")).to_have_count(3)
    await shoot(page, "dashboard-light")
    for scheme, width, name in (("dark", 1280, "dashboard-dark"), ("light", 390, "dashboard-390")):
        other = await pages.open(scheme=scheme, width=width)
        await sign_in(other, ops.ops_key, "/console/dashboard")
        await expect(other.locator("#by-type .bar-row")).to_have_count(3)
        await shoot(other, name)
    if os.environ.get("SLA_DOCS_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for name in ("dashboard-light", "dashboard-dark"):
            target = "dashboard.png" if name == "dashboard-light" else "dashboard-dark.png"
            shutil.copy(SCREENSHOTS / f"{name}.png", DOCS_SCREENSHOTS / target)


async def test_account_page_draws_one_mark_per_instance(ops: Ops, pages: Pages) -> None:
    page = await pages.open()
    await sign_in(page, ops.ops_key, "/console/dashboard")
    await page.get_by_label("Open an account").fill("ACME")
    await page.get_by_role("button", name="Open").click()
    await expect(page.get_by_role("heading", name="Account ACME")).to_be_visible()

    response = await ops.admin.get("/accounts/ACME/milestones", params=API_PERIOD)
    instances = response.json()["data"]
    assert response.json()["count"] == len(instances) == 7
    marks = page.locator("#graph .mark")
    await expect(marks).to_have_count(len(instances))
    await expect(page.locator("#instances tbody tr")).to_have_count(len(instances))
    # Met and violated differ by shape, each mark in its type's color.
    for outcome, shape in (("met", "circle"), ("violated_open", "diamond"), (None, "ring")):
        count = sum(1 for i in instances if i["outcome"] == outcome)
        drawn = page.locator(f"#graph .mark[data-outcome='{outcome or 'open'}'] path.{shape}")
        await expect(drawn).to_have_count(count)
    met = page.locator("#graph .mark[data-outcome='met'] path").first
    assert await met.evaluate("e => getComputedStyle(e).fill") in {
        rgb(color) for color, _ in TYPES.values()
    }
    await expect(page.locator(".legend")).to_contain_text("Violated")
    await shoot(page, "account-light")
    other = await pages.open(scheme="dark", width=390)
    await sign_in(other, ops.ops_key, "/console/accounts/Globex")
    await expect(other.locator("#graph .mark")).to_have_count(4)
    await shoot(other, "account-dark-390")


async def test_deliveries_list_a_failed_delivery_with_its_error(ops: Ops, pages: Pages) -> None:
    page = await pages.open()
    await sign_in(page, ops.ops_key, "/console/deliveries")
    rows = page.locator("#deliveries tbody tr")
    await expect(rows).to_have_count(1)  # failed only: the delivered mail is not listed
    await expect(rows.first).to_contain_text("HTTP 503 from https://hooks.example/sla")
    await expect(rows.first).to_contain_text("webhook")
    await expect(rows.first.locator("td.num")).to_have_text("2")
    link = rows.first.get_by_role("link", name="OPS-2")
    assert await link.get_attribute("href") == "/console/cases/OPS-2"
    await shoot(page, "deliveries-light")
    await page.get_by_label("Status").select_option("any")
    await page.get_by_role("button", name="Show").click()
    await expect(rows).to_have_count(2)

    # The at-risk list, from the same records: the soonest target first, linked to its case.
    await page.goto("/console/at-risk")
    risky = page.locator("#at-risk tbody tr")
    await expect(risky).to_have_count(4)
    await expect(risky.first).to_contain_text("OPS-2")  # violated two weeks ago: the soonest target
    await expect(risky.last).to_contain_text("OPS-5")  # its target is furthest away
    href = await risky.last.get_by_role("link", name="OPS-5").get_attribute("href")
    assert href == "/console/cases/OPS-5"
    await shoot(page, "at-risk-light")


async def test_an_agent_key_cannot_open_the_ops_pages(ops: Ops, pages: Pages) -> None:
    pages.expected.append("status of 403")  # Chromium logs the refused page's status
    page = await pages.open()
    await sign_in(page, ops.agent_key, "/console/dashboard")
    await expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    await expect(page.get_by_role("alert")).to_contain_text("need the 'ops' role")
    await expect(page.get_by_role("navigation")).not_to_contain_text("Dashboard")
    for path in ("/console/at-risk", "/console/deliveries", "/console/accounts/ACME"):
        refused = await page.request.get(path)
        assert refused.status == 403, path
    await shoot(page, "dashboard-refused-light")


async def test_the_ops_pages_say_which_input_they_ignored(ops: Ops, pages: Pages) -> None:
    pages.expected.append("status of 422")  # the refused account id's page
    page = await pages.open()
    await sign_in(page, ops.ops_key, "/console/dashboard?from=yesterday&account_id=%22ACME%22")
    alerts = page.get_by_role("alert")
    await expect(alerts.first).to_contain_text("'from' is not a date (YYYY-MM-DD)")
    await expect(alerts.last).to_contain_text("The account id filter '\"ACME\"' is not valid")
    await expect(page.get_by_label("From")).to_have_value(FROM)  # the default period instead
    await page.goto("/console/deliveries?status=lost")
    await expect(page.get_by_role("alert")).to_contain_text("No delivery status 'lost'")
    await expect(page.get_by_label("Status")).to_have_value("failed")
    response = await page.goto("/console/accounts/ACME%22")
    assert response.status == 422
    await expect(page.get_by_role("alert")).to_contain_text("An account id has 1 to 200")
