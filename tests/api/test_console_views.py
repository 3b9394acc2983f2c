"""The console's pure parts: what a milestone's countdown does, read from its tracker's clock
(`api.console.views`), My cases' order, and the signed session cookie (`api.console.session`)."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from api.console.session import csrf_matches, decode, encode, new_session
from api.console.views import Figure, case_rows, case_view, milestone_view
from api.crud.reports import OpenCase
from workflows.contract import CaseTracker, MilestoneStatus

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


def test_a_running_clock_counts_down() -> None:
    view = milestone_view(status(), NOW, "America/New_York")
    assert (view.status, view.counting, view.remaining.rate, view.elapsed.rate) == (
        "Running",
        "down",
        -1,
        1,
    )
    assert view.target_in_zone == "Fri 06 Mar 2026, 12:20:00 EST (America/New_York)"


def test_a_clock_outside_business_hours_stands_still_and_says_why() -> None:
    opens = NOW + timedelta(days=2, hours=16)
    now = status(target_at=NOW + timedelta(days=3), clock="outside_hours", clock_changes_at=opens)
    view = milestone_view(now, NOW, "UTC")
    assert (view.status, view.counting, view.remaining.rate, view.changes_at) == (
        "Stopped: outside business hours",
        "still",
        0,
        opens,
    )


def test_a_paused_clock_stands_still_and_counts_its_stopped_time() -> None:
    view = milestone_view(
        status(state="paused", target_at=None, clock="paused"), NOW, "UTC", "call"
    )
    assert (view.status, view.counting, view.stopped.rate) == ("Paused: call", "still", 1)


def test_an_overdue_clock_counts_up() -> None:
    now = status(
        violated=True,
        business_remaining=timedelta(0),
        business_elapsed=timedelta(hours=1, minutes=5),
        target_at=NOW - timedelta(minutes=5),
        time_since_target=timedelta(minutes=5),
    )
    view = milestone_view(now, NOW, "UTC")
    assert view.overdue is not None
    assert (view.status, view.counting, view.overdue.rate) == ("Violated: overdue", "up", 1)


@pytest.mark.parametrize(("violated", "shown"), [(False, "Met"), (True, "Completed late")])
def test_a_completed_clock_says_whether_it_was_met(violated: bool, shown: str) -> None:
    done = status(state="completed", violated=violated, completed_at=NOW, clock="ended")
    view = milestone_view(done, NOW, "UTC")
    assert (view.status, view.counting, view.open) == (shown, "still", False)


def test_the_page_comes_back_when_a_clock_changes_or_runs_out() -> None:
    closes = NOW + timedelta(minutes=20)
    tracker = CaseTracker(
        case_id="C-1",
        process="Premium",
        process_version=1,
        sla_state="on_track",
        fields={},
        opened_at=NOW - timedelta(minutes=10),
        closed_at=None,
        paused=False,
        pause_reason=None,
        next_deadline=NOW + timedelta(minutes=50),
        as_of=NOW,
        as_of_source="caller",
        milestones=[status(clock_changes_at=closes)],
        pauses=[],
    )
    assert case_view(tracker, {}).refresh_in == 30  # at least every 30 s
    soon = tracker.model_copy(update={"milestones": [status(clock_changes_at=NOW + 5 * S)]})
    assert case_view(soon, {}).refresh_in == 6
    due = status(business_remaining=3 * S)
    assert case_view(tracker.model_copy(update={"milestones": [due]}), {}).refresh_in == 4


def open_case(case_id: str, state: str, deadline: datetime | None) -> OpenCase:
    return OpenCase(case_id, state, "Premium", None, deadline)


def test_my_cases_puts_violated_then_at_risk_first_each_by_deadline() -> None:
    rows = case_rows(
        [
            open_case("on-track", "on_track", NOW + timedelta(minutes=5)),
            open_case("at-risk-later", "at_risk", NOW + timedelta(hours=2)),
            open_case("paused", "paused", NOW + timedelta(minutes=1)),
            open_case("violated", "violated", NOW - timedelta(minutes=3)),
            open_case("at-risk-sooner", "at_risk", NOW + timedelta(hours=1)),
        ],
        NOW,
    )
    assert [row.case.case_id for row in rows] == [
        "violated",
        "at-risk-sooner",
        "at-risk-later",
        "on-track",
        "paused",
    ]
    overdue = rows[0]
    assert (overdue.overdue, overdue.deadline) == (True, Figure(180.0, 1))
    assert rows[1].deadline == Figure(3600.0, -1)
    assert rows[-1].deadline is None


def test_a_session_cookie_holds_only_what_was_signed() -> None:
    session = new_session(NOW, timedelta(hours=8), signed_in=True)
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
