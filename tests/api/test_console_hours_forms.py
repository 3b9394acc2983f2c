"""The console's business-hours forms over HTTP, on the real app and database: an admin signs
in with the session cookie and posts forms with their CSRF token, as a browser does. A created
or edited calendar is read back through `GET /business-hours/{id}`; a refusal is checked at its
field (its message, `aria-describedby`, the values kept); a calendar a published process names
keeps its name and cannot be deleted; ops keys look without changing, agent keys do not look.
"""

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers.api import ADMIN_KEY, client_for, key_with

LIST = "/console/admin/business-hours"
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
WEEK = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "")
LONDON = {
    "name": "London office",
    "time_zone": "Europe/London",
    **WEEK,
    "mon": "09:00-12:00, 13:00-17:30",
    "tue": " 09:00 - 17:00 ",
    "fri": "09:00\u201316:00",  # an en dash, as the week view prints intervals
    "holidays": "2026-12-25 Christmas\n\n2026-12-24 09:00-13:00, 14:00-15:00 Christmas Eve\n",
    "holiday_country": "GB",
    "holiday_subdivision": "ENG",
}
"""A calendar as an admin fills the form in."""


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join("".join(self.parts).split())


class Elements(HTMLParser):
    """Every element of a page that has an id: its attributes and its text."""

    VOID = frozenset({"input", "meta", "link", "br", "img", "hr"})

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: dict[str, Element] = {}
        self.open: list[str | None] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = {name: value or "" for name, value in attrs}
        if "id" in given:
            self.found[given["id"]] = Element(tag, given)
        if tag not in self.VOID:
            self.open.append(given.get("id"))

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.open:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        for element_id in self.open:
            if element_id is not None:
                self.found[element_id].parts.append(data)

    def __getitem__(self, element_id: str) -> Element:
        return self.found[element_id]

    def __contains__(self, element_id: object) -> bool:
        return element_id in self.found


@dataclass
class Console:
    """A browser's session on the console: its cookie in `client`, its forms' token."""

    client: httpx.AsyncClient
    csrf: str

    async def post(self, path: str, form: dict[str, str]) -> httpx.Response:
        return await self.client.post(path, data={**form, "csrf": self.csrf})


@asynccontextmanager
async def console_as(app: FastAPI, key: str) -> AsyncIterator[Console]:
    async with client_for(app, None) as client:
        sign_in = await client.get("/console/sign-in")
        token = CSRF.search(sign_in.text)
        assert token is not None
        form = {"key": key, "csrf": token[1], "next": LIST}
        signed = await client.post("/console/sign-in", data=form)
        assert signed.status_code == 303, signed.text
        # Signing in issues a new session, with a new token: read it off a page.
        listing = await client.get(LIST)
        assert listing.status_code in (200, 403), listing.text
        token = CSRF.search(listing.text)
        assert token is not None
        yield Console(client, token[1])


@pytest.fixture
async def console(app: FastAPI) -> AsyncIterator[Console]:
    async with console_as(app, ADMIN_KEY) as signed_in:
        yield signed_in


async def stored(admin: httpx.AsyncClient, hours_id: int | str) -> dict[str, Any]:
    response = await admin.get(f"/business-hours/{hours_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return {k: v for k, v in body.items() if k not in ("id", "created_at", "updated_at")}


async def calendar_names(admin: httpx.AsyncClient) -> list[str]:
    return [c["name"] for c in (await admin.get("/business-hours")).json()["data"]]


def id_of_redirect(response: httpx.Response, saved: str) -> int:
    assert response.status_code == 303, response.text
    match = re.fullmatch(rf"{LIST}/(\d+)\?saved={saved}", response.headers["location"])
    assert match is not None, response.headers["location"]
    return int(match[1])


def assert_refused_at(page: Elements, name: str, message: str) -> None:
    """`message` is shown next to the field, which points at it and is marked invalid."""
    assert message in page[f"error-{name}"].text
    described = page[f"f-{name}"].attrs["aria-describedby"].split()
    assert f"error-{name}" in described
    assert page[f"f-{name}"].attrs["aria-invalid"] == "true"


async def test_an_admin_creates_a_calendar_and_the_api_reads_it_back(
    console: Console, admin: httpx.AsyncClient
) -> None:
    listing = await console.client.get(LIST)
    assert f'href="{LIST}/new">New business hours</a>' in listing.text
    new = await console.client.get(f"{LIST}/new")
    assert new.status_code == 200
    form = Elements(new.text)
    # The create form starts from office hours in UTC.
    assert (form["f-time_zone"].attrs["value"], form["f-mon"].attrs["value"]) == (
        "UTC",
        "09:00-17:00",
    )
    assert form["f-sat"].attrs["value"] == ""
    assert form["f-time_zone"].attrs["list"] == "time-zones"
    assert "Europe/London" in new.text

    created = await console.post(LIST, LONDON)
    hours_id = id_of_redirect(created, "created")
    assert await stored(admin, hours_id) == {
        "name": "London office",
        "time_zone": "Europe/London",
        "weekly": {
            "mon": [["09:00", "12:00"], ["13:00", "17:30"]],
            "tue": [["09:00", "17:00"]],
            "fri": [["09:00", "16:00"]],
        },
        "always_open": False,
        "holidays": [
            {"date": "2026-12-25", "name": "Christmas", "open": None},
            {
                "date": "2026-12-24",
                "name": "Christmas Eve",
                "open": [["09:00", "13:00"], ["14:00", "15:00"]],
            },
        ],
        "holiday_country": "GB",
        "holiday_subdivision": "ENG",
        "pinned_holidays": [],
    }
    shown = await console.client.get(created.headers["location"])
    assert shown.status_code == 200
    page = Elements(shown.text)
    assert page["saved"].text == "Done: created."
    assert "Edit" in shown.text
    assert f'href="{LIST}/{hours_id}/edit"' in shown.text
    assert "09:00\u201312:00" in shown.text
    assert "13:00\u201317:30" in shown.text


async def test_an_always_open_calendar_needs_no_weekday(
    console: Console, admin: httpx.AsyncClient
) -> None:
    form = {"name": "Follow the sun", "time_zone": "UTC", "always_open": "on", **WEEK}
    hours_id = id_of_redirect(await console.post(LIST, form), "created")
    assert (await stored(admin, hours_id))["always_open"] is True
    assert (await stored(admin, hours_id))["weekly"] == {}


async def test_a_malformed_interval_is_shown_at_its_weekday_with_the_values_kept(
    console: Console, admin: httpx.AsyncClient
) -> None:
    form = {**LONDON, "tue": "09:00-12:00, 1300", "wed": "9:00-17:00", "thu": "17:00-09:00"}
    response = await console.post(LIST, form)
    assert response.status_code == 422
    page = Elements(response.text)
    assert_refused_at(
        page,
        "tue",
        "'1300' is not an interval: write start and end as 'HH:MM-HH:MM', several separated by "
        "commas, e.g. '09:00-12:00, 13:00-17:30'",
    )
    # The times are the model's to judge, in its words.
    assert_refused_at(
        page, "wed", "'9:00' is not a time of day: write 'HH:MM' from '00:00' to '24:00'"
    )
    assert_refused_at(page, "thu", "interval ['17:00', '09:00'] ends before it starts")
    assert "error-mon" not in page
    assert page["f-tue"].attrs["value"] == "09:00-12:00, 1300"
    assert page["f-name"].attrs["value"] == "London office"
    assert page["f-holidays"].text == (
        "2026-12-25 Christmas 2026-12-24 09:00-13:00, 14:00-15:00 Christmas Eve"
    )
    assert "Nothing was saved: fix the fields marked below." in page["form-errors"].text
    assert await calendar_names(admin) == []


async def test_an_unknown_time_zone_is_refused_in_the_models_words(
    console: Console, admin: httpx.AsyncClient
) -> None:
    response = await console.post(LIST, {**LONDON, "time_zone": "Mars/Olympus"})
    assert response.status_code == 422
    page = Elements(response.text)
    assert_refused_at(
        page,
        "time_zone",
        "unknown time zone 'Mars/Olympus': use an IANA name such as 'America/New_York'",
    )
    assert page["f-time_zone"].attrs["value"] == "Mars/Olympus"
    assert await calendar_names(admin) == []


async def test_a_bad_holiday_is_shown_at_its_line(console: Console) -> None:
    holidays = "2026-12-25 Christmas\n2026-13-01 Nonsense\n\n2026-12-24 09:00-25:00 Eve"
    response = await console.post(LIST, {**LONDON, "holidays": holidays})
    assert response.status_code == 422
    page = Elements(response.text)
    assert "line 2, date: Input should be a valid date" in page["error-holidays"].text
    assert (
        "line 4, open: '25:00' is not a time of day: write 'HH:MM' from '00:00' to '24:00'"
        in page["error-holidays"].text
    )
    assert page["f-holidays"].attrs["aria-invalid"] == "true"

    twice = await console.post(LIST, {**LONDON, "holidays": "2026-12-25 A\n2026-12-25 B"})
    assert twice.status_code == 422
    assert_refused_at(
        Elements(twice.text), "holidays", "holiday 2026-12-25 is listed twice: keep one entry"
    )


async def test_the_calendars_own_rules_are_shown_at_the_field_they_name(
    console: Console,
) -> None:
    both = await console.post(LIST, {**LONDON, "always_open": "on"})
    assert both.status_code == 422
    assert_refused_at(
        Elements(both.text),
        "always_open",
        "an always_open calendar takes no weekly hours: drop one of them",
    )
    country = await console.post(LIST, {**LONDON, "holiday_country": "XX"})
    assert_refused_at(
        Elements(country.text),
        "holiday_country",
        "unknown holiday_country 'XX': use an ISO 3166 code such as 'US' or 'GB'",
    )
    alone = await console.post(LIST, {**LONDON, "holiday_country": ""})
    assert_refused_at(
        Elements(alone.text), "holiday_country", "holiday_subdivision needs holiday_country"
    )
    # A rule about the whole calendar goes to the summary at the top of the form.
    closed = await console.post(LIST, {**LONDON, **WEEK, "holidays": ""})
    assert closed.status_code == 422
    assert (
        "the calendar has no open time at all: give weekly hours or set always_open"
        in Elements(closed.text)["form-errors"].text
    )


async def test_a_name_taken_is_refused_at_the_name(
    console: Console, admin: httpx.AsyncClient
) -> None:
    id_of_redirect(await console.post(LIST, LONDON), "created")
    response = await console.post(LIST, {**LONDON, "name": "LONDON Office"})
    assert response.status_code == 409
    page = Elements(response.text)
    assert_refused_at(
        page,
        "name",
        "business hours named 'LONDON Office' already exist: names are unique "
        "case-insensitively, since processes refer to calendars by name",
    )
    assert page["f-name"].attrs["value"] == "LONDON Office"
    assert await calendar_names(admin) == ["London office"]


async def test_an_admin_edits_a_calendar_and_what_the_form_does_not_show_is_kept(
    console: Console, admin: httpx.AsyncClient
) -> None:
    body = {
        "name": "London office",
        "time_zone": "Europe/London",
        "weekly": {"mon": [["09:00", "12:00"], ["13:00", "17:30"]]},
        "holidays": [{"date": "2026-12-24", "name": "Christmas Eve", "open": [["09:00", "13:00"]]}],
        "pinned_holidays": ["2027-01-01"],
    }
    created = await admin.post("/business-hours", json=body)
    assert created.status_code == 201, created.text
    hours_id = created.json()["id"]

    edit = await console.client.get(f"{LIST}/{hours_id}/edit")
    assert edit.status_code == 200
    form = Elements(edit.text)
    values = {name: form[f"f-{name}"].attrs["value"] for name in ("name", "time_zone", "mon")}
    assert values == {
        "name": "London office",
        "time_zone": "Europe/London",
        "mon": "09:00-12:00, 13:00-17:30",
    }
    assert form["f-holidays"].text == "2026-12-24 09:00-13:00 Christmas Eve"
    assert form["f-tue"].attrs["value"] == ""
    assert "checked" not in form["f-always_open"].attrs

    changed = {
        **WEEK,
        "name": "London office",
        "time_zone": "Europe/London",
        "mon": "08:00-12:00, 13:00-17:30",
        "sat": "10:00-14:00",
        "holidays": "2026-12-24 09:00-13:00 Christmas Eve\n2026-12-31 New Year's Eve",
    }
    saved = await console.post(f"{LIST}/{hours_id}", changed)
    assert id_of_redirect(saved, "saved") == hours_id
    after = await stored(admin, hours_id)
    assert after["weekly"] == {
        "mon": [["08:00", "12:00"], ["13:00", "17:30"]],
        "sat": [["10:00", "14:00"]],
    }
    assert after["holidays"][1] == {"date": "2026-12-31", "name": "New Year's Eve", "open": None}
    assert after["pinned_holidays"] == ["2027-01-01"]
    shown = Elements((await console.client.get(saved.headers["location"])).text)
    assert shown["saved"].text == "Done: saved."

    # A refused edit keeps what was typed, under the calendar's stored name.
    refused = await console.post(f"{LIST}/{hours_id}", {**changed, "name": "", "sun": "noon"})
    assert refused.status_code == 422
    page = Elements(refused.text)
    assert_refused_at(page, "name", "String should have at least 1 character")
    assert "'noon' is not an interval" in page["error-sun"].text
    assert page["f-sun"].attrs["value"] == "noon"
    assert "<h1>Edit London office</h1>" in refused.text
    assert (await stored(admin, hours_id))["weekly"] == after["weekly"]


async def test_a_calendar_a_process_names_keeps_its_name_and_cannot_be_deleted(
    console: Console, admin: httpx.AsyncClient
) -> None:
    hours_id = id_of_redirect(await console.post(LIST, LONDON), "created")
    type_made = await admin.post("/milestone-types", json={"name": "First Response"})
    assert type_made.status_code == 201, type_made.text
    process = {
        "name": "Premium",
        "business_hours": "London office",
        "milestones": [{"milestone_type": "First Response", "target": "1h"}],
    }
    assert (await admin.post("/entitlement-processes", json=process)).status_code == 201

    renamed = await console.post(f"{LIST}/{hours_id}", {**LONDON, "name": "Paris office"})
    assert renamed.status_code == 409
    assert_refused_at(
        Elements(renamed.text),
        "name",
        "business hours 'London office' are named by published process 'Premium' version 1: "
        "keep the name",
    )
    # New hours under the same name are fine: running cases keep the ones they pinned.
    same_name = await console.post(f"{LIST}/{hours_id}", {**LONDON, "sat": "10:00-12:00"})
    assert id_of_redirect(same_name, "saved") == hours_id

    deleted = await console.post(f"{LIST}/{hours_id}/delete", {})
    assert deleted.status_code == 409
    page = Elements(deleted.text)
    assert page["delete-error"].text == (
        "Nothing was deleted: business hours 'London office' are named by published process "
        "'Premium' version 1: they cannot be deleted"
    )
    assert page["f-sat"].attrs["value"] == "10:00-12:00"  # the stored calendar, to edit
    assert await calendar_names(admin) == ["London office"]


async def test_an_unused_calendar_is_deleted(console: Console, admin: httpx.AsyncClient) -> None:
    hours_id = id_of_redirect(await console.post(LIST, LONDON), "created")
    edit = Elements((await console.client.get(f"{LIST}/{hours_id}/edit")).text)
    assert edit["delete-title"].text == "Delete"
    deleted = await console.post(f"{LIST}/{hours_id}/delete", {})
    assert deleted.status_code == 303
    assert deleted.headers["location"] == f"{LIST}?saved=deleted"
    assert (await admin.get(f"/business-hours/{hours_id}")).status_code == 404
    listing = await console.client.get(deleted.headers["location"])
    assert "Done: deleted." in listing.text
    missing = await console.client.get(f"{LIST}/{hours_id}/edit")
    assert missing.status_code == 404
    assert f"business hours {hours_id} do not exist" in missing.text


async def test_ops_keys_look_without_changing_and_agents_do_not_look(
    app: FastAPI, console: Console, admin: httpx.AsyncClient
) -> None:
    hours_id = id_of_redirect(await console.post(LIST, LONDON), "created")
    refused_token = await console.client.post(LIST, data={**LONDON, "name": "No token"})
    assert refused_token.status_code == 403
    assert "security token is missing or out of date" in refused_token.text

    async with console_as(app, await key_with(admin, "ops")) as ops:
        listing = await ops.client.get(LIST)
        assert listing.status_code == 200
        assert "London office" in listing.text
        assert "New business hours" not in listing.text
        calendar = await ops.client.get(f"{LIST}/{hours_id}")
        assert calendar.status_code == 200
        assert f"{hours_id}/edit" not in calendar.text
        edit = await ops.client.get(f"{LIST}/{hours_id}/edit")
        assert edit.status_code == 200
        assert "<fieldset disabled>" in edit.text
        assert "Save business hours" not in edit.text
        assert "delete-title" not in Elements(edit.text)
        assert (await ops.client.get(f"{LIST}/new")).status_code == 403
        for path, form in (
            (LIST, {**LONDON, "name": "Forged"}),
            (f"{LIST}/{hours_id}", {**LONDON, "mon": "00:00-24:00"}),
            (f"{LIST}/{hours_id}/delete", {}),
        ):
            refused = await ops.post(path, form)
            assert refused.status_code == 403, path
            assert "Changing configuration needs the 'admin' role." in unescape(refused.text)

    async with console_as(app, await key_with(admin, "agent")) as agent:
        assert (await agent.client.get(LIST)).status_code == 403
        assert (await agent.client.get(f"{LIST}/{hours_id}/edit")).status_code == 403
    assert await calendar_names(admin) == ["London office"]
    assert (await stored(admin, hours_id))["weekly"]["mon"] == [
        ["09:00", "12:00"],
        ["13:00", "17:30"],
    ]
