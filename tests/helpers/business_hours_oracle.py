"""Independent reference model of the business-hours contract, for differential tests.

Owns `OracleCalendar`, a slow and deliberately plain re-derivation of what
`workflows.business_hours.BusinessCalendar` must compute, written from the contract alone
(not from the implementation). It works in integer microseconds throughout:

* every local date is expanded into wall-clock open intervals (weekly hours, always_open,
  explicit holidays and short days, public holidays), held as naive microseconds;
* the zone's UTC offset is piecewise constant between transitions, which are found by
  scanning real instants with `astimezone` and bisecting to the microsecond;
* inside one constant-offset stretch the wall clock is `utc + offset`, so the UTC preimage
  of a wall-clock interval [A, B) there is simply [A - offset, B - offset) clipped to it.

The five operations then walk those UTC pieces forward or backward.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import holidays as holidays_lib

from workflows.business_hours import BusinessHours, BusinessHoursError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_ONE_US = timedelta(microseconds=1)
_MINUTE = 60_000_000
_DAY = 86_400_000_000
# Real transitions are months apart; half an hour cannot hide two of them.
_SCAN_STEP = 30 * _MINUTE
_CHUNK = 28 * _DAY
# The contract gives up when no open time comes within 10 years. That bounds each closed
# stretch, not the whole walk: a long duration on a busy calendar is fine. The exact edge
# (leap days, calendar years) is left fuzzy by the contract, so tests stay clear of it.
_HORIZON = (10 * 365 + 3) * _DAY
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Piece = tuple[int, int]


def to_micros(value: datetime) -> int:
    """Microseconds since the epoch of an aware datetime (fold respected)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise BusinessHoursError(f"{value!r} is naive")
    return (value - _EPOCH) // _ONE_US


def from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def _duration_micros(duration: timedelta) -> int:
    micros = duration // _ONE_US
    if micros < 0:
        raise BusinessHoursError(f"negative duration {duration!r}")
    return micros


def _naive_micros(value: datetime) -> int:
    return (value - _NAIVE_EPOCH) // _ONE_US


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _offset_micros(zone: ZoneInfo, micros: int) -> int:
    offset = from_micros(micros).astimezone(zone).utcoffset()
    assert offset is not None
    return offset // _ONE_US


@functools.cache
def transitions(zone_key: str, year: int) -> tuple[int, ...]:
    """UTC instants (µs) in [year, year + 1] at which the zone's UTC offset changes.

    Each value is the first microsecond that carries the new offset.
    """
    zone = ZoneInfo(zone_key)
    low = to_micros(datetime(year, 1, 1, tzinfo=UTC))
    high = to_micros(datetime(year + 1, 1, 1, tzinfo=UTC))
    found: list[int] = []
    before = _offset_micros(zone, low)
    at = low
    while at < high:
        step_end = min(at + _SCAN_STEP, high)
        after = _offset_micros(zone, step_end)
        if after != before:
            old_side, new_side = at, step_end
            while new_side - old_side > 1:
                middle = (old_side + new_side) // 2
                if _offset_micros(zone, middle) == before:
                    old_side = middle
                else:
                    new_side = middle
            found.append(new_side)
            before = after
        at = step_end
    return tuple(found)


@functools.cache
def _public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    # observed=True is the package default: both the day and its observed date are listed.
    return frozenset(holidays_lib.country_holidays(country, subdiv=subdivision, years=year))


def _merge(pieces: list[Piece]) -> list[Piece]:
    merged: list[Piece] = []
    for start, end in sorted(pieces):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


class OracleCalendar:
    """The contract of `BusinessCalendar`, computed the slow and obvious way."""

    def __init__(self, hours: BusinessHours) -> None:
        self.hours = hours
        self.zone_key = hours.time_zone
        self.zone = ZoneInfo(hours.time_zone)
        self.explicit = {holiday.date: holiday for holiday in hours.holidays}

    # -- the calendar, date by date --------------------------------------------------------

    def day_schedule(self, day: date) -> list[tuple[int, int]]:
        """Open wall-clock intervals of one local date, in minutes after its midnight."""
        # An explicit entry wins over a public holiday on the same date. The contract does not
        # say, so the differential tests never pair a short day with a public holiday.
        if day in self.explicit:
            opened = self.explicit[day].open
            raw = [] if opened is None else opened
        elif day in self.hours.pinned_holidays or self._public_holiday(day):
            raw = []
        elif self.hours.always_open:
            raw = [("00:00", "24:00")]
        else:
            raw = self.hours.weekly.get(_WEEKDAYS[day.weekday()]) or []
        return [(_minutes(start), _minutes(end)) for start, end in raw]

    def _public_holiday(self, day: date) -> bool:
        country = self.hours.holiday_country
        return country is not None and day in _public_holidays(
            country, self.hours.holiday_subdivision, day.year
        )

    def wall_intervals(self, first: date, last: date) -> list[Piece]:
        """Open wall-clock intervals (naive µs) of the local dates first..last, merged."""
        pieces: list[Piece] = []
        day = first
        while day <= last:
            midnight = _naive_micros(datetime(day.year, day.month, day.day))
            pieces.extend(
                (midnight + start * _MINUTE, midnight + end * _MINUTE)
                for start, end in self.day_schedule(day)
            )
            day += timedelta(days=1)
        return _merge(pieces)

    def offset_stretches(self, low: int, high: int) -> list[tuple[int, int, int]]:
        """(start, end, offset) covering [low, high) with a constant UTC offset in each."""
        first_year = from_micros(low).year
        last_year = from_micros(high - 1).year
        cuts = sorted(
            cut
            for year in range(first_year - 1, last_year + 1)
            for cut in transitions(self.zone_key, year)
            if low < cut < high
        )
        bounds = [low, *cuts, high]
        return [
            (start, end, _offset_micros(self.zone, start))
            for start, end in itertools.pairwise(bounds)
        ]

    def open_pieces(self, low: int, high: int) -> list[Piece]:
        """The open UTC time inside [low, high) as sorted disjoint intervals (µs)."""
        if high <= low:
            return []
        # A wall-clock date is at most a day away from the UTC date (offsets are < 15 h).
        first = (_NAIVE_EPOCH + timedelta(microseconds=low)).date() - timedelta(days=2)
        last = (_NAIVE_EPOCH + timedelta(microseconds=high)).date() + timedelta(days=2)
        walls = self.wall_intervals(first, last)
        pieces: list[Piece] = []
        for stretch_start, stretch_end, offset in self.offset_stretches(low, high):
            for wall_start, wall_end in walls:
                start = max(wall_start - offset, stretch_start)
                end = min(wall_end - offset, stretch_end)
                if start < end:
                    pieces.append((start, end))
        return _merge(pieces)

    def _forward(self, origin: int) -> Iterator[Piece]:
        """Open pieces from origin on, raising once a closed stretch outlasts the horizon."""
        low = last_open = origin
        while True:
            for start, end in self.open_pieces(low, low + _CHUNK):
                if start - last_open > _HORIZON:
                    raise BusinessHoursError("no open time within 10 years")
                last_open = end
                yield start, end
            low += _CHUNK
            if low - last_open > _HORIZON:
                raise BusinessHoursError("no open time within 10 years")

    def _backward(self, origin: int) -> Iterator[Piece]:
        """Open pieces before origin, latest first; the same horizon rule, mirrored."""
        high = last_open = origin
        while True:
            for start, end in reversed(self.open_pieces(high - _CHUNK, high)):
                if last_open - end > _HORIZON:
                    raise BusinessHoursError("no open time within 10 years")
                last_open = start
                yield start, end
            high -= _CHUNK
            if last_open - high > _HORIZON:
                raise BusinessHoursError("no open time within 10 years")

    # -- the contract ----------------------------------------------------------------------

    def add(self, start: datetime, duration: timedelta) -> datetime:
        origin = to_micros(start)
        remaining = _duration_micros(duration)
        if remaining == 0:
            return from_micros(origin)
        for piece_start, piece_end in self._forward(origin):
            if remaining <= piece_end - piece_start:
                return from_micros(piece_start + remaining)
            remaining -= piece_end - piece_start
        raise AssertionError("unreachable: _forward never ends")

    def subtract(self, at: datetime, duration: timedelta) -> datetime:
        origin = to_micros(at)
        remaining = _duration_micros(duration)
        if remaining == 0:
            return from_micros(origin)
        for piece_start, piece_end in self._backward(origin):
            if remaining <= piece_end - piece_start:
                return from_micros(piece_end - remaining)
            remaining -= piece_end - piece_start
        raise AssertionError("unreachable: _backward never ends")

    def between(self, start: datetime, end: datetime) -> timedelta:
        low, high = to_micros(start), to_micros(end)
        if high < low:
            return -self.between(end, start)
        total = sum(
            piece_end - piece_start for piece_start, piece_end in self.open_pieces(low, high)
        )
        return timedelta(microseconds=total)

    def is_open(self, at: datetime) -> bool:
        instant = to_micros(at)
        return bool(self.open_pieces(instant, instant + 1))

    def next_open(self, at: datetime) -> datetime:
        for piece_start, _ in self._forward(to_micros(at)):
            return from_micros(piece_start)
        raise AssertionError("unreachable: _forward never ends")
