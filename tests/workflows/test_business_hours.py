"""Named examples for every rule of business-hours arithmetic (DESIGN.md "Time semantics").

Each case states its answer as a wall-clock time (with its UTC offset where the day is ambiguous) so
a reader can check it against a calendar on the wall.
"""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from workflows.business_hours import (
    ALWAYS_OPEN,
    WEEKDAYS,
    BusinessCalendar,
    BusinessHours,
    BusinessHoursError,
    Holiday,
    calendar_for,
)

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
LONDON = ZoneInfo("Europe/London")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
SANTIAGO = ZoneInfo("America/Santiago")
H = timedelta(hours=1)
MIN = timedelta(minutes=1)
US = timedelta(microseconds=1)


def at(zone: ZoneInfo, *parts: int, fold: int = 0) -> datetime:
    """A wall-clock time; in a repeated hour, fold=1 is the second pass.

    Results are compared in UTC: Python compares an instant in a repeated hour unequal to every
    instant of another zone (PEP 495), and same-zone datetimes by their wall clock.
    """
    return datetime(*parts, tzinfo=zone, fold=fold).astimezone(UTC)  # type: ignore[misc]


def calendar(
    zone: str = "America/New_York",
    days: tuple[str, ...] = WEEKDAYS[:5],
    intervals: tuple[tuple[str, str], ...] = (("09:00", "17:00"),),
    **extra: object,
) -> BusinessCalendar:
    weekly = {day: list(intervals) for day in days}
    return BusinessCalendar(BusinessHours(name="test", time_zone=zone, weekly=weekly, **extra))  # type: ignore[arg-type]


OFFICE = calendar()


class TestAdd:
    def test_duration_that_uses_up_a_window_ends_at_its_close(self) -> None:
        assert OFFICE.add(at(NEW_YORK, 2026, 3, 2, 9), 8 * H) == at(NEW_YORK, 2026, 3, 2, 17)

    def test_friday_afternoon_rolls_over_the_weekend(self) -> None:
        friday = at(NEW_YORK, 2026, 2, 27, 16, 30)
        assert OFFICE.add(friday, H) == at(NEW_YORK, 2026, 3, 2, 9, 30)

    def test_start_outside_hours_counts_from_the_next_opening(self) -> None:
        saturday = at(NEW_YORK, 2026, 2, 28, 11)
        assert OFFICE.add(saturday, 30 * MIN) == at(NEW_YORK, 2026, 3, 2, 9, 30)

    def test_zero_duration_is_the_start_itself_even_when_closed(self) -> None:
        saturday = at(NEW_YORK, 2026, 2, 28, 11)
        assert OFFICE.add(saturday, timedelta(0)) == saturday

    def test_result_is_utc_and_exact_to_the_microsecond(self) -> None:
        start = datetime(2026, 3, 2, 9, tzinfo=NEW_YORK)
        result = OFFICE.add(start, timedelta(hours=1, microseconds=7))
        assert result.tzinfo is UTC
        assert result == datetime(2026, 3, 2, 15, 0, 0, 7, tzinfo=UTC)

    def test_start_given_in_another_zone_is_the_same_instant(self) -> None:
        start = datetime(2026, 3, 2, 23, tzinfo=ZoneInfo("Asia/Tokyo"))
        assert OFFICE.add(start, 8 * H) == at(NEW_YORK, 2026, 3, 2, 17)

    def test_lunch_break_is_skipped(self) -> None:
        lunch = calendar(intervals=(("09:00", "12:00"), ("13:00", "17:00")))
        assert lunch.add(at(NEW_YORK, 2026, 3, 2, 11, 30), H) == at(NEW_YORK, 2026, 3, 2, 13, 30)
        assert lunch.add(at(NEW_YORK, 2026, 3, 2, 9), 3 * H) == at(NEW_YORK, 2026, 3, 2, 12)

    def test_night_shift_split_at_midnight_runs_through_it(self) -> None:
        night = BusinessCalendar(
            BusinessHours(
                name="night",
                time_zone="America/New_York",
                weekly={
                    **{day: [("21:00", "24:00")] for day in ("mon", "tue", "wed", "thu", "fri")},
                    **{day: [("00:00", "03:00")] for day in ("tue", "wed", "thu", "fri", "sat")},
                },
            )
        )
        monday_late = at(NEW_YORK, 2026, 3, 2, 23)
        assert night.add(monday_late, 2 * H) == at(NEW_YORK, 2026, 3, 3, 1)
        assert night.between(monday_late, at(NEW_YORK, 2026, 3, 3, 1)) == 2 * H
        # Friday night's shift ends Saturday 03:00; the next opens Monday 21:00.
        assert night.add(at(NEW_YORK, 2026, 3, 7, 2), 2 * H) == at(NEW_YORK, 2026, 3, 9, 22)

    def test_weekend_only_calendar(self) -> None:
        weekend = calendar(days=("sat", "sun"), intervals=(("10:00", "16:00"),))
        assert weekend.add(at(NEW_YORK, 2026, 3, 6, 12), H) == at(NEW_YORK, 2026, 3, 7, 11)
        assert weekend.add(at(NEW_YORK, 2026, 3, 7, 15), 2 * H) == at(NEW_YORK, 2026, 3, 8, 11)

    def test_always_open_is_plain_elapsed_time_across_dst(self) -> None:
        always = BusinessCalendar(ALWAYS_OPEN)
        start = at(NEW_YORK, 2026, 3, 7, 12)
        assert always.add(start, 24 * H) == at(NEW_YORK, 2026, 3, 8, 13)
        assert always.between(start, at(NEW_YORK, 2026, 3, 8, 12)) == 23 * H

    def test_always_open_with_a_holiday_closes_that_day(self) -> None:
        always = BusinessCalendar(
            BusinessHours(
                name="24x7 but Christmas",
                time_zone="Europe/Berlin",
                always_open=True,
                holidays=[Holiday(date=date(2026, 12, 25), name="Christmas")],
            )
        )
        assert always.add(at(BERLIN, 2026, 12, 24, 23), 2 * H) == at(BERLIN, 2026, 12, 26, 1)

    def test_a_year_of_business_time(self) -> None:
        # 2,080 h of a 40 h week (no holidays) is 52 weeks: the same weekday and time.
        start = at(NEW_YORK, 2026, 3, 2, 10)
        assert OFFICE.add(start, 2080 * H) == at(NEW_YORK, 2027, 3, 1, 10)


class TestDaylightSaving:
    def test_us_spring_forward_weekend_counts_business_time_not_wall_time(self) -> None:
        friday = at(NEW_YORK, 2026, 3, 6, 16)  # EST, -05:00
        monday = at(NEW_YORK, 2026, 3, 9, 10)  # EDT, -04:00
        assert OFFICE.add(friday, 2 * H) == monday
        assert OFFICE.between(friday, monday) == 2 * H
        assert monday - friday == 65 * H  # of real time

    def test_window_starting_in_the_gap_opens_at_the_transition(self) -> None:
        gap = calendar(days=("sun",), intervals=(("02:30", "04:00"),))
        sunday = at(NEW_YORK, 2026, 3, 8, 0)
        assert gap.next_open(sunday) == datetime(2026, 3, 8, 7, tzinfo=UTC)  # 03:00 EDT
        assert gap.between(sunday, at(NEW_YORK, 2026, 3, 9)) == H

    def test_window_ending_in_the_gap_closes_at_the_transition(self) -> None:
        gap = calendar(days=("sun",), intervals=(("01:00", "02:30"),))
        assert gap.add(at(NEW_YORK, 2026, 3, 8, 1), H) == datetime(2026, 3, 8, 7, tzinfo=UTC)
        assert gap.between(at(NEW_YORK, 2026, 3, 8), at(NEW_YORK, 2026, 3, 9)) == H

    def test_us_fall_back_window_holds_all_its_real_time(self) -> None:
        fold = calendar(days=("sun",), intervals=(("01:00", "03:00"),))
        sunday = at(NEW_YORK, 2026, 11, 1)
        assert fold.between(sunday, at(NEW_YORK, 2026, 11, 2)) == 3 * H
        assert fold.add(at(NEW_YORK, 2026, 11, 1, 1), 2 * H) == at(NEW_YORK, 2026, 11, 1, 2)

    def test_window_inside_the_repeated_hour_is_open_in_both_passes(self) -> None:
        fold = calendar(days=("sun",), intervals=(("01:15", "01:45"),))
        first_pass = at(NEW_YORK, 2026, 11, 1, 1, 15)  # EDT
        second_pass = at(NEW_YORK, 2026, 11, 1, 1, 15, fold=1)  # EST
        assert fold.is_open(first_pass)
        assert fold.is_open(second_pass)
        assert not fold.is_open(at(NEW_YORK, 2026, 11, 1, 1, 50))
        assert fold.add(first_pass, 45 * MIN) == at(NEW_YORK, 2026, 11, 1, 1, 30, fold=1)
        assert fold.between(at(NEW_YORK, 2026, 11, 1), at(NEW_YORK, 2026, 11, 2)) == H

    def test_24x7_fall_back_day_has_25_hours(self) -> None:
        always = calendar(days=WEEKDAYS, intervals=(("00:00", "24:00"),))
        assert always.between(at(NEW_YORK, 2026, 11, 1), at(NEW_YORK, 2026, 11, 2)) == 25 * H
        assert always.between(at(NEW_YORK, 2026, 3, 8), at(NEW_YORK, 2026, 3, 9)) == 23 * H

    def test_eu_spring_forward_removes_the_skipped_hour(self) -> None:
        early = calendar("Europe/Berlin", ("sun",), (("01:00", "04:00"),))
        assert early.between(at(BERLIN, 2026, 3, 29), at(BERLIN, 2026, 3, 30)) == 2 * H
        assert early.add(at(BERLIN, 2026, 3, 29, 1), H) == at(BERLIN, 2026, 3, 29, 3)

    def test_eu_fall_back_repeats_the_hour(self) -> None:
        early = calendar("Europe/Berlin", ("sun",), (("02:00", "03:00"),))
        assert early.between(at(BERLIN, 2026, 10, 25), at(BERLIN, 2026, 10, 26)) == 2 * H
        assert early.add(at(BERLIN, 2026, 10, 25, 2), 90 * MIN) == at(
            BERLIN, 2026, 10, 25, 2, 30, fold=1
        )

    def test_london_office_week_across_the_change(self) -> None:
        office = calendar("Europe/London")
        friday = at(LONDON, 2026, 3, 27, 16)
        assert office.add(friday, 2 * H) == at(LONDON, 2026, 3, 30, 10)
        assert office.add(friday, 2 * H) == datetime(2026, 3, 30, 9, tzinfo=UTC)

    def test_lord_howe_half_hour_fall_back(self) -> None:
        # 02:00 +11:00 becomes 01:30 +10:30: the wall clock reads 01:30-02:00 twice.
        early = calendar("Australia/Lord_Howe", ("sun",), (("01:00", "03:00"),))
        assert early.between(at(LORD_HOWE, 2026, 4, 5), at(LORD_HOWE, 2026, 4, 6)) == 150 * MIN

    def test_lord_howe_half_hour_spring_forward(self) -> None:
        # 02:00 +10:30 becomes 02:30 +11:00: a 02:00-03:00 window keeps half an hour.
        early = calendar("Australia/Lord_Howe", ("sun",), (("02:00", "03:00"),))
        sunday = at(LORD_HOWE, 2026, 10, 4)
        assert early.between(sunday, at(LORD_HOWE, 2026, 10, 5)) == 30 * MIN
        assert early.next_open(sunday) == datetime(2026, 10, 3, 15, 30, tzinfo=UTC)

    def test_santiago_midnight_fall_back_belongs_to_the_old_date(self) -> None:
        # Saturday 4 April 2026 24:00 -04:00... the clock goes back to 23:00: Saturday lasts 25 h.
        late = calendar("America/Santiago", ("sat",), (("23:00", "24:00"),))
        saturday = at(SANTIAGO, 2026, 4, 4)
        assert late.between(saturday, at(SANTIAGO, 2026, 4, 6)) == 2 * H

    def test_santiago_midnight_spring_forward_day_starts_at_one(self) -> None:
        early = calendar("America/Santiago", ("sun",), (("00:00", "02:00"),))
        sunday = datetime(2026, 9, 6, 3, tzinfo=UTC)  # Saturday 23:00 -04:00
        assert early.next_open(sunday) == datetime(2026, 9, 6, 4, tzinfo=UTC)  # 01:00 -03:00
        assert early.between(sunday, sunday + 24 * H) == H


class TestHolidays:
    def test_christmas_eve_short_day_then_christmas_closed(self) -> None:
        festive = calendar(
            holidays=[
                Holiday(date=date(2026, 12, 24), name="Christmas Eve", open=[("09:00", "13:00")]),
                Holiday(date=date(2026, 12, 25), name="Christmas"),
            ]
        )
        eve_noon = at(NEW_YORK, 2026, 12, 24, 12)
        assert festive.add(eve_noon, H) == at(NEW_YORK, 2026, 12, 24, 13)
        assert festive.add(eve_noon, 2 * H) == at(NEW_YORK, 2026, 12, 28, 10)
        assert not festive.is_open(at(NEW_YORK, 2026, 12, 24, 14))
        assert festive.between(at(NEW_YORK, 2026, 12, 21), at(NEW_YORK, 2026, 12, 28)) == 28 * H

    def test_holiday_short_day_can_open_a_closed_weekday(self) -> None:
        festive = calendar(
            holidays=[Holiday(date=date(2026, 12, 26), name="Sale", open=[("10:00", "12:00")])]
        )
        assert festive.next_open(at(NEW_YORK, 2026, 12, 25, 18)) == at(NEW_YORK, 2026, 12, 26, 10)

    def test_us_public_holidays_close_both_the_day_and_its_observed_date(self) -> None:
        us = calendar(holiday_country="US")
        # Independence Day 2026 is a Saturday, observed Friday 3 July.
        thursday = at(NEW_YORK, 2026, 7, 2, 16)
        assert us.add(thursday, 2 * H) == at(NEW_YORK, 2026, 7, 6, 10)
        assert not us.is_open(at(NEW_YORK, 2026, 11, 26, 10))  # Thanksgiving

    def test_subdivision_holidays(self) -> None:
        scotland = calendar("Europe/London", holiday_country="GB", holiday_subdivision="SCT")
        england = calendar("Europe/London", holiday_country="GB", holiday_subdivision="ENG")
        second_of_january = at(LONDON, 2026, 1, 2, 10)  # a Friday; a bank holiday in Scotland
        assert not scotland.is_open(second_of_january)
        assert england.is_open(second_of_january)

    def test_explicit_entry_wins_over_the_country_holiday(self) -> None:
        us = calendar(
            holiday_country="US",
            holidays=[Holiday(date=date(2026, 11, 26), name="Open", open=[("09:00", "12:00")])],
        )
        assert us.is_open(at(NEW_YORK, 2026, 11, 26, 10))

    def test_with_public_holidays_pins_the_same_deadlines(self) -> None:
        hours = BusinessHours(
            name="us",
            time_zone="America/New_York",
            weekly={day: [("09:00", "17:00")] for day in WEEKDAYS[:5]},
            holiday_country="US",
        )
        pinned = hours.with_public_holidays(2026, 2027)
        assert pinned.holiday_country is None
        assert date(2026, 7, 3) in pinned.pinned_holidays
        assert len(pinned.pinned_holidays) == 27  # observed dates included
        assert pinned.with_public_holidays(2026, 2027) == pinned  # pinning again changes nothing
        live, frozen = BusinessCalendar(hours), BusinessCalendar(pinned)
        for month in range(1, 13):
            for year in (2026, 2027):
                start = at(NEW_YORK, year, month, 1, 15)
                assert live.add(start, 40 * H) == frozen.add(start, 40 * H)
        # Round-tripped through JSON, as a case's input is, it answers the same.
        thawed = BusinessCalendar(BusinessHours.model_validate_json(pinned.model_dump_json()))
        start = at(NEW_YORK, 2026, 12, 23, 15)
        assert thawed.add(start, 40 * H) == live.add(start, 40 * H)


class TestEdges:
    @pytest.mark.parametrize(
        ("instant", "open_"),
        [
            (at(NEW_YORK, 2026, 3, 2, 9) - US, False),
            (at(NEW_YORK, 2026, 3, 2, 9), True),
            (at(NEW_YORK, 2026, 3, 2, 17) - US, True),
            (at(NEW_YORK, 2026, 3, 2, 17), False),
        ],
    )
    def test_windows_are_closed_open(self, instant: datetime, open_: bool) -> None:
        assert OFFICE.is_open(instant) is open_

    def test_add_one_microsecond_either_side_of_the_close(self) -> None:
        close = at(NEW_YORK, 2026, 3, 2, 17)
        assert OFFICE.add(close - US, US) == close
        assert OFFICE.add(close, US) == at(NEW_YORK, 2026, 3, 3, 9) + US

    def test_next_open(self) -> None:
        assert OFFICE.next_open(at(NEW_YORK, 2026, 3, 2, 10)) == at(NEW_YORK, 2026, 3, 2, 10)
        assert OFFICE.next_open(at(NEW_YORK, 2026, 3, 2, 17)) == at(NEW_YORK, 2026, 3, 3, 9)

    def test_subtract(self) -> None:
        monday = at(NEW_YORK, 2026, 3, 9, 10)
        assert OFFICE.subtract(monday, 2 * H) == at(NEW_YORK, 2026, 3, 6, 16)
        # The latest start: Tuesday 09:00 minus a whole day is Monday 09:00, not Friday 17:00.
        assert OFFICE.subtract(at(NEW_YORK, 2026, 3, 3, 9), 8 * H) == at(NEW_YORK, 2026, 3, 2, 9)
        assert OFFICE.subtract(monday, timedelta(0)) == monday

    def test_between_is_negative_when_reversed(self) -> None:
        a, b = at(NEW_YORK, 2026, 3, 2, 9), at(NEW_YORK, 2026, 3, 2, 12)
        assert OFFICE.between(b, a) == -3 * H

    def test_between_across_years_and_far_apart_indexes(self) -> None:
        cal = calendar("UTC", WEEKDAYS, (("00:00", "24:00"),))
        a = datetime(2026, 6, 1, tzinfo=UTC)
        b = datetime(2090, 6, 1, tzinfo=UTC)
        assert cal.between(a, b) == b - a
        assert cal.add(datetime(2030, 1, 1, tzinfo=UTC), H) == datetime(2030, 1, 1, 1, tzinfo=UTC)

    def test_calendar_for_shares_one_calendar_per_definition(self) -> None:
        hours = BusinessHours(name="x", weekly={"mon": [("09:00", "17:00")]})
        same = BusinessHours(name="x", weekly={"mon": [("09:00", "17:00")]})
        assert calendar_for(hours) is calendar_for(same)


class TestErrors:
    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"time_zone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
            ({"time_zone": "America"}, "unknown time zone 'America'"),
            ({"time_zone": "x" * 300}, "unknown time zone 'xxxx"),
            ({"weekly": {"mon": [("17:00", "09:00")]}}, "ends before it starts"),
            ({"weekly": {"mon": [("09:00", "25:00")]}}, "'25:00' is not a time of day"),
            ({"weekly": {"mon": [("9:00", "17:00")]}}, "'9:00' is not a time of day"),
            ({"weekly": {"mon": [("24:00", "24:00")]}}, "cannot start at '24:00'"),
            (
                {"weekly": {"mon": [("09:00", "12:00"), ("11:00", "13:00")]}},
                "overlap: merge them into one",
            ),
            ({"weekly": {}}, "no open time at all"),
            ({"weekly": {"mon": []}}, "no open time at all"),
            ({"always_open": True, "weekly": {"mon": [("09:00", "17:00")]}}, "takes no weekly"),
            ({"holiday_country": "XX"}, "unknown holiday_country 'XX'"),
            ({"holiday_country": "US", "holiday_subdivision": "ZZ"}, "unknown holiday_subdiv"),
            ({"holiday_subdivision": "NY"}, "holiday_subdivision needs holiday_country"),
            ({"weekly": {"monday": [("09:00", "17:00")]}}, "Input should be 'mon'"),
            (
                {
                    "holidays": [
                        {"date": "2026-12-25", "name": "a"},
                        {"date": "2026-12-25", "name": "b"},
                    ]
                },
                "listed twice",
            ),
        ],
    )
    def test_bad_calendar_is_rejected_with_what_to_fix(
        self, fields: dict[str, object], message: str
    ) -> None:
        base: dict[str, object] = {"name": "bad", "weekly": {"mon": [("09:00", "17:00")]}}
        with pytest.raises(ValidationError, match=message) as raised:
            BusinessHours.model_validate({**base, **fields})
        assert isinstance(raised.value, ValueError)

    def test_naive_datetime_is_rejected(self) -> None:
        with pytest.raises(BusinessHoursError, match="timezone-aware"):
            OFFICE.add(datetime(2026, 3, 2, 9), H)
        with pytest.raises(BusinessHoursError, match="timezone-aware"):
            OFFICE.between(at(NEW_YORK, 2026, 3, 2, 9), datetime(2026, 3, 2, 10))
        with pytest.raises(BusinessHoursError, match="timezone-aware"):
            OFFICE.is_open(datetime(2026, 3, 2, 9))

    def test_negative_duration_is_rejected(self) -> None:
        with pytest.raises(BusinessHoursError, match="must not be negative"):
            OFFICE.add(at(NEW_YORK, 2026, 3, 2, 9), -H)
        with pytest.raises(BusinessHoursError, match="must not be negative"):
            OFFICE.subtract(at(NEW_YORK, 2026, 3, 2, 9), -H)

    def test_open_time_beyond_ten_years_is_an_error_not_a_loop(self) -> None:
        one_day_only = BusinessCalendar(
            BusinessHours(
                name="one day",
                holidays=[Holiday(date=date(2026, 12, 24), name="x", open=[("09:00", "13:00")])],
            )
        )
        assert one_day_only.add(datetime(2026, 1, 1, tzinfo=UTC), H) == datetime(
            2026, 12, 24, 10, tzinfo=UTC
        )
        later = datetime(2027, 1, 1, tzinfo=UTC)
        with pytest.raises(BusinessHoursError, match="no open time within 10 years after"):
            one_day_only.add(later, H)
        with pytest.raises(BusinessHoursError, match="no open time within 10 years after"):
            one_day_only.next_open(later)
        with pytest.raises(BusinessHoursError, match="no open time within 10 years before"):
            one_day_only.subtract(datetime(2026, 1, 1, tzinfo=UTC), H)


def test_shared_calendar_answers_alike_from_many_threads() -> None:
    # Workflows share calendars (calendar_for) and run on a thread pool: growing the index from
    # several threads at once must never show a reader a half-built one.
    hours = BusinessHours(
        name="shared",
        time_zone="Europe/Berlin",
        weekly={day: [("08:00", "12:00"), ("13:00", "17:00")] for day in WEEKDAYS[:5]},
        holiday_country="DE",
    )
    starts = [
        datetime(2024 + n % 17, 1 + n % 12, 1 + n % 28, n % 24, tzinfo=UTC) for n in range(400)
    ]
    expected = [BusinessCalendar(hours).add(start, 40 * H) for start in starts]
    shared = BusinessCalendar(hours)
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda start: shared.add(start, 40 * H), starts))
    assert got == expected


class _Interleaved(BusinessCalendar):
    """A calendar on which 'another thread' moves the shared index to `elsewhere` right after
    each question found its index: the interleaving that once made `add` answer in 2034 for a
    start in 2030 (it grew the moved index instead of one covering the start)."""

    def __init__(self, hours: BusinessHours, elsewhere: datetime) -> None:
        super().__init__(hours)
        self.elsewhere = elsewhere
        self.moving = False

    def _covering(self, first: int, last: int | None = None) -> Any:
        index = super()._covering(first, last)
        if not self.moving:
            self.moving = True
            self.is_open(self.elsewhere)
            self.moving = False
        return index


def test_a_question_grows_an_index_that_covers_it_when_another_thread_moved_the_index() -> None:
    hours = BusinessHours(
        name="moved",
        time_zone="Europe/Berlin",
        weekly={day: [("08:00", "12:00"), ("13:00", "17:00")] for day in WEEKDAYS[:5]},
    )
    start = at(BERLIN, 2030, 12, 24, 12)
    reference = BusinessCalendar(hours)
    elsewhere = datetime(2034, 6, 1, tzinfo=UTC)
    assert _Interleaved(hours, elsewhere).add(start, 400 * H) == reference.add(start, 400 * H)
    assert _Interleaved(hours, elsewhere).subtract(start, 400 * H) == reference.subtract(
        start, 400 * H
    )
    assert _Interleaved(hours, elsewhere).next_open(at(BERLIN, 2030, 12, 31, 18)) == at(
        BERLIN, 2031, 1, 1, 8
    )


def test_next_change_is_the_close_or_the_next_open_across_a_weekend_and_a_new_year() -> None:
    london = BusinessCalendar(
        BusinessHours(
            name="London",
            time_zone="Europe/London",
            weekly={day: [("09:00", "17:00")] for day in WEEKDAYS[:5]},
        )
    )
    friday = datetime(2026, 3, 6, 16, 30, tzinfo=UTC)
    assert london.next_change(friday) == datetime(2026, 3, 6, 17, tzinfo=UTC)
    assert london.next_change(datetime(2026, 3, 6, 17, tzinfo=UTC)) == datetime(
        2026, 3, 9, 9, tzinfo=UTC
    )
    # Open around the clock but for New Year's Day: the close is a year-end away, past the
    # year the question starts in.
    new_year = BusinessCalendar(
        BusinessHours(
            name="24x7 but New Year",
            time_zone="UTC",
            always_open=True,
            holidays=[Holiday(date=date(2027, 1, 1), name="New Year")],
        )
    )
    assert new_year.next_change(datetime(2026, 12, 30, tzinfo=UTC)) == datetime(
        2027, 1, 1, tzinfo=UTC
    )
    always = BusinessCalendar(BusinessHours(name="24x7", time_zone="UTC", always_open=True))
    assert always.next_change(friday) is None
