"""Business time of milestone instances: the calendars of a case, and the arithmetic on the
segments in which each instance's clock ran.

An instance's elapsed business time is kept as segments (from a start or resume to a pause or the
end), each measured in its own calendar, so elapsed time survives pauses, retargets and calendar
changes exactly. Every threshold is an amount of elapsed time; its due instant is where the
segments reach it. Pure: no I/O, never reads the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from workflows.business_hours import (
    ALWAYS_OPEN,
    BusinessCalendar,
    BusinessHours,
    BusinessHoursError,
    calendar_for,
)
from workflows.case_state import Instance, PauseSpan, Segment

ZERO = timedelta(0)
UNANSWERABLE = (BusinessHoursError, ArithmeticError)
"""What calendar arithmetic raises on a question it cannot answer: no open time within ten years,
or an instant past the years calendars cover."""
ALWAYS_OPEN_KEY = ""
"""The calendar of milestones and processes that name none: 24x7."""
PINNED_YEARS_BEFORE = 1
PINNED_YEARS_AFTER = 10
"""A case pins its calendars' public holidays from the year before it opened to ten years after
(a deadline near New Year may fall in either year; targets are at most ten years)."""


def pin_calendars(
    calendars: Mapping[str, BusinessHours], opened_at: datetime
) -> dict[str, BusinessHours]:
    """Calendars with their public holidays written out for the years a case opened at
    `opened_at` runs, so a newer `holidays` package can never move its deadlines. Pinning a
    pinned calendar changes nothing. A case still open more than ten years after the year it
    opened meets no public holidays after that; its explicit holidays still apply."""
    first = opened_at.year - PINNED_YEARS_BEFORE
    last = opened_at.year + PINNED_YEARS_AFTER
    return {name: hours.with_public_holidays(first, last) for name, hours in calendars.items()}


class BusinessTime:
    """The business-time arithmetic of one case's instances, on the case's calendars, which are
    built once (the workflow builds a new `BusinessTime` when a process version brings new ones).
    """

    def __init__(self, calendars: Mapping[str, BusinessHours]) -> None:
        self._calendars: dict[str, BusinessCalendar] = {
            name: calendar_for(hours) for name, hours in calendars.items()
        }
        self._calendars[ALWAYS_OPEN_KEY] = calendar_for(ALWAYS_OPEN)

    def calendar(self, key: str) -> BusinessCalendar:
        return self._calendars[key]

    def elapsed(self, instance: Instance, at: datetime) -> timedelta:
        """Business time the instance had run by `at`."""
        for segment in reversed(instance.segments):
            if segment.start <= at:
                end = at if segment.end is None else min(at, segment.end)
                return segment.elapsed_before + self._calendars[segment.calendar].between(
                    segment.start, end
                )
        return ZERO

    def instant_at(self, instance: Instance, elapsed: timedelta) -> datetime | None:
        """The earliest instant at which the instance has run `elapsed` of business time; None
        while paused short of it. A completed or cancelled instance is projected from its end,
        so it keeps the target it had."""
        if elapsed <= ZERO:
            return instance.segments[0].start if instance.segments else instance.started_at
        reached = ZERO
        for segment in instance.segments:
            calendar = self._calendars[segment.calendar]
            needed = elapsed - segment.elapsed_before
            if segment.end is None:
                return calendar.add(segment.start, needed)
            length = calendar.between(segment.start, segment.end)
            if needed <= length:
                return calendar.add(segment.start, needed)
            reached = segment.elapsed_before + length
        end = instance.ended_at
        if end is None:
            return None
        return self._calendars[instance.calendar].add(
            max(end, instance.started_at), elapsed - reached
        )

    def target_at(self, instance: Instance) -> datetime | None:
        return self.instant_at(instance, instance.target)

    def open_segment(self, instance: Instance, at: datetime) -> None:
        """The instance's clock runs again from `at`, in its current calendar."""
        elapsed = ZERO
        if instance.segments:
            last = instance.segments[-1]
            assert last.end is not None
            length = self._calendars[last.calendar].between(last.start, last.end)
            elapsed = last.elapsed_before + length
        instance.segments.append(
            Segment(start=at, calendar=instance.calendar, elapsed_before=elapsed)
        )

    def switch_calendar(self, instance: Instance, calendar: str, now: datetime) -> None:
        """From `now`, the instance's remaining time counts in `calendar`; time used stays."""
        instance.calendar = calendar
        last = instance.segments[-1] if instance.segments else None
        if instance.state == "active" and last is not None and last.end is None:
            switch_at = max(now, last.start)
            close_segment(instance, switch_at)
            self.open_segment(instance, switch_at)

    def running_segments(
        self, pauses: Iterable[PauseSpan], since: datetime, calendar: str
    ) -> list[Segment]:
        """The stretches since `since` during which the case was not paused (a retroactive start
        counts only the time the case ran), the last one still open unless paused now."""
        segments: list[Segment] = []
        elapsed = ZERO
        cursor = since
        for paused_at, resumed_at in pauses:
            if resumed_at is not None and resumed_at <= cursor:
                continue
            if paused_at > cursor:
                segments.append(
                    Segment(start=cursor, end=paused_at, calendar=calendar, elapsed_before=elapsed)
                )
                elapsed += self._calendars[calendar].between(cursor, paused_at)
            if resumed_at is None:
                return segments
            cursor = max(cursor, resumed_at)
        segments.append(Segment(start=cursor, calendar=calendar, elapsed_before=elapsed))
        return segments


def close_segment(instance: Instance, at: datetime) -> None:
    """The instance's clock stops at `at`."""
    if instance.segments and instance.segments[-1].end is None:
        segment = instance.segments[-1]
        if at <= segment.start:
            instance.segments.pop()  # it had not begun (a sequential start in the future)
        else:
            segment.end = at


def stopped(pauses: Iterable[PauseSpan], start: datetime, end: datetime) -> timedelta:
    """Calendar time the case spent paused between `start` and `end`."""
    total = ZERO
    for paused_at, resumed_at in pauses:
        overlap = min(end, resumed_at or end) - max(start, paused_at)
        total += max(overlap, ZERO)
    return total
