"""A long case's compacted state: the pauses it leaves out keep exactly their instants, and a
clock loaded from a compacted state answers every open instance's countdown as before. The
two-year case on the time-skipping server is tests/workflows/test_long_case.py."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tests.helpers.stormhaven import OFFICE, premium
from workflows.case_state import CaseState, decode_spans, encode_spans
from workflows.clock import CaseClock
from workflows.compaction import compacted
from workflows.contract import Pause, RecordEvent, Resume, StartCase

MICROSECOND = timedelta(microseconds=1)
START = datetime(1995, 1, 1, tzinfo=UTC)


@st.composite
def ended_pauses(draw: st.DrawFn) -> list[tuple[datetime, datetime]]:
    """Pauses in order, each ended, apart or back to back, to the microsecond."""
    spans = []
    cursor = START + draw(st.integers(0, 10**15)) * MICROSECOND
    for _ in range(draw(st.integers(0, 30))):
        begin = cursor + draw(st.integers(0, 10**12)) * MICROSECOND
        end = begin + draw(st.integers(0, 10**12)) * MICROSECOND
        spans.append((begin, end))
        cursor = end
    return spans


@given(ended_pauses(), st.integers(0, 30))
def test_pauses_left_out_keep_their_instants_exactly(
    spans: list[tuple[datetime, datetime]], split: int
) -> None:
    # Left out over several continued runs: what an earlier run encoded, a later one extends.
    first, later = spans[:split], spans[split:]
    encoded = encode_spans(later, encode_spans(first, []))
    assert list(decode_spans(encoded)) == spans
    assert len(encoded) == 2 * len(spans)


def test_a_clock_loaded_from_a_compacted_state_counts_as_before() -> None:
    opened = datetime(2026, 3, 2, 14, tzinfo=UTC)  # a Monday, 09:00 in New York
    clock = CaseClock.open_case(
        StartCase(
            case_id="C-1",
            fields={"status": "New", "stage": "New", "priority": "High"},
            opened_at=opened,
            process=premium(),
            calendars={OFFICE.name: OFFICE},
        ),
        opened,
    )
    day = timedelta(days=1)
    for n in range(20):  # a pause a day for four weeks; First Response met on the first
        at = opened + n * day + timedelta(hours=2)
        clock.apply(Pause(reason=f"call {n}"), at)
        clock.apply(Resume(), at + timedelta(minutes=45))
        if n == 0:
            clock.apply(RecordEvent(type="agent_replied"), at + timedelta(hours=1))
    now = opened + 30 * day
    clock.advance(now)
    before = clock.tracker(now)
    carried = compacted(clock)
    assert [(i.milestone, i.segments_derived) for i in carried.instances] == [
        ("Triage", True),
        ("Resolution", True),
    ]
    loaded = CaseClock(CaseState.model_validate(carried.model_dump(mode="json")))
    after = loaded.tracker(now)
    assert [m.name for m in after.milestones] == ["Triage", "Resolution"]
    assert after.milestones == [m for m in before.milestones if m.name != "First Response"]
    assert after.left_out is not None
    assert (after.left_out.instances, after.left_out.pauses) == (1, 20)
    assert loaded.next_due() == clock.next_due()
    assert not loaded.state.instances[1].segments_derived  # derived again on loading
    assert loaded.state.instances[1].segments == clock.state.instances[2].segments
