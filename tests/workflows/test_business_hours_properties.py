"""Laws of business-hours arithmetic, checked by hypothesis over random calendars and instants.

The calendars mix zones of both hemispheres (30-minute and midnight DST shifts included), split
shifts, windows inside the DST hours, holidays and short days; instants range over 2024-2026.
"""

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from workflows.business_hours import WEEKDAYS, BusinessCalendar, BusinessHours, Holiday

ZONES = [
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "America/St_Johns",
    "UTC",
]
# Boundaries cluster around midnight and the hours in which clocks change.
BOUNDARIES = [f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 15, 30, 45)] + ["24:00"]
SPECIAL = ["00:00", "00:30", "01:00", "01:30", "02:00", "02:15", "02:30", "02:45", "03:00", "24:00"]
US = timedelta(microseconds=1)


def _pairs(points: list[str]) -> list[tuple[str, str]]:
    points = sorted(points, key=lambda text: (text == "24:00", text))
    return list(zip(points[::2], points[1::2], strict=False))


day_intervals = st.lists(
    st.sampled_from(BOUNDARIES + SPECIAL * 4), min_size=0, max_size=6, unique=True
).map(_pairs)
holiday_dates = st.lists(st.dates(date(2024, 1, 1), date(2027, 12, 31)), max_size=12, unique=True)
holiday_openings = st.one_of(st.none(), day_intervals)
zones = st.sampled_from(ZONES)
countries = st.sampled_from([None, None, None, "US", "GB"])


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    zone = draw(zones)
    always_open = draw(st.integers(0, 9)) == 0
    weekly = {} if always_open else {day: draw(day_intervals) for day in WEEKDAYS}
    if not always_open and not any(weekly.values()):
        weekly["wed"] = [("09:00", "17:00")]
    holidays = [
        Holiday(date=day, name="h", open=draw(holiday_openings)) for day in draw(holiday_dates)
    ]
    country = draw(countries)
    return BusinessCalendar(
        BusinessHours(
            name="random",
            time_zone=zone,
            weekly=weekly,
            always_open=always_open,
            holidays=holidays,
            holiday_country=country,
        )
    )


instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
)
durations = st.one_of(
    st.timedeltas(timedelta(0), timedelta(days=3)),
    st.timedeltas(timedelta(0), timedelta(days=60)),
    st.sampled_from([timedelta(0), US, timedelta(minutes=15), timedelta(hours=1)]),
)
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NEW_YORK_FOLD = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
NEW_YORK_GAP = datetime(2026, 3, 8, 7, tzinfo=UTC)


@PROPERTY
@given(calendars(), instants, durations)
@example(
    calendar=BusinessCalendar(
        BusinessHours(
            name="fold", time_zone="America/New_York", weekly={"sun": [("01:00", "03:00")]}
        )
    ),
    start=NEW_YORK_FOLD,
    duration=timedelta(minutes=90),
)
def test_between_inverts_add(
    calendar: BusinessCalendar, start: datetime, duration: timedelta
) -> None:
    end = calendar.add(start, duration)
    assert end >= start
    assert calendar.between(start, end) == duration


@PROPERTY
@given(calendars(), instants, durations)
def test_add_returns_the_earliest_instant(
    calendar: BusinessCalendar, start: datetime, duration: timedelta
) -> None:
    end = calendar.add(start, duration)
    if duration and end > start:
        assert calendar.between(start, end - US) < duration


@PROPERTY
@given(calendars(), instants, instants, durations)
def test_add_is_monotonic(
    calendar: BusinessCalendar, a: datetime, b: datetime, duration: timedelta
) -> None:
    early, late = min(a, b), max(a, b)
    assert calendar.add(early, duration) <= calendar.add(late, duration)
    assert calendar.add(early, duration) <= calendar.add(early, duration + US)


@PROPERTY
@given(calendars(), instants, durations, durations)
def test_add_composes(
    calendar: BusinessCalendar, start: datetime, first: timedelta, second: timedelta
) -> None:
    assert calendar.add(calendar.add(start, first), second) == calendar.add(start, first + second)


@PROPERTY
@given(calendars(), instants, instants, instants)
def test_between_is_additive_over_a_split_point(
    calendar: BusinessCalendar, a: datetime, b: datetime, c: datetime
) -> None:
    a, b, c = sorted((a, b, c))
    assert calendar.between(a, c) == calendar.between(a, b) + calendar.between(b, c)
    assert calendar.between(c, a) == -calendar.between(a, c)
    assert timedelta(0) <= calendar.between(a, c) <= c - a


@PROPERTY
@given(calendars(), instants, durations)
@example(
    calendar=BusinessCalendar(
        BusinessHours(
            name="gap", time_zone="America/New_York", weekly={"sun": [("02:30", "04:00")]}
        )
    ),
    start=NEW_YORK_GAP,
    duration=timedelta(minutes=30),
)
def test_subtract_inverts_add_at_open_instants(
    calendar: BusinessCalendar, start: datetime, duration: timedelta
) -> None:
    opened = calendar.next_open(start)
    assert calendar.subtract(calendar.add(opened, duration), duration) == opened


@PROPERTY
@given(calendars(), instants, durations)
def test_subtract_is_the_latest_start(
    calendar: BusinessCalendar, end: datetime, duration: timedelta
) -> None:
    start = calendar.subtract(end, duration)
    assert start <= end
    assert calendar.between(start, end) == duration
    if start < end:
        assert calendar.between(start + US, end) < duration


@PROPERTY
@given(calendars(), instants)
def test_next_open_is_open_and_nothing_opens_before_it(
    calendar: BusinessCalendar, at: datetime
) -> None:
    opened = calendar.next_open(at)
    assert calendar.is_open(opened)
    assert calendar.between(at, opened) == timedelta(0)
    assert calendar.is_open(at) is (opened == at)


@PROPERTY
@given(calendars(), instants)
def test_next_change_is_where_open_turns_closed_or_closed_open(
    calendar: BusinessCalendar, at: datetime
) -> None:
    """Up to `next_change` the calendar stays as it is at `at` (all open or all closed), and
    there it turns; None only when it stays open for more than a year."""
    change = calendar.next_change(at)
    if change is None:
        assert calendar.is_open(at)
        year = timedelta(days=366)
        assert calendar.between(at, at + year) == year
        return
    assert change > at
    open_now = calendar.is_open(at)
    assert calendar.between(at, change) == ((change - at) if open_now else timedelta(0))
    assert calendar.is_open(change) is not open_now
