"""`/business-hours`: the `BusinessHours` model stored as is, its preview and its holidays."""

import httpx

from tests.helpers.factories import create_calendar, create_type, premium_body
from tests.helpers.stormhaven import OFFICE


async def test_create_business_hours_stores_the_model(admin: httpx.AsyncClient) -> None:
    created = await create_calendar(admin)
    assert {k: v for k, v in created.items() if k not in ("id", "created_at", "updated_at")} == (
        OFFICE.model_dump(mode="json")
    )
    read = await admin.get(f"/business-hours/{created['id']}")
    assert read.json() == created
    listing = await admin.get("/business-hours")
    assert [item["name"] for item in listing.json()["data"]] == ["Stormhaven US"]


async def test_create_business_hours_rejects_what_the_model_rejects(
    admin: httpx.AsyncClient,
) -> None:
    overlapping = {
        "name": "Bad",
        "time_zone": "Europe/London",
        "weekly": {"mon": [["09:00", "13:00"], ["12:00", "17:00"]]},
    }
    response = await admin.post("/business-hours", json=overlapping)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "weekly", "mon"]
    assert error["msg"] == (
        "Value error, intervals ['09:00', '13:00'] and ['12:00', '17:00'] overlap: merge them "
        "into one"
    )
    directory = await admin.post(
        "/business-hours", json={"name": "Bad", "time_zone": "America", "always_open": True}
    )
    assert directory.status_code == 422
    [zone_error] = directory.json()["detail"]
    assert zone_error["loc"] == ["body", "time_zone"]
    assert zone_error["msg"] == (
        "Value error, unknown time zone 'America': use an IANA name such as 'America/New_York'"
    )
    closed = await admin.post("/business-hours", json={"name": "Never", "time_zone": "UTC"})
    assert closed.json()["detail"][0]["msg"] == (
        "Value error, the calendar has no open time at all: give weekly hours or set always_open"
    )


async def test_business_hours_names_unique_case_insensitively(admin: httpx.AsyncClient) -> None:
    await create_calendar(admin)
    response = await admin.post(
        "/business-hours", json={"name": "STORMHAVEN us", "always_open": True}
    )
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "business hours named 'STORMHAVEN us' already exist: names are unique "
        "case-insensitively, since processes refer to calendars by name"
    )


async def test_replace_and_delete_business_hours(admin: httpx.AsyncClient) -> None:
    created = await create_calendar(admin)
    path = f"/business-hours/{created['id']}"
    replaced = await admin.put(path, json={"name": "Follow the sun", "always_open": True})
    assert replaced.status_code == 200
    assert (replaced.json()["name"], replaced.json()["always_open"]) == ("Follow the sun", True)
    assert (await admin.delete(path)).status_code == 204
    missing = await admin.get(path)
    assert missing.status_code == 404
    assert missing.json() == {"detail": f"business hours {created['id']} do not exist"}


async def test_business_hours_named_by_a_process_keep_their_name(admin: httpx.AsyncClient) -> None:
    calendar = await create_calendar(admin)
    for name in ("First Response", "Triage", "Resolution"):
        await create_type(admin, name)
    assert (await admin.post("/entitlement-processes", json=premium_body())).status_code == 201
    path = f"/business-hours/{calendar['id']}"
    renamed = await admin.put(path, json={**OFFICE.model_dump(mode="json"), "name": "Renamed"})
    assert renamed.status_code == 409
    assert renamed.json()["detail"] == (
        "business hours 'Stormhaven US' are named by published process 'Premium' version 1: "
        "keep the name (processes refer to calendars by name), or create a calendar under the "
        "new name"
    )
    new_hours = {**OFFICE.model_dump(mode="json"), "weekly": {"mon": [["08:00", "18:00"]]}}
    assert (await admin.put(path, json=new_hours)).status_code == 200
    deleted = await admin.delete(path)
    assert deleted.status_code == 409
    assert deleted.json()["detail"] == (
        "business hours 'Stormhaven US' are named by published process 'Premium' version 1: "
        "they cannot be deleted"
    )


async def test_preview_business_hours_gives_target_at(admin: httpx.AsyncClient) -> None:
    created = await create_calendar(admin)
    path = f"/business-hours/{created['id']}/preview"
    # Friday 16:30 New York + 1 business hour: Monday 09:30 EDT (the README's example).
    friday = "2026-03-06T16:30:00-05:00"
    for duration in ("1h", "PT1H", "60m"):
        response = await admin.get(path, params={"start": friday, "duration": duration})
        assert response.status_code == 200, response.text
        assert response.json() == {
            "start": "2026-03-06T21:30:00Z",
            "duration": "PT1H",
            "target_at": "2026-03-09T13:30:00Z",
            "target_at_local": "2026-03-09T09:30:00-04:00",
            "time_zone": "America/New_York",
        }
    # Thanksgiving is closed, Christmas Eve open 09:00-13:00 only.
    thanksgiving = await admin.get(
        path, params={"start": "2026-11-25T16:00:00-05:00", "duration": "2h"}
    )
    assert thanksgiving.json()["target_at_local"] == "2026-11-27T10:00:00-05:00"


async def test_preview_business_hours_rejects_bad_input(admin: httpx.AsyncClient) -> None:
    created = await create_calendar(admin)
    path = f"/business-hours/{created['id']}/preview"
    days = await admin.get(path, params={"duration": "2d"})
    assert days.status_code == 422
    assert days.json()["detail"] == [
        {
            "loc": ["query", "duration"],
            "msg": "Value error, '2d': write business durations in hours and minutes ('8h' for "
            "an 8-hour business day); a day or week of business time depends on the calendar",
            "type": "value_error",
        }
    ]
    naive = await admin.get(path, params={"duration": "1h", "start": "2026-03-06T16:30:00"})
    assert naive.status_code == 422
    assert naive.json()["detail"][0]["loc"] == ["query", "start"]
    far = await admin.get(path, params={"duration": "100000000h", "start": "9999-01-01T00:00:00Z"})
    assert far.status_code == 422
    missing = await admin.get("/business-hours/9999/preview", params={"duration": "1h"})
    assert missing.status_code == 404


async def test_read_holidays_explicit_and_public(admin: httpx.AsyncClient) -> None:
    created = await create_calendar(
        admin,
        holiday_country="US",
        holidays=[
            {"date": "2026-07-03", "name": "Company day", "open": [["09:00", "12:00"]]},
            {"date": "2026-12-24", "name": "Christmas Eve"},
        ],
    )
    response = await admin.get(f"/business-hours/{created['id']}/holidays", params={"year": 2026})
    assert response.status_code == 200
    days = {h["date"]: (h["name"], h["open"], h["source"]) for h in response.json()["data"]}
    assert days["2026-07-03"] == ("Company day", [["09:00", "12:00"]], "explicit")
    assert days["2026-07-04"] == ("Independence Day", None, "public")
    assert days["2026-12-24"] == ("Christmas Eve", None, "explicit")
    assert days["2026-12-25"] == ("Christmas Day", None, "public")
    assert response.json()["count"] == len(days) == 13  # 12 public dates + Christmas Eve
    assert list(days) == sorted(days)
    other_year = await admin.get(f"/business-hours/{created['id']}/holidays?year=2027")
    assert "2027-07-05" in {h["date"] for h in other_year.json()["data"]}  # observed Monday
