"""Business-hours arithmetic: which instants are open, and how much open time lies between two.

Owns the `BusinessHours` model (a calendar as configured) and `BusinessCalendar` (the arithmetic
on it: `add`, `subtract`, `between`, `is_open`, `next_open`). Pure and deterministic: no I/O, never
reads the clock, safe inside the Temporal workflow sandbox. Public holidays come from the
`holidays` package, imported only when a calendar names a country (case snapshots carry them as
explicit dates).

Semantics (DESIGN.md "Time semantics"):
- An instant is open when its local wall-clock time, in the calendar's zone, falls inside an open
  interval of its local date. So a window that starts in a spring-forward gap opens at the
  transition instant, and on a fall-back day a window holds all the real time whose wall clock is
  inside it: 01:00-03:00 is 3 h that day, and a window inside the repeated hour is open twice.
- `between(a, b)` is the open time in `[a, b)`, negative when `b < a`.
- `add(a, d)` is the earliest instant at which `d` of open time has elapsed since `a`: a duration
  that uses up a window exactly ends at its close. `subtract(b, d)`, for `d > 0`, is the latest
  instant `a <= b` with `between(a, b) == d`; `subtract(b, 0)` is `b`.
- Public holidays follow the `holidays` package's defaults (`observed=True`): both the holiday and
  its observed weekday are closed (US Independence Day 2026: Fri 3 and Sat 4 July).
- Results are aware UTC datetimes, exact to the microsecond.

How: per calendar year (UTC) the open time is turned into a sorted list of UTC intervals with prefix
sums of open time, so every query is two binary searches whatever the span (a year of business time
costs what a minute does once its years are indexed).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from threading import Lock
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from workflows.limits import check_name

__all__ = [
    "ALWAYS_OPEN",
    "WEEKDAYS",
    "BusinessCalendar",
    "BusinessHours",
    "BusinessHoursError",
    "Holiday",
    "Weekday",
    "calendar_for",
]

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_SECOND = 1_000_000
_MINUTE = 60 * _SECOND
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR
# Open time must come within 10 years (3,653 days) of where a question starts, or of the previous
# open interval: every closed stretch a question crosses is bounded, so nothing loops forever.
_TEN_YEARS = 3653 * _DAY
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_FIRST_YEAR = 2  # one year of margin on either side of datetime's range
_LAST_YEAR = 9998
# Zone transitions are found by probing the offset once a day: zones change their offset a few
# times a year at most, never twice within a day.
_PROBE = 24 * 3600

_TIME = re.compile(r"^(\d{2}):(\d{2})$")


class BusinessHoursError(ValueError):
    """A calendar or a question put to it is invalid; the message says what to fix."""


def _parse_time(text: str) -> int:
    """Microseconds since local midnight of an `HH:MM` wall time (`24:00` ends the day)."""
    match = _TIME.match(text)
    if match is not None:
        hours, minutes = int(match[1]), int(match[2])
        if (hours < 24 and minutes < 60) or (hours == 24 and minutes == 0):
            return hours * _HOUR + minutes * _MINUTE
    raise ValueError(f"{text!r} is not a time of day: write 'HH:MM' from '00:00' to '24:00'")


def _check_intervals(intervals: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Reject malformed, reversed or overlapping open intervals of one day."""
    parsed = []
    for start, end in intervals:
        opens, closes = _parse_time(start), _parse_time(end)
        if start == "24:00":
            raise ValueError("an interval cannot start at '24:00': the day ends there")
        if closes <= opens:
            raise ValueError(
                f"interval [{start!r}, {end!r}] ends before it starts: write a window that "
                "crosses midnight as two, ['21:00', '24:00'] on one day and ['00:00', '03:00'] "
                "on the next"
            )
        parsed.append((opens, closes, start, end))
    parsed.sort()
    for (_, closes, start, end), (opens, _, start2, end2) in pairwise(parsed):
        if opens < closes:
            raise ValueError(
                f"intervals [{start!r}, {end!r}] and [{start2!r}, {end2!r}] overlap: "
                "merge them into one"
            )
    return intervals


OpenIntervals = Annotated[
    list[tuple[str, str]], Field(max_length=48), AfterValidator(_check_intervals)
]


class Holiday(BaseModel):
    """A date that is closed all day, or (with `open`) open only in the given intervals."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    date: date
    name: str = Field(default="", max_length=200)
    open: OpenIntervals | None = None

    @field_validator("name")
    @classmethod
    def _printable_name(cls, name: str) -> str:
        return check_name(name)


def known_zone(key: str) -> str:
    """`key` if it names an IANA time zone; else a `ValueError` that says what to give."""
    try:
        ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: a directory of zones ('America') or a name too long for a file name.
        raise ValueError(
            f"unknown time zone {key[:100]!r}: use an IANA name such as 'America/New_York'"
        ) from None
    return key


class BusinessHours(BaseModel):
    """A business-hours calendar as configured: zone, weekly hours and holidays."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    time_zone: str = "UTC"
    weekly: dict[Weekday, OpenIntervals] = Field(default_factory=dict)
    always_open: bool = False
    holidays: list[Holiday] = Field(default_factory=list, max_length=5000)
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    pinned_holidays: list[date] = Field(default_factory=list, max_length=5000)
    """The country's public holidays of some years, written out by `with_public_holidays` (closed
    all day; an entry of `holidays` on the same date wins). Dates only: a case carries them in
    its input, where every byte is kept in its history."""

    @field_validator("name")
    @classmethod
    def _printable_name(cls, name: str) -> str:
        return check_name(name)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, key: str) -> str:
        return known_zone(key)

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        has_weekly = any(self.weekly.values())
        if self.always_open and has_weekly:
            raise ValueError("an always_open calendar takes no weekly hours: drop one of them")
        seen: set[date] = set()
        for holiday in self.holidays:
            if holiday.date in seen:
                raise ValueError(f"holiday {holiday.date} is listed twice: keep one entry")
            seen.add(holiday.date)
        if not (self.always_open or has_weekly or any(h.open for h in self.holidays)):
            raise ValueError(
                "the calendar has no open time at all: give weekly hours or set always_open"
            )
        if self.holiday_subdivision is not None and self.holiday_country is None:
            raise ValueError("holiday_subdivision needs holiday_country")
        if self.holiday_country is not None:
            supported = _supported_countries()
            if self.holiday_country not in supported:
                raise ValueError(
                    f"unknown holiday_country {self.holiday_country!r}: use an ISO 3166 code "
                    "such as 'US' or 'GB'"
                )
            subdivisions = supported[self.holiday_country]
            if (
                self.holiday_subdivision is not None
                and self.holiday_subdivision not in subdivisions
            ):
                raise ValueError(
                    f"unknown holiday_subdivision {self.holiday_subdivision!r} for "
                    f"{self.holiday_country}: use one of {', '.join(subdivisions) or 'none'}"
                )
        return self

    def public_holidays(self, first_year: int, last_year: int) -> dict[date, str]:
        """The country's public holidays (observed dates included) in the given years."""
        if self.holiday_country is None:
            return {}
        found: dict[date, str] = {}
        for year in range(first_year, last_year + 1):
            found.update(_public_holidays(self.holiday_country, self.holiday_subdivision, year))
        return found

    def with_public_holidays(self, first_year: int, last_year: int) -> BusinessHours:
        """This calendar with the country's holidays of those years written out as explicit dates.

        A case pins its calendars this way, so a newer `holidays` package on the worker can never
        change the deadlines of a case already running. Explicit entries win over the country's.
        """
        if self.holiday_country is None:
            return self
        explicit = {holiday.date for holiday in self.holidays}
        public = self.public_holidays(first_year, last_year).keys() - explicit
        return self.model_copy(
            update={
                "pinned_holidays": sorted({*self.pinned_holidays, *public}),
                "holiday_country": None,
                "holiday_subdivision": None,
            }
        )


ALWAYS_OPEN = BusinessHours(name="24x7", always_open=True)


def _micros(value: datetime, what: str) -> int:
    """Microseconds since the Unix epoch of an aware datetime."""
    try:
        delta = value - _EPOCH
    except TypeError:
        raise BusinessHoursError(
            f"{what} must be a timezone-aware datetime, got {value!r}: attach a tzinfo"
        ) from None
    return delta.days * _DAY + delta.seconds * _SECOND + delta.microseconds


def _duration_micros(duration: timedelta) -> int:
    micros = duration.days * _DAY + duration.seconds * _SECOND + duration.microseconds
    if micros < 0:
        raise BusinessHoursError(f"duration must not be negative, got {duration}")
    return micros


def _instant(micros: int) -> datetime:
    return _EPOCH + timedelta(0, 0, micros)


def _year_start(year: int) -> int:
    return (date(year, 1, 1).toordinal() - _EPOCH_ORDINAL) * _DAY


def _year_of(micros: int) -> int:
    return date.fromordinal(micros // _DAY + _EPOCH_ORDINAL).year


@dataclass(frozen=True, slots=True)
class _Index:
    """Open time of the UTC years [lo_year, hi_year): sorted, disjoint, non-adjacent intervals
    (UTC microseconds) with the open time elapsed from `lo` to each interval's start and end.

    Never mutated once built: a calendar swaps in a larger one, so a reader on another thread
    always sees a consistent index.
    """

    lo_year: int
    hi_year: int
    starts: list[int]
    ends: list[int]
    cum_starts: list[int]
    cum_ends: list[int]
    lo: int = field(init=False)
    hi: int = field(init=False)
    total: int = field(init=False)
    long_gaps: list[int] = field(init=False)
    """Indexes of the intervals preceded by a closed stretch longer than ten years."""

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "lo", _year_start(self.lo_year) if self.hi_year else 0)
        set_(self, "hi", _year_start(self.hi_year) if self.hi_year else 0)
        set_(self, "total", self.cum_ends[-1] if self.cum_ends else 0)
        set_(
            self,
            "long_gaps",
            [
                i
                for i, start in enumerate(self.starts)
                if start - (self.ends[i - 1] if i else self.lo) > _TEN_YEARS
            ],
        )

    @classmethod
    def of(cls, lo_year: int, hi_year: int, intervals: list[tuple[int, int]]) -> _Index:
        starts: list[int] = []
        ends: list[int] = []
        cum_starts: list[int] = []
        cum_ends: list[int] = []
        total = 0
        for start, end in intervals:
            if ends and ends[-1] == start:
                ends[-1] = end
            else:
                starts.append(start)
                ends.append(end)
                cum_starts.append(total)
                cum_ends.append(total)
            total += end - start
            cum_ends[-1] = total
        return cls(lo_year, hi_year, starts, ends, cum_starts, cum_ends)

    def intervals(self) -> list[tuple[int, int]]:
        return list(zip(self.starts, self.ends, strict=True))

    def check_gaps_after(self, t: int, until: int) -> None:
        """Raise if reaching `until` from `t` crosses more than ten closed years."""
        for i in self.long_gaps:
            start = self.starts[i]
            if (
                t < start <= until
                and start - max(t, self.ends[i - 1] if i else self.lo) > _TEN_YEARS
            ):
                raise _unreachable("after", t)

    def check_gaps_before(self, t: int, since: int) -> None:
        """Raise if reaching back to `since` from `t` crosses more than ten closed years."""
        for i in self.long_gaps:
            if (
                i
                and since < self.ends[i - 1]
                and min(t, self.starts[i]) - self.ends[i - 1] > _TEN_YEARS
            ):
                raise _unreachable("before", t)

    def elapsed(self, t: int) -> int:
        """Open time from `lo` to `t` (which the index covers)."""
        i = bisect_right(self.starts, t) - 1
        if i < 0:
            return 0
        end = self.ends[i]
        return self.cum_ends[i] - (end - t if t < end else 0)


_EMPTY = _Index(0, 0, [], [], [], [])


_CHANGE_HORIZON = 366 * _DAY
"""How far `next_change` looks for a close: a calendar open for longer counts as always open."""


class BusinessCalendar:
    """Open-time arithmetic on one `BusinessHours` calendar.

    The open time of each UTC year a question touches is indexed once, lazily, so a calendar kept
    warm answers in two binary searches whatever the span. Safe to share between threads.
    """

    def __init__(self, hours: BusinessHours) -> None:
        self.hours = hours
        self._always_open = hours.always_open and not (
            hours.holidays or hours.holiday_country or hours.pinned_holidays
        )
        full_day = [(0, _DAY)]
        self._weekly: list[list[tuple[int, int]]] = [
            full_day if hours.always_open else _parsed(hours.weekly.get(day, []))
            for day in WEEKDAYS
        ]
        self._explicit_holidays: dict[date, list[tuple[int, int]]] = {
            holiday.date: _parsed(holiday.open or []) for holiday in hours.holidays
        }
        self._pinned_holidays = frozenset(hours.pinned_holidays)
        self._index = _EMPTY
        self._growing = Lock()

    # ----------------------------------------------------------------------------- queries

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant at which `duration` of open time has elapsed since `start`."""
        # The hot path of every deadline: conversions are inlined, not called.
        try:
            delta = start - _EPOCH
        except TypeError:
            _micros(start, "start")  # raises the explanatory error
            raise
        t = delta.days * _DAY + delta.seconds * _SECOND + delta.microseconds
        d = duration.days * _DAY + duration.seconds * _SECOND + duration.microseconds
        if d <= 0 or self._always_open:
            return _instant(t + _duration_micros(duration))
        index = self._index
        if not index.lo <= t < index.hi:
            index = self._covering(t)
        ends, cum_ends = index.ends, index.cum_ends
        i = bisect_right(index.starts, t) - 1
        if i < 0:
            elapsed = 0
        else:
            end = ends[i]
            elapsed = cum_ends[i] - (end - t if t < end else 0)
        target = elapsed + d
        if target > index.total:
            index = self._grown_forward(t, lambda grown: grown.elapsed(t) + d <= grown.total)
            target = index.elapsed(t) + d
            ends, cum_ends = index.ends, index.cum_ends
        j = bisect_left(cum_ends, target)
        result = ends[j] - (cum_ends[j] - target)
        if index.long_gaps:
            index.check_gaps_after(t, result)
        return _instant(result)

    def subtract(self, at: datetime, duration: timedelta) -> datetime:
        """The latest instant from which `duration` of open time elapses until `at`; `at`
        itself for a zero duration, open or not."""
        t = _micros(at, "at")
        d = _duration_micros(duration)
        if self._always_open or d == 0:
            return _instant(t - d)
        index = self._index
        if not index.lo <= t < index.hi:
            index = self._covering(t)
        while (target := index.elapsed(t) - d) < 0:
            index = self._grown_backward(t, index)
        j = bisect_right(index.cum_starts, target) - 1
        result = index.starts[j] + (target - index.cum_starts[j])
        if index.long_gaps:
            index.check_gaps_before(t, result)
        return _instant(result)

    def between(self, start: datetime, end: datetime) -> timedelta:
        """The open time in `[start, end)`; negative when `end` is before `start`."""
        a = _micros(start, "start")
        b = _micros(end, "end")
        if self._always_open:
            return timedelta(0, 0, b - a)
        index = self._index
        if not (index.lo <= a < index.hi and index.lo <= b < index.hi):
            index = self._covering(min(a, b), max(a, b))
        return timedelta(0, 0, index.elapsed(b) - index.elapsed(a))

    def is_open(self, at: datetime) -> bool:
        """Whether `at` lies inside an open interval."""
        t = _micros(at, "at")
        if self._always_open:
            return True
        index = self._index
        if not index.lo <= t < index.hi:
            index = self._covering(t)
        i = bisect_right(index.starts, t) - 1
        return i >= 0 and t < index.ends[i]

    def next_open(self, at: datetime) -> datetime:
        """`at` itself when open, else the start of the next open interval."""
        t = _micros(at, "at")
        if self._always_open:
            return _instant(t)
        index = self._index
        if not index.lo <= t < index.hi:
            index = self._covering(t)
        if (i := bisect_right(index.ends, t)) == len(index.ends):
            index = self._grown_forward(t, lambda grown: bool(grown.ends) and grown.ends[-1] > t)
            i = bisect_right(index.ends, t)
        result = max(t, index.starts[i])
        if index.long_gaps:
            index.check_gaps_after(t, result)
        return _instant(result)

    def next_change(self, at: datetime) -> datetime | None:
        """When the calendar next closes (it is open at `at`) or opens (it is closed); None
        when it stays open for more than a year from `at` (always open, in effect)."""
        if self._always_open:
            return None
        t = _micros(at, "at")
        if not self.is_open(at):
            return self.next_open(at)
        horizon = t + _CHANGE_HORIZON

        def end_of_open(grown: _Index) -> int:
            return grown.ends[bisect_right(grown.starts, t) - 1]

        def settled(grown: _Index) -> bool:
            # An interval that reaches the end of the index may go on into the next year.
            return end_of_open(grown) < grown.hi or grown.hi > horizon

        index = self._index
        if not index.lo <= t < index.hi:
            index = self._covering(t)
        if not settled(index):
            index = self._grown_forward(t, settled)
        end = end_of_open(index)
        return _instant(end) if end < index.hi and end <= horizon else None

    # ------------------------------------------------------------------------------ index

    def _covering(self, first: int, last: int | None = None) -> _Index:
        """An index covering the instants `first` to `last`, started afresh when far from it."""
        last = first if last is None else last
        first_year, last_year = _year_of(first), _year_of(last)
        for year in (first_year, last_year):
            if not _FIRST_YEAR <= year <= _LAST_YEAR:
                raise BusinessHoursError(
                    f"{_instant(first if year == first_year else last).isoformat()} is outside "
                    f"the years {_FIRST_YEAR}-{_LAST_YEAR} that calendars cover"
                )
        with self._growing:
            return self._covering_locked(first, last)

    def _covering_locked(self, first: int, last: int) -> _Index:
        """`_covering` for a caller that holds `_growing`."""
        index = self._index
        if index.lo <= first and last < index.hi:
            return index
        first_year, last_year = _year_of(first), _year_of(last)
        lo_year, hi_year = first_year, last_year + 1
        if index.hi_year and index.lo_year - 3 <= first_year and last_year <= index.hi_year + 2:
            lo_year, hi_year = min(lo_year, index.lo_year), max(hi_year, index.hi_year)
        self._index = self._spanning(lo_year, hi_year, index)
        return self._index

    def _grown_forward(self, t: int, enough: Callable[[_Index], bool]) -> _Index:
        """A longer index, year by year until `enough`; open time must come within 10 years."""
        with self._growing:
            # Another thread may have moved the shared index away from `t` since the caller
            # read it: grow from an index that covers `t`, never from one that does not.
            index = self._covering_locked(t, t)
            while not enough(index):
                last_open = index.ends[-1] if index.ends else t
                if index.hi - max(t, last_open) > _TEN_YEARS:
                    raise _unreachable("after", t)
                if index.hi_year > _LAST_YEAR:
                    raise BusinessHoursError(f"the result lies after the year {_LAST_YEAR}")
                index = self._spanning(index.lo_year, index.hi_year + 1, index)
            self._index = index
            return index

    def _grown_backward(self, t: int, index: _Index) -> _Index:
        """`index` (which covers `t`) grown by a year back; open time must come within 10 years."""
        first_open = index.starts[0] if index.starts else t
        if min(t, first_open) - index.lo > _TEN_YEARS:
            raise _unreachable("before", t)
        if index.lo_year <= _FIRST_YEAR:
            raise BusinessHoursError(f"the result lies before the year {_FIRST_YEAR}")
        with self._growing:
            current = self._covering_locked(t, t)
            lo_year = min(current.lo_year, index.lo_year - 1)
            self._index = self._spanning(lo_year, max(current.hi_year, index.hi_year), current)
            return self._index

    def _spanning(self, lo_year: int, hi_year: int, known: _Index) -> _Index:
        """The index of [lo_year, hi_year), reusing the years `known` already holds."""
        intervals: list[tuple[int, int]] = []
        year = lo_year
        while year < hi_year:
            if known.hi_year and year == known.lo_year and known.hi_year <= hi_year:
                intervals += known.intervals()
                year = known.hi_year
            else:
                intervals += self._open_intervals_of_year(year)
                year += 1
        return _Index.of(lo_year, hi_year, intervals)

    def _open_intervals_of_year(self, year: int) -> list[tuple[int, int]]:
        """Open UTC intervals within UTC year `year`, sorted and merged."""
        wall = self._wall_intervals(date(year, 1, 1) - timedelta(days=2), 370)
        wall_starts = [start for start, _ in wall]
        result: list[tuple[int, int]] = []
        for seg_lo, seg_hi, offset in _offset_segments(self.hours.time_zone, year):
            # Instants u of this segment whose wall clock u + offset is inside a wall interval.
            k = max(bisect_right(wall_starts, seg_lo + offset) - 1, 0)
            while k < len(wall) and wall[k][0] < seg_hi + offset:
                start = max(seg_lo, wall[k][0] - offset)
                end = min(seg_hi, wall[k][1] - offset)
                if start < end:
                    if result and result[-1][1] == start:
                        result[-1] = (result[-1][0], end)
                    else:
                        result.append((start, end))
                k += 1
        return result

    def _wall_intervals(self, first: date, days: int) -> list[tuple[int, int]]:
        """Open intervals on the local (naive) timeline, in microseconds since 1970-01-01 00:00."""
        public = self.hours.public_holidays(first.year, (first + timedelta(days=days)).year)
        result: list[tuple[int, int]] = []
        for n in range(days):
            day = first + timedelta(days=n)
            if day in self._explicit_holidays:
                day_intervals = self._explicit_holidays[day]
            elif day in public or day in self._pinned_holidays:
                day_intervals = []
            else:
                day_intervals = self._weekly[day.weekday()]
            midnight = (day.toordinal() - _EPOCH_ORDINAL) * _DAY
            for opens, closes in day_intervals:
                start, end = midnight + opens, midnight + closes
                if result and result[-1][1] == start:
                    result[-1] = (result[-1][0], end)
                else:
                    result.append((start, end))
        return result


@lru_cache(maxsize=1024)
def _offset_segments(zone_key: str, year: int) -> tuple[tuple[int, int, int], ...]:
    """UTC year `year` split where the zone's UTC offset changes: (start, end, offset) in µs."""
    zone = ZoneInfo(zone_key)

    def offset_at(second: int) -> int:
        offset = datetime.fromtimestamp(second, zone).utcoffset()
        assert offset is not None
        return offset.days * _DAY + offset.seconds * _SECOND + offset.microseconds

    lo, hi = _year_start(year), _year_start(year + 1)
    segments: list[tuple[int, int, int]] = []
    seg_start = lo
    second, last = lo // _SECOND, hi // _SECOND
    offset = offset_at(second)
    while second < last:
        probe = min(second + _PROBE, last)
        if offset_at(probe) == offset:
            second = probe
            continue
        # The offset changes in (second, probe]: find the first second of the new one.
        before, after = second, probe
        while after - before > 1:
            middle = (before + after) // 2
            if offset_at(middle) == offset:
                before = middle
            else:
                after = middle
        segments.append((seg_start, after * _SECOND, offset))
        seg_start, second, offset = after * _SECOND, after, offset_at(after)
    segments.append((seg_start, hi, offset))
    return tuple(segments)


@lru_cache(maxsize=1)
def _supported_countries() -> dict[str, list[str]]:
    import holidays as holiday_package  # only calendars that name a country need it

    supported: dict[str, list[str]] = holiday_package.list_supported_countries()
    return supported


@lru_cache(maxsize=1024)
def _public_holidays(country: str, subdivision: str | None, year: int) -> dict[date, str]:
    import holidays as holiday_package  # only calendars that name a country need it

    found = holiday_package.country_holidays(country, subdiv=subdivision, years=year)
    return {day: name for day, name in found.items() if day.year == year}


def _unreachable(direction: str, t: int) -> BusinessHoursError:
    return BusinessHoursError(
        f"no open time within 10 years {direction} {_instant(t).isoformat()}: "
        "the calendar has no weekly hours there; add some"
    )


def _parsed(intervals: list[tuple[str, str]]) -> list[tuple[int, int]]:
    return sorted((_parse_time(start), _parse_time(end)) for start, end in intervals)


_CALENDARS: dict[str, BusinessCalendar] = {}
_CALENDAR_CACHE_SIZE = 512


def calendar_for(hours: BusinessHours) -> BusinessCalendar:
    """A shared, warm `BusinessCalendar` for `hours` (equal calendars share one index).

    Sharing is safe inside workflows: a calendar's answers depend only on its `BusinessHours`.
    """
    key = hours.model_dump_json()
    calendar = _CALENDARS.get(key)
    if calendar is None:
        if len(_CALENDARS) >= _CALENDAR_CACHE_SIZE:
            del _CALENDARS[next(iter(_CALENDARS))]
        calendar = _CALENDARS[key] = BusinessCalendar(hours)
    return calendar
