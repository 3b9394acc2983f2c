"""The console's pure parts: what a milestone's clock does, read from two tracker answers a
second apart (`api.console.views`), and the signed session cookie (`api.console.session`)."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from api.console.session import csrf_matches, decode, encode, new_session
from api.console.views import milestone_view
from workflows.contract import MilestoneStatus

NOW = datetime(2026, 3, 6, 16, 30, tzinfo=UTC)
S = timedelta(seconds=1)


def status(**fields: Any) -> MilestoneStatus:
    base: dict[str, Any] = {
        "name": "First Response",
        "instance": 1,
        "color": "#D62728",
        "recurrence": "none",
        "state": "active",
        "violated": False,
        "started_at": NOW - timedelta(minutes=10),
        "target": timedelta(hours=1),
        "target_at": NOW + timedelta(minutes=50),
        "business_elapsed": timedelta(minutes=10),
        "business_remaining": timedelta(minutes=50),
        "stopped": timedelta(0),
        "time_since_target": None,
        "warnings_fired": 0,
    }
    return MilestoneStatus(**{**base, **fields})


def later(now: MilestoneStatus, elapsed: timedelta, **fields: Any) -> MilestoneStatus:
    return now.model_copy(
        update={
            "business_elapsed": now.business_elapsed + elapsed,
            "business_remaining": max(now.business_remaining - elapsed, timedelta(0)),
            **fields,
        }
    )


def test_a_running_clock_counts_down() -> None:
    now = status()
    view = milestone_view(now, later(now, S), NOW, "America/New_York")
    assert (view.status, view.counting, view.remaining.rate, view.elapsed.rate) == (
        "Running",
        "down",
        -1,
        1,
    )
    assert view.target_in_zone == "Fri 06 Mar 2026, 12:20:00 EST (America/New_York)"


def test_a_clock_outside_business_hours_stands_still_and_says_why() -> None:
    now = status(target_at=NOW + timedelta(days=3))
    view = milestone_view(now, later(now, timedelta(0)), NOW, "UTC")
    assert (view.status, view.counting, view.remaining.rate) == (
        "Stopped: outside business hours",
        "still",
        0,
    )


def test_a_paused_clock_stands_still_and_counts_its_stopped_time() -> None:
    now = status(state="paused", target_at=None)
    view = milestone_view(now, later(now, timedelta(0), stopped=S), NOW, "UTC", "on a call")
    assert (view.status, view.counting, view.stopped.rate) == ("Paused: on a call", "still", 1)


def test_an_overdue_clock_counts_up() -> None:
    now = status(
        violated=True,
        business_remaining=timedelta(0),
        business_elapsed=timedelta(hours=1, minutes=5),
        target_at=NOW - timedelta(minutes=5),
        time_since_target=timedelta(minutes=5),
    )
    view = milestone_view(
        now, later(now, S, time_since_target=timedelta(minutes=5) + S), NOW, "UTC"
    )
    assert view.overdue is not None
    assert (view.status, view.counting, view.overdue.rate) == ("Violated: overdue", "up", 1)


@pytest.mark.parametrize(("violated", "shown"), [(False, "Met"), (True, "Completed late")])
def test_a_completed_clock_says_whether_it_was_met(violated: bool, shown: str) -> None:
    now = status(state="completed", violated=violated, completed_at=NOW)
    view = milestone_view(now, now, NOW, "UTC")
    assert (view.status, view.counting, view.open) == (shown, "still", False)


def test_a_session_cookie_holds_only_what_was_signed() -> None:
    session = new_session("a" * 64, NOW, timedelta(hours=8))
    cookie = encode(session, "secret")
    assert decode(cookie, "secret", NOW) == session
    assert decode(cookie, "another secret", NOW) is None
    body, mac = cookie.split(".")
    assert decode(f"{body}x.{mac}", "secret", NOW) is None
    assert decode(cookie, "secret", NOW + timedelta(hours=8)) is None  # expired
    assert decode(None, "secret", NOW) is None
    assert csrf_matches(session, session.csrf)
    assert not csrf_matches(session, None)
    assert not csrf_matches(session, "0" * 32)
