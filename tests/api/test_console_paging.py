"""The console's long listings a page at a time, over HTTP on the real app and database: the
at-risk list, the delivery log and an entitlement's usage each show 200 rows, and a "Next" link
(an opaque `after` token, the filters kept) leads to the rest: every row once, none missing, in
the listing's order, even with rows written between the pages and ties of the sort's first key.
A link whose token was edited, cut short or made for another listing answers 400 with the way
back to the first page, never a 500.
"""

import dataclasses
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta, timezone
from html import unescape
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.console import ops, paging
from api.deps import Services
from database.models import DeliveryRecord, EntitlementCaseRecord
from database.records import write_batches
from tests.helpers.api import ADMIN_KEY, client_for
from tests.helpers.factories import stormhaven
from workflows.records import CaseRecord, MilestoneRecord, RecordBatch

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
ROW_KEY = re.compile(r'<tr[^>]* data-key="([^"]+)"')
CASE_LINK = re.compile(r'<tr><td><a href="/console/cases/[^"]*">([^<]+)</a>')
NEXT = re.compile(r'<a href="([^"]+)" rel="next">([^<]+)</a>')
FIRST = re.compile(r'<a href="([^"]+)">First page</a>')
SHOWING = re.compile(r"Showing rows (\d+)\u2013(\d+)")


@asynccontextmanager
async def console(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A browser signed in to the console with the admin key (which holds the ops role)."""
    async with client_for(app, None) as client:
        token = CSRF.search((await client.get("/console/sign-in")).text)
        assert token is not None
        form = {"key": ADMIN_KEY, "csrf": token[1], "next": "/console/at-risk"}
        signed = await client.post("/console/sign-in", data=form)
        assert signed.status_code == 303, signed.text
        yield client


@dataclasses.dataclass
class Page:
    """What a listing's page shows: its rows' keys, its range, and its links."""

    keys: list[str]
    showing: tuple[int, int] | None
    next_href: str | None
    next_text: str | None
    first_href: str | None


async def page_of(client: httpx.AsyncClient, url: str, rows: re.Pattern[str] = ROW_KEY) -> Page:
    response = await client.get(url)
    assert response.status_code == 200, response.text
    html = response.text
    showing = SHOWING.search(html)
    after = NEXT.search(html)
    first = FIRST.search(html)
    return Page(
        keys=[unescape(key) for key in rows.findall(html)],
        showing=(int(showing[1]), int(showing[2])) if showing else None,
        next_href=unescape(after[1]) if after else None,
        next_text=after[2] if after else None,
        first_href=unescape(first[1]) if first else None,
    )


async def every_page(
    client: httpx.AsyncClient, url: str, rows: re.Pattern[str] = ROW_KEY
) -> list[Page]:
    """Each page from `url` on, following the "Next" links to the last."""
    pages = [await page_of(client, url, rows)]
    while (href := pages[-1].next_href) is not None:
        assert len(pages) < 100, "the next links never end"
        pages.append(await page_of(client, href, rows))
    return pages


def params_of(href: str) -> dict[str, str]:
    return dict(httpx.URL(href).params)


# ------------------------------------------------------------------------------- deliveries


def delivery(n: int, *, status: str = "failed", handler: str = "webhook") -> DeliveryRecord:
    # Three deliveries to each instant: the idempotency key breaks the ties.
    attempted = NOW - timedelta(minutes=n // 3)
    return DeliveryRecord(
        idempotency_key=f"{handler}-{status}-{n:04d}",
        case_id=f"D-{n:04d}",
        milestone="First Response",
        instance=1,
        kind="violation",
        n=1,
        handler=handler,
        status=status,
        attempts=5,
        last_error="HTTP 500",
        due_at=attempted - timedelta(hours=1),
        first_attempt_at=attempted - timedelta(hours=1),
        last_attempt_at=attempted,
    )


def seed_deliveries(app: FastAPI) -> list[str]:
    """205 failed webhook deliveries (what the filters ask for), and deliveries the filters
    leave out; the keys of the 205, in the log's order (latest attempt first, then by key)."""
    wanted = [delivery(n) for n in range(205)]
    others = [delivery(n, handler="email") for n in range(7)]
    others += [delivery(n, status="delivered") for n in range(4)]
    services: Services = app.state.services
    with services.sessions() as session:
        session.add_all([*wanted, *others])
        session.commit()
    order = sorted(wanted, key=lambda d: (-d.last_attempt_at.timestamp(), d.idempotency_key))
    return [d.idempotency_key for d in order]


async def test_the_deliveries_go_200_a_page_with_their_filters(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    expected = seed_deliveries(app)
    async with console(app) as client:
        first = await page_of(client, "/console/deliveries?handler=webhook")
        assert (len(first.keys), first.showing, first.first_href) == (200, (1, 200), None)
        assert first.keys == expected[:200]
        assert first.next_text == "Next 200 deliveries"
        assert first.next_href is not None
        assert params_of(first.next_href).keys() == {"status", "handler", "after"}
        assert params_of(first.next_href)["status"] == "failed"
        assert params_of(first.next_href)["handler"] == "webhook"

        # A delivery attempted after page 1 was read goes to the top of page 1, and shifts
        # nothing onto page 2 (an OFFSET would show its last row twice).
        services: Services = app.state.services
        with services.sessions() as session:
            newer = delivery(9999)
            newer.last_attempt_at = NOW + timedelta(minutes=5)
            session.add(newer)
            session.commit()

        second = await page_of(client, first.next_href)
    assert second.keys == expected[200:]
    assert (second.showing, second.next_href) == ((201, 205), None)
    assert second.first_href == "/console/deliveries?status=failed&handler=webhook"
    assert set(first.keys).isdisjoint(second.keys)
    # The API lists the same rows in the same order: its answer did not change.
    api = await admin.get("/deliveries", params={"status": "failed", "handler": "webhook"})
    assert [d["idempotency_key"] for d in api.json()["data"]][1:] == expected[:99]


async def test_every_status_pages_too(app: FastAPI) -> None:
    seed_deliveries(app)
    async with console(app) as client:
        pages = await every_page(client, "/console/deliveries?status=any")
    assert [len(p.keys) for p in pages] == [200, 16]
    assert params_of(pages[0].next_href or "")["status"] == "any"
    assert len({key for p in pages for key in p.keys}) == 216


async def test_small_pages_walk_the_log_through_its_ties(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With 7 rows a page, page boundaries fall inside runs of equal last attempts."""
    expected = seed_deliveries(app)
    monkeypatch.setattr(ops, "DELIVERIES", dataclasses.replace(ops.DELIVERIES, size=7))
    async with console(app) as client:
        pages = await every_page(client, "/console/deliveries?status=failed&handler=webhook")
    assert [key for p in pages for key in p.keys] == expected
    assert [p.showing for p in pages][:2] == [(1, 7), (8, 14)]
    assert pages[-1].showing == (204, 205)


# -------------------------------------------------------------------------------- at risk


def at_risk_batches() -> tuple[list[RecordBatch], list[str]]:
    """70 cases of ACME, with 3 instances at risk each: 190 with a target (ties of target
    across cases and milestones) and 15 paused (no target, listed last), then 5 that are not at
    risk; and 10 cases of another account. The keys of ACME's 205 at-risk instances, in the
    list's order (soonest target, then case, milestone, instance; paused ones last)."""
    batches = []
    expected: list[tuple[int, datetime, str, str, int]] = []
    for c in range(80):
        account = "ACME" if c < 70 else "Initech"
        case_id = f"R-{c:03d}"
        milestones = []
        for m in range(3):
            n = c * 3 + m
            paused = 190 <= n < 205
            warned = n < 205 or account == "Initech"
            target = None if paused else NOW + timedelta(minutes=n // 4)
            milestones.append(
                MilestoneRecord(
                    case_id=case_id,
                    milestone=f"M{m}",
                    instance=1 + n % 2,
                    account_id=account,
                    process="Premium",
                    process_version=1,
                    reporting_category=None,
                    color="#D62728",
                    priority_at_start="High",
                    priority_at_end="High",
                    state="paused" if paused else "active",
                    started_at=NOW - timedelta(hours=1),
                    target_at=target,
                    warned_at=NOW - timedelta(minutes=5) if warned else None,
                    violated_at=None,
                    completed_at=None,
                    cancelled_at=None,
                    target_seconds=3600,
                    business_elapsed_seconds=3000,
                    stopped_seconds=0,
                    completed_late=False,
                    outcome=None,
                    resolved_at=None,
                    as_of=NOW,
                )
            )
            if account == "ACME" and warned:
                expected.append(
                    (int(paused), target or NOW, case_id, f"M{m}", milestones[-1].instance)
                )
        case = CaseRecord(
            case_id=case_id,
            account_id=account,
            process="Premium",
            process_version=1,
            opened_at=NOW - timedelta(hours=1),
            closed_at=None,
            sla_state="at_risk",
            breached=False,
            as_of=NOW,
        )
        batches.append(RecordBatch(revision=1, case=case, milestones=milestones))
    expected.sort()
    return batches, [f"{case_id}/{m}/{i}" for _, _, case_id, m, i in expected]


def seed_at_risk(app: FastAPI) -> list[str]:
    batches, expected = at_risk_batches()
    services: Services = app.state.services
    with services.sessions() as session:
        write_batches(session, batches)
        session.commit()
    return expected


async def test_the_at_risk_list_goes_200_a_page_with_its_filters(app: FastAPI) -> None:
    expected = seed_at_risk(app)
    assert len(expected) == 205
    async with console(app) as client:
        first = await page_of(client, "/console/at-risk?account_id=ACME&process=Premium")
        assert first.next_href is not None
        second = await page_of(client, first.next_href)
    assert (first.keys, first.showing, first.first_href) == (expected[:200], (1, 200), None)
    assert first.next_text == "Next 200 milestones at risk"
    assert {k: v for k, v in params_of(first.next_href).items() if k != "after"} == {
        "account_id": "ACME",
        "process": "Premium",
    }
    # Page 1 ends among the paused instances: page 2 goes on from there.
    assert (second.keys, second.showing, second.next_href) == (expected[200:], (201, 205), None)
    assert second.first_href == "/console/at-risk?account_id=ACME&process=Premium"


async def test_small_pages_walk_the_at_risk_list_into_the_paused_ones(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With 9 rows a page, boundaries fall inside runs of equal targets, of one case's
    instances, and between the last target and the paused instances."""
    expected = seed_at_risk(app)
    monkeypatch.setattr(ops, "AT_RISK", dataclasses.replace(ops.AT_RISK, size=9))
    async with console(app) as client:
        pages = await every_page(client, "/console/at-risk?account_id=ACME")
        everyone = await every_page(client, "/console/at-risk")
    assert [key for p in pages for key in p.keys] == expected
    assert len(pages) == 23
    assert len({key for p in everyone for key in p.keys}) == 205 + 30


# -------------------------------------------------------------------------------- usage


async def seed_usage(app: FastAPI, admin: httpx.AsyncClient) -> tuple[int, list[str]]:
    """An entitlement that covered 205 cases, five to each instant; its id and the case ids,
    newest first (then by case id, descending)."""
    await stormhaven(admin)
    body = {"name": "Incidents", "account_id": "ACME", "process": "Premium"}
    created = await admin.post("/entitlements", json=body)
    assert created.status_code == 201, created.text
    entitlement_id: int = created.json()["id"]
    covered = [
        EntitlementCaseRecord(
            case_id=f"U-{n:04d}",
            entitlement_id=entitlement_id,
            counted=n % 2 == 0,
            started_at=NOW - timedelta(minutes=n // 5),
        )
        for n in range(205)
    ]
    services: Services = app.state.services
    with services.sessions() as session:
        session.add_all(covered)
        session.commit()
    order = sorted(covered, key=lambda r: (r.started_at, r.case_id), reverse=True)
    return entitlement_id, [r.case_id for r in order]


async def test_an_entitlements_usage_goes_200_a_page(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    entitlement_id, expected = await seed_usage(app, admin)
    url = f"/console/admin/entitlements/{entitlement_id}/cases"
    async with console(app) as client:
        first = await page_of(client, url, CASE_LINK)
        assert first.next_href is not None
        second = await page_of(client, first.next_href, CASE_LINK)
    assert (first.keys, first.showing, first.first_href) == (expected[:200], (1, 200), None)
    assert first.next_text == "Next 200 cases"
    assert (second.keys, second.showing, second.next_href) == (expected[200:], (201, 205), None)
    assert second.first_href == url
    api = await admin.get(f"/entitlements/{entitlement_id}/cases", params={"limit": 1000})
    assert [row["case_id"] for row in api.json()["data"]] == expected


async def test_a_usage_that_fits_one_page_has_no_pager(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await stormhaven(admin)
    body = {"name": "Few", "account_id": "ACME", "process": "Premium"}
    entitlement_id = (await admin.post("/entitlements", json=body)).json()["id"]
    async with console(app) as client:
        response = await client.get(f"/console/admin/entitlements/{entitlement_id}/cases")
    assert response.status_code == 200
    assert "No case yet." in response.text
    assert 'class="pager"' not in response.text


# -------------------------------------------------------------------------- stale links

Tamper = Callable[[str], str]


def _edited(token: str) -> str:
    """The token with one character of its payload changed, its signature kept."""
    swapped = "B" if token[3] != "B" else "C"
    return token[:3] + swapped + token[4:]


TAMPERINGS: dict[str, Tamper] = {
    "garbage": lambda _token: "not a page token",
    "edited": _edited,
    "cut short": lambda token: token[: len(token) // 2],
    "unsigned": lambda token: token.partition(".")[0],
    "non-ascii": lambda token: token + "é",
    "too long": lambda token: token + "A" * 3000,
}


@pytest.mark.parametrize("tamper", TAMPERINGS.values(), ids=TAMPERINGS.keys())
async def test_a_tampered_page_link_answers_400_with_the_way_back(
    app: FastAPI, admin: httpx.AsyncClient, tamper: Tamper
) -> None:
    seed_deliveries(app)
    seed_at_risk(app)
    entitlement_id, _ = await seed_usage(app, admin)
    usage = f"/console/admin/entitlements/{entitlement_id}/cases"
    async with console(app) as client:
        for url, back in (
            (
                "/console/deliveries?handler=webhook",
                "/console/deliveries?status=failed&handler=webhook",
            ),
            ("/console/at-risk?account_id=ACME", "/console/at-risk?account_id=ACME"),
            (usage, usage),
        ):
            link = (await page_of(client, url, CASE_LINK)).next_href
            assert link is not None
            params = params_of(link)
            params["after"] = tamper(params["after"])
            response = await client.get(httpx.URL(link).copy_with(params=params))
            assert response.status_code == 400, (url, response.text)
            assert "start from the first page" in response.text
            first = FIRST.search(response.text)
            assert first is not None
            assert unescape(first[1]) == back
            assert ROW_KEY.search(response.text) is None
            assert CASE_LINK.search(response.text) is None


async def test_one_listings_link_cannot_position_another(app: FastAPI) -> None:
    seed_deliveries(app)
    async with console(app) as client:
        link = (await page_of(client, "/console/deliveries?handler=webhook")).next_href
        assert link is not None
        token = params_of(link)["after"]
        response = await client.get("/console/at-risk", params={"after": token})
        assert response.status_code == 400
        assert "start from the first page" in response.text
        # An empty token is the first page, as a link without one.
        empty = await client.get("/console/at-risk", params={"after": ""})
        assert empty.status_code == 200


async def test_one_entitlements_usage_link_cannot_position_anothers(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    entitlement_id, _ = await seed_usage(app, admin)
    seed_deliveries(app)
    body = {"name": "Other", "account_id": "ACME", "process": "Premium"}
    other = (await admin.post("/entitlements", json=body)).json()["id"]
    async with console(app) as client:
        usage = f"/console/admin/entitlements/{entitlement_id}/cases"
        link = (await page_of(client, usage, CASE_LINK)).next_href
        assert link is not None
        token = params_of(link)["after"]
        response = await client.get(
            f"/console/admin/entitlements/{other}/cases", params={"after": token}
        )
        assert response.status_code == 400
        assert "start from the first page" in response.text
        # Nor another filter's, whose rows before it are not this page's.
        link = (await page_of(client, "/console/deliveries?handler=webhook")).next_href
        assert link is not None
        response = await client.get(
            "/console/deliveries", params={"handler": "email", "after": params_of(link)["after"]}
        )
        assert response.status_code == 400


def test_a_token_of_another_secret_is_stale() -> None:
    cursor = paging.Cursor(200, (NOW, "key"))
    token = ops.DELIVERIES.token("one secret", cursor, "/console/deliveries")
    assert ops.DELIVERIES.cursor("one secret", token, "/console/deliveries") == cursor
    with pytest.raises(paging.StaleLinkError):
        ops.DELIVERIES.cursor("another secret", token, "/console/deliveries")


def test_a_signed_token_with_a_naive_time_is_stale() -> None:
    """A key the listing cannot read (here a time without its zone, which the database would
    refuse) is stale even under the right signature: never a 500 further down."""
    listing: Any = ops.DELIVERIES
    payload = paging._b64(b'{"n":200,"k":["2026-11-30T12:00:00","key"]}')
    token = f"{payload}.{listing._signature('s', '/console/deliveries', payload)}"
    with pytest.raises(paging.StaleLinkError):
        listing.cursor("s", token, "/console/deliveries")


SIGNED_KEYS: dict[str, tuple[str, tuple[Any, ...], int]] = {
    "an instance past any integer column": ("/console/at-risk", (NOW, "R-001", "M0", 10**30), 400),
    "an instant no database holds": (
        "/console/deliveries",
        (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=23, minutes=59))), "key"),
        400,
    ),
    "a NUL": ("/console/deliveries", (NOW, "a\x00b"), 400),
    "a lone surrogate": ("/console/deliveries", (NOW, "a\ud800b"), 400),
    "an instance (the control)": ("/console/at-risk", (NOW, "R-001", "M0", 2), 200),
    "a delivery (the control)": ("/console/deliveries", (NOW, "key"), 200),
}


@pytest.mark.parametrize(("path", "key", "status"), SIGNED_KEYS.values(), ids=SIGNED_KEYS.keys())
async def test_a_signed_key_no_database_holds_is_stale(
    app: FastAPI, path: str, key: tuple[Any, ...], status: int
) -> None:
    """A token this console signed (its secret known, or leaked) whose key the database cannot
    take answers 400 like any stale link, never a 500; one it can take is a page."""
    listing: Any = ops.AT_RISK if path == "/console/at-risk" else ops.DELIVERIES
    secret = app.state.services.settings.sla_console_secret
    first_page = "/console/deliveries?status=failed" if listing is ops.DELIVERIES else path
    token = listing.token(secret, paging.Cursor(200, key), first_page)
    async with console(app) as client:
        response = await client.get(path, params={"after": token})
    assert response.status_code == status, response.text
    assert ("start from the first page" in response.text) == (status == 400)
