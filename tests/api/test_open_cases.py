"""The open cases of an owner as the console's "My cases" reads them from the milestone records
(`api.crud.reports.open_cases`): closed cases and other owners left out, violated first, then at
risk, on track and paused, each by its next deadline, which is the earliest target of its running
instances (a missed one included; paused and ended ones not)."""

from datetime import UTC, datetime, timedelta

from fastapi import FastAPI

from api.crud.reports import open_cases
from api.deps import Services
from database.records import write_batch
from workflows.contract import InstanceState, SlaState
from workflows.records import CaseRecord, MilestoneRecord, RecordBatch

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def batch(
    case_id: str,
    state: SlaState,
    instances: list[tuple[InstanceState, datetime]],
    owner: str = "dana",
    closed: bool = False,
) -> RecordBatch:
    case = CaseRecord(
        case_id=case_id,
        account_id="ACME",
        process="Premium",
        process_version=1,
        owner=owner,
        opened_at=NOW - timedelta(days=1),
        closed_at=NOW if closed else None,
        sla_state="done" if closed else state,
        breached=state == "violated",
        as_of=NOW,
    )
    milestones = [
        MilestoneRecord(
            case_id=case_id,
            milestone=f"M{n}",
            instance=1,
            account_id="ACME",
            process="Premium",
            process_version=1,
            reporting_category=None,
            color="#D62728",
            priority_at_start=None,
            priority_at_end=None,
            state=instance_state,
            started_at=NOW - timedelta(days=1),
            target_at=target_at,
            warned_at=None,
            violated_at=None,
            completed_at=NOW if instance_state == "completed" else None,
            cancelled_at=None,
            target_seconds=3600,
            business_elapsed_seconds=0,
            stopped_seconds=0,
            completed_late=False,
            outcome="met" if instance_state == "completed" else None,
            resolved_at=NOW if instance_state == "completed" else None,
            as_of=NOW,
        )
        for n, (instance_state, target_at) in enumerate(instances)
    ]
    return RecordBatch(revision=1, case=case, milestones=milestones)


def test_my_cases_are_the_open_ones_most_urgent_first(app: FastAPI) -> None:
    hours = [NOW + timedelta(hours=n) for n in range(6)]
    services: Services = app.state.services
    with services.sessions() as session:
        for written in (
            batch("on-track", "on_track", [("active", hours[3]), ("completed", hours[0])]),
            batch("at-risk-later", "at_risk", [("active", hours[5])]),
            batch("paused", "paused", [("paused", hours[1])]),
            batch("at-risk-sooner", "at_risk", [("active", hours[4]), ("paused", hours[2])]),
            batch("violated", "violated", [("active", NOW - timedelta(hours=1))]),
            batch("closed", "on_track", [("active", hours[1])], closed=True),
            batch("someone-else", "violated", [("active", hours[1])], owner="ravi"),
        ):
            write_batch(session, written)
        session.commit()
        mine = open_cases(session, owner="dana", account_id=None, limit=10)
        everyone = open_cases(session, owner=None, account_id=None, limit=10)
        first_two = open_cases(session, owner="dana", account_id=None, limit=2)
    assert [(case.case_id, case.next_deadline) for case in mine] == [
        ("violated", NOW - timedelta(hours=1)),
        ("at-risk-sooner", hours[4]),  # the paused instance's target does not run
        ("at-risk-later", hours[5]),
        ("on-track", hours[3]),  # the completed instance's target is over
        ("paused", None),
    ]
    assert {case.case_id for case in everyone} == {
        "violated",
        "someone-else",
        "at-risk-sooner",
        "at-risk-later",
        "on-track",
        "paused",
    }
    assert [case.case_id for case in first_two] == ["violated", "at-risk-sooner"]
