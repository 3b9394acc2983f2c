"""The milestone clock without a server: every case rule, and its laws under random commands."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers.stormhaven import OFFICE, WAITING, follow_up_case, premium, premium_case
from workflows.case_state import Instance
from workflows.clock import CaseClock
from workflows.contract import (
    ActionRequest,
    ApplyProcess,
    Close,
    CommandInvalidError,
    CommandRejectedError,
    CompleteMilestone,
    EntitlementProcess,
    Pause,
    RecordEvent,
    Resume,
    UpdateCase,
)

NY = ZoneInfo("America/New_York")
H = timedelta(hours=1)
MIN = timedelta(minutes=1)


def ny(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=NY)  # type: ignore[misc]


FRIDAY_1630 = ny(2026, 3, 6, 16, 30)


def open_case(
    opened_at: datetime = FRIDAY_1630, now: datetime | None = None, **kw: Any
) -> CaseClock:
    start = premium_case(**kw).model_copy(update={"opened_at": opened_at})
    return CaseClock.open_case(start, now or opened_at)


def open_process(process: EntitlementProcess, opened_at: datetime, **fields: Any) -> CaseClock:
    start = premium_case(**fields).model_copy(update={"process": process, "opened_at": opened_at})
    return CaseClock.open_case(start, opened_at)


def complete(
    clock: CaseClock, milestone: str, at: datetime | None, now: datetime
) -> tuple[Instance, list[ActionRequest]]:
    """Complete a milestone: the instance completed, and the actions due."""
    applied = clock.apply(CompleteMilestone(milestone=milestone, at=at), now)
    assert applied.completed is not None
    return applied.completed, applied.requests


def keys(requests: list[ActionRequest]) -> list[str]:
    return [f"{r.milestone}/{r.kind}/{r.n}@{r.due_at.astimezone(NY):%a %H:%M}" for r in requests]


def targets(clock: CaseClock, now: datetime) -> dict[str, datetime | None]:
    return {m.name: m.target_at for m in clock.tracker(now).milestones}


class TestStormhaven:
    def test_friday_afternoon_targets_count_business_hours(self) -> None:
        clock = open_case()
        assert targets(clock, FRIDAY_1630) == {
            "First Response": ny(2026, 3, 9, 9, 30),
            "Triage": ny(2026, 3, 9, 12, 30),
            "Resolution": ny(2026, 3, 11, 16, 30),
        }
        assert clock.next_due() == ny(2026, 3, 9, 9, 15)

    def test_warning_violation_and_escalations_at_their_instants(self) -> None:
        clock = open_case()
        assert keys(clock.advance(ny(2026, 3, 9, 12, 45))) == [
            "First Response/warning/1@Mon 09:15",
            "First Response/violation/1@Mon 09:30",
            "First Response/violation/2@Mon 10:00",
            "First Response/violation/3@Mon 11:30",
            "Triage/warning/1@Mon 12:15",
            "Triage/violation/1@Mon 12:30",
        ]
        assert keys(clock.advance(ny(2026, 3, 9, 16, 0))) == [
            "Triage/violation/2@Mon 13:00",
            "Triage/violation/3@Mon 14:30",
        ]
        assert clock.sla_state(ny(2026, 3, 9, 16, 0)) == "violated"
        assert clock.next_due() == ny(2026, 3, 11, 16, 15)  # Resolution's warning

    def test_actions_carry_the_idempotency_key_and_context(self) -> None:
        clock = open_case()
        (warning,) = clock.advance(ny(2026, 3, 9, 9, 15))
        assert warning.idempotency_key == "SH-1001/First Response/1/warning/1"
        assert warning.target_at == ny(2026, 3, 9, 9, 30)
        assert warning.handler == "webhook"
        assert warning.params == {"url": "https://crm.example/hooks/first-response"}
        assert warning.case_fields["priority"] == "High"

    def test_pause_while_waiting_on_customer_moves_targets_not_elapsed(self) -> None:
        clock = open_case()
        clock.advance(ny(2026, 3, 9, 9, 15))
        before = clock.tracker(ny(2026, 3, 9, 9, 25)).milestones[0].business_elapsed
        clock.apply(UpdateCase(fields={"status": WAITING}), ny(2026, 3, 9, 9, 25))
        tracker = clock.tracker(ny(2026, 3, 9, 10, 0))
        assert tracker.paused
        assert tracker.sla_state == "paused"
        assert tracker.pause_reason == "pause_when: status eq 'Waiting on Customer'"
        assert tracker.milestones[0].target_at is None
        assert tracker.milestones[0].business_elapsed == before == 55 * MIN
        assert clock.next_due() is None
        clock.apply(UpdateCase(fields={"status": "Open"}), ny(2026, 3, 9, 11, 0))
        after = clock.tracker(ny(2026, 3, 9, 11, 0)).milestones[0]
        assert after.business_elapsed == 55 * MIN
        assert after.target_at == ny(2026, 3, 9, 11, 5)
        assert after.stopped == 95 * MIN
        assert clock.state.pauses[0].resumed_by == "rule"

    def test_completions_by_event_and_by_field(self) -> None:
        clock = open_case()
        clock.apply(RecordEvent(type="agent_replied"), ny(2026, 3, 9, 9, 20))
        clock.apply(UpdateCase(fields={"stage": "Investigating"}), ny(2026, 3, 9, 10, 0))
        clock.apply(UpdateCase(fields={"status": "Solved"}), ny(2026, 3, 10, 9, 0))
        states = {
            m.name: (m.state, m.violated) for m in clock.tracker(ny(2026, 3, 10, 9)).milestones
        }
        assert states == {
            "First Response": ("completed", False),
            "Triage": ("completed", False),
            "Resolution": ("completed", False),
        }
        assert clock.next_due() is None


class TestCompletion:
    def test_completing_exactly_at_target_is_on_time(self) -> None:
        clock = open_case()
        instance, fired = complete(clock, "First Response", None, ny(2026, 3, 9, 9, 30))
        assert instance.state == "completed"
        assert not instance.violated
        assert keys(fired) == [
            "First Response/warning/1@Mon 09:15",
            "First Response/success/1@Mon 09:30",
        ]

    def test_late_completion_is_completed_violated_and_runs_success(self) -> None:
        clock = open_case()
        instance, fired = complete(clock, "First Response", None, ny(2026, 3, 9, 9, 31))
        assert (instance.state, instance.violated) == ("completed", True)
        assert instance.violated_at == ny(2026, 3, 9, 9, 30)
        assert "First Response/success/1@Mon 09:31" in keys(fired)

    def test_backdated_completion_counts_from_at(self) -> None:
        clock = open_case()
        clock.advance(ny(2026, 3, 9, 9, 20))
        instance, _ = complete(
            clock, "First Response", ny(2026, 3, 9, 9, 25), ny(2026, 3, 9, 9, 40)
        )
        assert instance.completed_at == ny(2026, 3, 9, 9, 25)
        assert not instance.violated

    @pytest.mark.parametrize(
        ("name", "at", "message"),
        [
            ("Nope", None, "unknown milestone 'Nope': this case's are 'First Response', "),
            (
                "First Response",
                ny(2026, 3, 9, 12),
                "'at' 2026-03-09T12:00:00-04:00 is more than 5 s ahead of the case's clock",
            ),
            ("First Response", ny(2026, 3, 6, 16), "the last instant this case applied"),
            ("First Response", ny(2026, 3, 9, 9, 10), "already ran actions: give a later time"),
        ],
    )
    def test_bad_completion_is_rejected_with_reason(
        self, name: str, at: datetime | None, message: str
    ) -> None:
        clock = open_case()
        clock.advance(ny(2026, 3, 9, 9, 20))
        with pytest.raises(CommandRejectedError, match=message):
            complete(clock, name, at, ny(2026, 3, 9, 9, 20))

    def test_complete_twice_is_rejected(self) -> None:
        clock = open_case()
        complete(clock, "first response", None, ny(2026, 3, 9, 9, 20))
        with pytest.raises(CommandRejectedError, match="'First Response' is already completed"):
            complete(clock, "First Response", None, ny(2026, 3, 9, 9, 21))


class TestEventTime:
    """Commands dated `at`: applied as of that instant, as if they had arrived then."""

    def test_an_event_counts_from_when_it_happened_not_when_it_arrived(self) -> None:
        london = ZoneInfo("Europe/London")
        friday = datetime(2026, 3, 6, 16, 30, tzinfo=london)
        arrived = friday + timedelta(milliseconds=2)
        start = follow_up_case().model_copy(update={"opened_at": friday - H})
        for at, target in (
            (friday, datetime(2026, 3, 6, 17, 30, tzinfo=london)),
            (None, datetime(2026, 3, 9, 9, 0, 0, 2000, tzinfo=london)),  # a weekend later
        ):
            clock = CaseClock.open_case(start, friday - H)
            clock.apply(RecordEvent(type="customer_replied", at=at), arrived)
            assert targets(clock, arrived) == {"Reply": target}

    def test_a_backdated_pause_stops_a_warning_that_had_not_fired(self) -> None:
        clock = open_case(ny(2026, 3, 9, 9))
        # Pause dated 09:40; it arrives at 09:50, after the 09:45 warning instant passed
        # unnoticed (no timer had fired yet).
        applied = clock.apply(
            Pause(reason="on the phone", at=ny(2026, 3, 9, 9, 40)), ny(2026, 3, 9, 9, 50)
        )
        assert applied.requests == []
        status = clock.tracker(ny(2026, 3, 9, 9, 50)).milestones[0]
        assert (status.state, status.warnings_fired, status.business_elapsed) == (
            "paused",
            0,
            40 * MIN,
        )
        assert clock.state.pauses[0].paused_at == ny(2026, 3, 9, 9, 40)

    def test_a_warning_that_fired_stays_fired(self) -> None:
        clock = open_case(ny(2026, 3, 9, 9))
        assert keys(clock.advance(ny(2026, 3, 9, 9, 46))) == ["First Response/warning/1@Mon 09:45"]
        clock.apply(Pause(reason="late news", at=ny(2026, 3, 9, 9, 40)), ny(2026, 3, 9, 9, 50))
        status = clock.tracker(ny(2026, 3, 9, 9, 50)).milestones[0]
        assert (status.state, status.warnings_fired, status.warned_at) == (
            "paused",
            1,
            ny(2026, 3, 9, 9, 45),
        )
        assert status.business_elapsed == 40 * MIN
        # Resumed, the clock reaches the warning's point again: it does not run twice.
        clock.apply(Resume(), ny(2026, 3, 9, 10))
        assert keys(clock.advance(ny(2026, 3, 9, 10, 20))) == [
            "First Response/violation/1@Mon 10:20"
        ]

    def test_commands_dated_before_the_last_applied_instant_are_refused(self) -> None:
        clock = open_case(ny(2026, 3, 9, 9))
        clock.apply(Pause(reason="a", at=ny(2026, 3, 9, 9, 30)), ny(2026, 3, 9, 9, 31))
        with pytest.raises(CommandRejectedError) as refused:
            clock.apply(Resume(at=ny(2026, 3, 9, 9, 29)), ny(2026, 3, 9, 9, 32))
        assert not isinstance(refused.value, CommandInvalidError)  # 409, not 422
        assert str(refused.value) == (
            "'at' 2026-03-09T09:29:00-04:00 is before 2026-03-09T09:30:00-04:00, the last instant "
            "this case applied: send its commands in the order they happened, or without 'at'"
        )
        # Without `at`, a command is dated when it arrives, and later ones must not be earlier.
        clock.apply(Resume(), ny(2026, 3, 9, 9, 40))
        with pytest.raises(CommandRejectedError, match="is before 2026-03-09T09:40:00"):
            clock.apply(Pause(reason="b", at=ny(2026, 3, 9, 9, 35)), ny(2026, 3, 9, 9, 41))
        with pytest.raises(CommandRejectedError, match="is before 2026-03-09T09:00:00"):
            open_case(ny(2026, 3, 9, 9)).apply(
                Pause(reason="c", at=ny(2026, 3, 9, 8, 59)), ny(2026, 3, 9, 9, 1)
            )

    def test_a_little_ahead_of_the_clock_is_skew_and_applies_then(self) -> None:
        clock = open_case(ny(2026, 3, 9, 9))
        now = ny(2026, 3, 9, 9, 30)
        with pytest.raises(CommandRejectedError, match="more than 5 s ahead of the case's clock"):
            clock.apply(Pause(reason="x", at=now + timedelta(seconds=5, microseconds=1)), now)
        clock.apply(Pause(reason="x", at=now + timedelta(seconds=5)), now)
        assert clock.state.pauses[0].paused_at == now + timedelta(seconds=5)
        assert clock.applied_at == now + timedelta(seconds=5)
        # A command without `at` that arrives before Temporal's clock catches up applies then too.
        clock.apply(Resume(), now + timedelta(seconds=1))
        assert clock.state.pauses[0].resumed_at == now + timedelta(seconds=5)

    def test_an_opening_a_little_ahead_is_skew_further_is_refused(self) -> None:
        now = ny(2026, 3, 9, 9)
        assert open_case(now + timedelta(seconds=5), now=now).state.opened_at == now + timedelta(
            seconds=5
        )
        with pytest.raises(CommandInvalidError, match="is in the future"):
            open_case(now + timedelta(seconds=6), now=now)

    def test_max_pause_resuming_by_itself_is_applied(self) -> None:
        clock = open_process(premium(max_pause="1h"), ny(2026, 3, 9, 9))
        clock.apply(Pause(reason="lunch"), ny(2026, 3, 9, 9, 10))
        clock.advance(ny(2026, 3, 9, 10, 30))
        assert clock.applied_at == ny(2026, 3, 9, 10, 10)
        with pytest.raises(CommandRejectedError, match="is before 2026-03-09T10:10:00"):
            clock.apply(
                Pause(reason="dated inside the pause", at=ny(2026, 3, 9, 10)),
                ny(2026, 3, 9, 10, 30),
            )


class TestDueSummary:
    """What the timer waiting for the next due instant says in the Temporal UI."""

    def test_names_the_threshold_and_its_instant_in_utc(self) -> None:
        clock = open_case()
        due = clock.next_due()
        assert due == ny(2026, 3, 9, 9, 15)  # 15 minutes before First Response's 09:30 target
        assert clock.due_summary(due) == "First Response warning due 2026-03-09 13:15Z"

    def test_several_things_due_at_once_and_an_auto_resume(self) -> None:
        clock = open_process(premium(max_pause="2h"), ny(2026, 3, 9, 9))
        clock.advance(ny(2026, 3, 9, 9, 50))  # past the warning: the 10:00 target is next
        assert clock.due_summary(ny(2026, 3, 9, 10)) == (
            "First Response target, First Response escalation 1 due 2026-03-09 14:00Z"
        )
        clock.advance(ny(2026, 3, 9, 10))
        clock.apply(Pause(reason="waiting"), ny(2026, 3, 9, 10, 1, 30))
        resume_at = clock.next_due()
        assert resume_at == ny(2026, 3, 9, 12, 1, 30)
        assert clock.due_summary(resume_at) == "auto-resume due 2026-03-09 16:01:30Z"


class TestPause:
    def test_manual_pause_with_reason_and_resume(self) -> None:
        clock = open_case()
        clock.apply(Pause(reason="waiting for logs"), ny(2026, 3, 9, 9, 10))
        with pytest.raises(CommandRejectedError, match="already paused since"):
            clock.apply(Pause(reason="again"), ny(2026, 3, 9, 9, 11))
        clock.apply(Resume(), ny(2026, 3, 9, 10, 10))
        assert clock.state.pauses[0].reason == "waiting for logs"
        assert targets(clock, ny(2026, 3, 9, 10, 10))["First Response"] == ny(2026, 3, 9, 10, 30)

    def test_resume_when_not_paused_is_rejected(self) -> None:
        with pytest.raises(CommandRejectedError, match="not paused: there is nothing to resume"):
            open_case().apply(Resume(), ny(2026, 3, 9, 9))

    def test_max_pause_resumes_by_itself(self) -> None:
        clock = open_process(premium(max_pause="2h"), FRIDAY_1630)
        clock.apply(Pause(reason="waiting"), ny(2026, 3, 9, 9, 10))
        assert clock.next_due() == ny(2026, 3, 9, 11, 10)
        fired = clock.advance(ny(2026, 3, 9, 11, 20))
        assert clock.state.pauses[0].resumed_by == "max_pause"
        assert clock.state.pauses[0].resumed_at == ny(2026, 3, 9, 11, 10)
        # 40 min ran before the pause; 20 more from 11:10: the 09:30 target became 11:30.
        assert keys(fired) == ["First Response/warning/1@Mon 11:15"]

    def test_resume_overrides_the_pause_rule_until_it_stops_holding(self) -> None:
        clock = open_case()
        clock.apply(UpdateCase(fields={"status": WAITING}), ny(2026, 3, 9, 9, 0))
        clock.apply(Resume(), ny(2026, 3, 9, 10, 0))
        assert not clock.paused
        clock.apply(UpdateCase(fields={"priority": "High"}), ny(2026, 3, 9, 10, 5))
        assert not clock.paused
        clock.apply(UpdateCase(fields={"status": "Open"}), ny(2026, 3, 9, 10, 10))
        clock.apply(UpdateCase(fields={"status": WAITING}), ny(2026, 3, 9, 10, 20))
        assert clock.paused

    def test_paused_case_starts_new_milestones_paused(self) -> None:
        clock = open_case(status=WAITING)
        assert clock.paused
        tracker = clock.tracker(ny(2026, 3, 9, 12))
        assert {m.state for m in tracker.milestones} == {"paused"}
        assert tracker.milestones[0].business_elapsed == timedelta(0)


def customer_update(recurrence: str) -> EntitlementProcess:
    return premium(
        milestones=[
            {
                "name": "Customer Update",
                "recurrence": recurrence,
                "start_from": "criteria",
                "target": "8h",
                "complete_when": {"events": ["agent_replied"]},
                "actions": {"violation": [{"handler": "email", "params": {"to": "lead@x"}}]},
            }
        ]
    )


class TestRecurrence:
    def test_independent_starts_again_at_completion(self) -> None:
        clock = open_process(customer_update("independent"), ny(2026, 3, 9, 9))
        clock.apply(RecordEvent(type="agent_replied"), ny(2026, 3, 9, 11))
        second = clock.instance("Customer Update")
        assert second is not None
        assert (second.number, second.started_at) == (2, ny(2026, 3, 9, 11))
        assert targets(clock, ny(2026, 3, 9, 11))["Customer Update"] == ny(2026, 3, 10, 11)

    def test_sequential_keeps_the_cadence_of_the_previous_target(self) -> None:
        clock = open_process(customer_update("sequential"), ny(2026, 3, 9, 9))
        clock.apply(RecordEvent(type="agent_replied"), ny(2026, 3, 9, 11))
        second = clock.instance("Customer Update")
        assert second is not None
        assert second.started_at == ny(2026, 3, 9, 17)  # the first one's target
        assert targets(clock, ny(2026, 3, 9, 11))["Customer Update"] == ny(2026, 3, 10, 17)
        with pytest.raises(CommandRejectedError, match=r"starts at .* completed before then") as no:
            complete(clock, "Customer Update", None, ny(2026, 3, 9, 12))
        assert not isinstance(no.value, CommandInvalidError)  # not now (409), not a bad request
        # An agent reply before the next instance starts completes nothing.
        clock.apply(RecordEvent(type="agent_replied"), ny(2026, 3, 9, 12))
        assert clock.instance("Customer Update") is second
        assert second.state == "active"

    def test_sequential_after_a_late_completion_starts_at_completion(self) -> None:
        clock = open_process(customer_update("sequential"), ny(2026, 3, 9, 9))
        clock.apply(RecordEvent(type="agent_replied"), ny(2026, 3, 10, 10))
        second = clock.instance("Customer Update")
        assert second is not None
        assert second.started_at == ny(2026, 3, 10, 10)

    def test_none_happens_once(self) -> None:
        clock = open_case()
        clock.apply(RecordEvent(type="agent_replied"), ny(2026, 3, 9, 9, 5))
        clock.apply(RecordEvent(type="agent_replied"), ny(2026, 3, 9, 9, 6))
        assert [i.number for i in clock.state.instances if i.milestone == "First Response"] == [1]


class TestStartAndCancel:
    def process(self, start_from: str) -> EntitlementProcess:
        return premium(
            milestones=[
                {
                    "name": "Escalation Response",
                    "start_when": {"all": [{"field": "escalated", "op": "eq", "value": True}]},
                    "start_from": start_from,
                    "target": "2h",
                }
            ]
        )

    def test_start_from_criteria_counts_from_the_match(self) -> None:
        clock = open_process(self.process("criteria"), ny(2026, 3, 9, 9))
        clock.apply(UpdateCase(fields={"escalated": True}), ny(2026, 3, 9, 10))
        assert targets(clock, ny(2026, 3, 9, 10)) == {"Escalation Response": ny(2026, 3, 9, 12)}

    def test_start_from_process_counts_from_case_entry_minus_pauses(self) -> None:
        clock = open_process(self.process("process"), ny(2026, 3, 9, 9))
        clock.apply(Pause(reason="x"), ny(2026, 3, 9, 9, 30))
        clock.apply(Resume(), ny(2026, 3, 9, 10))
        clock.apply(UpdateCase(fields={"escalated": True}), ny(2026, 3, 9, 10, 15))
        (status,) = clock.tracker(ny(2026, 3, 9, 10, 15)).milestones
        assert status.started_at == ny(2026, 3, 9, 9)
        assert status.business_elapsed == 45 * MIN
        assert status.target_at == ny(2026, 3, 9, 11, 30)

    def test_cancelled_when_start_conditions_stop_holding(self) -> None:
        clock = open_process(self.process("criteria"), ny(2026, 3, 9, 9))
        clock.apply(UpdateCase(fields={"escalated": True}), ny(2026, 3, 9, 10))
        clock.apply(UpdateCase(fields={"escalated": False}), ny(2026, 3, 9, 10, 30))
        instance = clock.instance("Escalation Response")
        assert instance is not None
        assert (instance.state, instance.cancel_reason) == (
            "cancelled",
            "start conditions no longer hold",
        )
        assert clock.next_due() is None


class TestRetarget:
    def rules(self) -> EntitlementProcess:
        return premium(
            milestones=[
                {
                    "name": "Resolution",
                    "target": [
                        {
                            "when": {"all": [{"field": "priority", "op": "eq", "value": "Urgent"}]},
                            "target": "2h",
                        },
                        {"target": "8h"},
                    ],
                    "actions": {"violation": [{"handler": "webhook"}]},
                }
            ]
        )

    def test_priority_change_keeps_elapsed_and_takes_the_new_target(self) -> None:
        clock = open_process(self.rules(), ny(2026, 3, 9, 9), priority="Low")
        assert targets(clock, ny(2026, 3, 9, 9)) == {"Resolution": ny(2026, 3, 9, 17)}
        clock.apply(UpdateCase(fields={"priority": "Urgent"}), ny(2026, 3, 9, 10))
        (status,) = clock.tracker(ny(2026, 3, 9, 10)).milestones
        assert (status.target, status.target_at) == (2 * H, ny(2026, 3, 9, 11))
        assert status.business_elapsed == H

    def test_breach_after_retarget_is_never_taken_back(self) -> None:
        clock = open_process(self.rules(), ny(2026, 3, 9, 9), priority="Urgent")
        fired = clock.apply(UpdateCase(fields={"priority": "Low"}), ny(2026, 3, 9, 12)).requests
        assert keys(fired) == ["Resolution/violation/1@Mon 11:00"]
        clock.apply(UpdateCase(fields={"note": "x"}), ny(2026, 3, 9, 12, 5))
        instance = clock.instance("Resolution")
        assert instance is not None
        assert instance.violated
        assert instance.target == 8 * H

    def test_lowering_the_target_below_elapsed_breaches_at_once(self) -> None:
        clock = open_process(self.rules(), ny(2026, 3, 9, 9), priority="Low")
        fired = clock.apply(UpdateCase(fields={"priority": "Urgent"}), ny(2026, 3, 9, 12)).requests
        assert keys(fired) == ["Resolution/violation/1@Mon 11:00"]


class TestApplyProcessAndClose:
    def test_apply_process_keeps_history_and_retargets(self) -> None:
        clock = open_case()
        clock.apply(Pause(reason="x"), ny(2026, 3, 9, 9, 10))
        clock.apply(Resume(), ny(2026, 3, 9, 9, 40))
        v1 = premium()
        v2 = premium(
            version=2,
            milestones=[
                {**m.model_dump(), "target": 2 * H if m.name == "First Response" else m.target}
                for m in v1.milestones
                if m.name != "Triage"
            ],
        )
        clock.apply(
            ApplyProcess(process=v2, calendars={OFFICE.name: OFFICE}), ny(2026, 3, 9, 9, 50)
        )
        statuses = {m.name: m for m in clock.tracker(ny(2026, 3, 9, 9, 50)).milestones}
        assert statuses["First Response"].business_elapsed == 50 * MIN
        assert statuses["First Response"].target_at == ny(2026, 3, 9, 11, 0)
        assert statuses["Triage"].state == "cancelled"
        assert statuses["Triage"].cancel_reason == "removed by version 2"
        assert clock.state.pauses[0].reason == "x"
        with pytest.raises(CommandRejectedError, match="already runs version 2"):
            clock.apply(
                ApplyProcess(process=v2, calendars={OFFICE.name: OFFICE}), ny(2026, 3, 9, 9, 55)
            )

    def test_close_cancels_what_is_open_and_refuses_more(self) -> None:
        clock = open_case()
        clock.apply(RecordEvent(type="agent_replied"), ny(2026, 3, 9, 9, 5))
        clock.apply(Close(fields={"status": "Closed"}), ny(2026, 3, 9, 9, 30))
        tracker = clock.tracker(ny(2026, 3, 9, 9, 30))
        assert tracker.sla_state == "done"
        assert [m.state for m in tracker.milestones] == ["completed", "cancelled", "cancelled"]
        with pytest.raises(CommandRejectedError, match=r"was closed at .*: it takes no more"):
            clock.apply(Pause(reason="late"), ny(2026, 3, 9, 10))

    def test_exit_when_closes_the_case(self) -> None:
        clock = open_case()
        clock.apply(UpdateCase(fields={"status": "Closed"}), ny(2026, 3, 9, 9, 5))
        assert clock.closed

    def test_retroactive_open_catches_up_on_past_due_actions(self) -> None:
        clock = open_case(FRIDAY_1630, now=ny(2026, 3, 9, 10, 1))
        assert keys(clock.advance(ny(2026, 3, 9, 10, 1))) == [
            "First Response/warning/1@Mon 09:15",
            "First Response/violation/1@Mon 09:30",
            "First Response/violation/2@Mon 10:00",
        ]


# ------------------------------------------------------------------------------------- properties

commands = st.lists(
    st.tuples(
        st.integers(1, 240),  # minutes after the previous command
        st.sampled_from(
            [
                "advance",
                "pause",
                "resume",
                "waiting",
                "open",
                "reply",
                "triage",
                "solve",
                "urgent",
                "low",
                "complete_fr",
                "complete_res",
            ]
        ),
    ),
    max_size=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands)
def test_laws_under_random_commands(script: list[tuple[int, str]]) -> None:
    now = ny(2026, 3, 6, 15, 0)
    clock = CaseClock.open_case(premium_case().model_copy(update={"opened_at": now}), now)
    seen: list[str] = []
    paused_elapsed: dict[tuple[str, int], timedelta] = {}
    for minutes, command in script:
        now += minutes * MIN
        try:
            fired = run(clock, command, now)
        except CommandRejectedError:
            fired = clock.advance(now)
        seen += [request.idempotency_key for request in fired]
        assert all(request.due_at <= now for request in fired)
        for status in clock.tracker(now).milestones:
            key = (status.name, status.instance)
            # A pause never changes elapsed business time.
            if status.state == "paused":
                assert paused_elapsed.setdefault(key, status.business_elapsed) == (
                    status.business_elapsed
                )
            else:
                paused_elapsed.pop(key, None)
            if status.state == "completed":
                assert status.completed_at is not None
                assert status.target_at is not None
                # On time is never a violation; late is completed *and* violated.
                assert status.violated is (status.completed_at > status.target_at)
                # Success actions run either way.
                assert f"SH-1001/{status.name}/{status.instance}/success/1" in seen
        if clock.closed:
            break
    assert len(seen) == len(set(seen)), "an action was due twice"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands, st.lists(st.floats(0, 0.99), min_size=25, max_size=25))
def test_a_dated_command_applies_as_if_it_had_arrived_then(
    script: list[tuple[int, str]], lateness: list[float]
) -> None:
    """Each command reaches one case when it happens and another one later (before the next
    command happens), dated `at`: both cases end the same, with the same actions due."""
    now = ny(2026, 3, 6, 15, 0)
    start = premium_case().model_copy(update={"opened_at": now})
    on_time, late = CaseClock.open_case(start, now), CaseClock.open_case(start, now)
    fired: dict[str, list[tuple[str, datetime]]] = {"on time": [], "late": []}
    for i, (minutes, command) in enumerate(script):
        now += minutes * MIN
        gap = script[i + 1][0] if i + 1 < len(script) else 1
        arrived = now + gap * MIN * lateness[i]
        outcomes = []
        for name, clock, at, arrival in (
            ("on time", on_time, None, now),
            ("late", late, now, arrived if command != "advance" else now),
        ):
            try:
                requests = run(clock, command, arrival, at)
                outcomes.append("applied")
            except CommandRejectedError as error:
                requests = clock.advance(arrival)
                outcomes.append(str(error).replace(arrival.isoformat(), "<now>"))
            fired[name] += [(r.idempotency_key, r.due_at) for r in requests]
        assert outcomes[0] == outcomes[1]
        if on_time.closed:
            break
    end = now + H
    fired["on time"] += [(r.idempotency_key, r.due_at) for r in on_time.advance(end)]
    fired["late"] += [(r.idempotency_key, r.due_at) for r in late.advance(end)]
    assert sorted(fired["on time"]) == sorted(fired["late"])
    assert on_time.tracker(end) == late.tracker(end)
    assert sorted(map(repr, on_time.timeline())) == sorted(map(repr, late.timeline()))


def run(
    clock: CaseClock, command: str, now: datetime, at: datetime | None = None
) -> list[ActionRequest]:
    match command:
        case "advance":
            return clock.advance(now)
        case "pause":
            return clock.apply(Pause(reason="random", at=at), now).requests
        case "resume":
            return clock.apply(Resume(at=at), now).requests
        case "waiting" | "open":
            status = WAITING if command == "waiting" else "Open"
            return clock.apply(UpdateCase(fields={"status": status}, at=at), now).requests
        case "reply":
            return clock.apply(RecordEvent(type="agent_replied", at=at), now).requests
        case "triage":
            return clock.apply(UpdateCase(fields={"stage": "Triaged"}, at=at), now).requests
        case "solve":
            return clock.apply(UpdateCase(fields={"status": "Solved"}, at=at), now).requests
        case "urgent" | "low":
            fields = {"priority": command.title()}
            return clock.apply(UpdateCase(fields=fields, at=at), now).requests
        case "complete_fr":
            return complete(clock, "First Response", at, now)[1]
        case _:
            return complete(clock, "Resolution", at, now)[1]


def test_the_tracker_says_what_each_clock_does_and_when_that_changes() -> None:
    """Stormhaven's New York hours: Friday 16:30 EST runs until 17:00, then stands still until
    Monday 09:00; a pause stops it; a completion ends it."""
    friday = FRIDAY_1630
    clock = CaseClock.open_case(premium_case(), friday)
    first = clock.tracker(friday, asked=True).milestones[0]
    assert (first.clock, first.clock_changes_at) == ("running", ny(2026, 3, 6, 17))
    evening = friday + timedelta(hours=1)
    clock.advance(evening)
    later = clock.tracker(evening, asked=True).milestones[0]
    assert (later.clock, later.clock_changes_at) == (
        "outside_hours",
        ny(2026, 3, 9, 9),  # 09:00 EDT: the clocks went forward on Sunday
    )
    clock.apply(Pause(reason="on a call"), evening)
    paused = clock.tracker(evening, asked=True).milestones[0]
    assert (paused.clock, paused.clock_changes_at) == ("paused", None)
    clock.apply(CompleteMilestone(milestone="First Response"), evening)
    done = clock.tracker(evening, asked=True).milestones[0]
    assert (done.clock, done.clock_changes_at) == ("ended", None)
