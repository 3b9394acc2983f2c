"""Benchmark business-hours arithmetic: `workflows.business_hours` against two peers.

Measures, on one calendar (America/New_York, Mon-Fri 09:00-17:00, US federal holidays written out
as explicit dates), the throughput of `BusinessCalendar.add` and `BusinessCalendar.between` and of
the same questions put to pandas `CustomBusinessHour` and to `businesstimedelta`. It also counts
the cases where a peer's answer differs from ours, by cause (result at the 17:00 close, near a DST
change, other), and prints a few of them so a reader can check who is right. A last line compares
our `add` on short and on 6-12 month durations.

A second calendar follows, where New York's 02:00 DST changes fall inside open time: every day
00:00-06:00 and 09:00-17:00, same zone and holidays. A third of its starts lie on the weekends of
the 2024-2026 DST changes, so the peers' DST errors show; it is measured the same way, on fewer
cases (businesstimedelta is slow on it), and its DST disagreements are printed shortest first so
they can be checked by hand.

Run it with `make bench-business-hours` or `.venv/bin/python benchmarks/business_hours.py` (the
peers come from the `benchmark` extra: `pip install -e '.[benchmark]'`). It takes two to three
minutes.
"""

from __future__ import annotations

import gc
import math
import random
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from typing import Any
from zoneinfo import ZoneInfo

from workflows.business_hours import WEEKDAYS, BusinessCalendar, BusinessHours, Holiday

try:
    import businesstimedelta as btd
    import pandas as pd
    from pandas.tseries.offsets import CustomBusinessHour
except ImportError as error:
    sys.exit(
        f"this benchmark compares against pandas and businesstimedelta, and one is missing "
        f"({error}): install them with `pip install -e '.[benchmark]'` "
        "(or run `make bench-business-hours`)"
    )

ZONE_NAME = "America/New_York"
ZONE = ZoneInfo(ZONE_NAME)
SEED = 20240101
CASES = 10_000
PEER_TIMED_CASES = 2_000  # peers are timed on the first cases only; all cases are compared
REPEATS = 3
WIDTH = 100
DAY = timedelta(hours=8)  # one business day
YEAR_OF_BUSINESS = 260 * DAY
THIRTY_DAYS = 30 * DAY
HALF_YEAR = 130 * DAY
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
# A week holds 40 h of business time in 168 h: `between` gets an end about as far from its start
# as `add`'s answer for the same duration.
SPAN_PER_BUSINESS = 168 / 40
FIRST_START = datetime(2024, 1, 1, tzinfo=ZONE).astimezone(UTC)
LAST_START = datetime(2027, 1, 1, tzinfo=ZONE).astimezone(UTC)
# A year of business time from late 2026 ends in 2028, and businesstimedelta's HolidayRule crashes
# when it finds no holiday within five years ahead: list the holidays up to 2028.
HOLIDAY_YEARS = (2024, 2028)
NEAR_DST = timedelta(days=2)
CAUSES = ("close", "dst", "other")

# The second calendar: every day 00:00-06:00 and 09:00-17:00, so the 02:00 DST changes fall inside
# open time. businesstimedelta walks it window by window (14 a week), rescanning its holiday list
# at each one, so its 'to 1 year' questions run at a few hundred a second: this calendar has fewer
# cases, and the peers are timed on fewer of them, so that the whole run stays within about three
# minutes.
NIGHT_AND_DAY = [("00:00", "06:00"), ("09:00", "17:00")]
NIGHT_AND_DAY_CASES = 5_000
NIGHT_AND_DAY_PEER_TIMED = 1_000
DST_WEEKEND_SHARE = 1 / 3
OPEN_DAY = timedelta(hours=14)  # open time in one day of the second calendar
OPEN_YEAR = 365 * OPEN_DAY
OPEN_THIRTY_DAYS = 30 * OPEN_DAY
SPAN_PER_OPEN = 168 / 98  # a week holds 98 h of open time


# ------------------------------------------------------------------------------------ cases


@dataclass(frozen=True)
class Case:
    """One question, put both ways: `add(start, duration)` and `between(start, end)`."""

    start: datetime  # aware, in ZONE, with the instant's real wall time
    duration: timedelta  # whole minutes of business time
    end: datetime  # aware, in ZONE, after start


def dst_transitions(first_year: int, last_year: int) -> list[datetime]:
    """The instants (UTC) at which ZONE changes its UTC offset in those years."""
    found = []
    day = date(first_year, 1, 1)
    previous = datetime.combine(day, wall_time(12), ZONE).utcoffset()
    while day.year <= last_year:
        day += timedelta(days=1)
        offset = datetime.combine(day, wall_time(12), ZONE).utcoffset()
        if offset != previous:  # US rules: the change is at 02:00 local
            found.append(datetime.combine(day, wall_time(2), ZONE).astimezone(UTC))
        previous = offset
    return found


TRANSITIONS = dst_transitions(2023, 2029)
DST_DAYS = [t.astimezone(ZONE).date() for t in TRANSITIONS if 2024 <= t.year <= 2026]
# The Saturday and the Sunday of each change (US changes happen on a Sunday).
DST_WEEKENDS = [day + timedelta(days=offset) for day in DST_DAYS for offset in (-1, 0)]


def in_zone(value: datetime) -> datetime:
    """The same instant in ZONE, with its real wall time (resolves gap and fold wall times)."""
    return value.astimezone(UTC).astimezone(ZONE)


def random_start(rng: random.Random) -> datetime:
    """A start in 2024-2026: mostly uniform, 10% at 09:00 or 17:00, 10% on DST change days."""
    kind = rng.random()
    if kind < 0.1:
        day = FIRST_START.date() + timedelta(days=rng.randrange((LAST_START - FIRST_START).days))
        return in_zone(datetime.combine(day, wall_time(rng.choice((9, 17))), ZONE))
    if kind < 0.2:
        minute = rng.randrange(24 * 60)
        wall = datetime.combine(rng.choice(DST_DAYS), wall_time(minute // 60, minute % 60), ZONE)
        return in_zone(wall.replace(fold=rng.randrange(2)))
    return in_zone(FIRST_START + rng.randrange((LAST_START - FIRST_START) // MINUTE) * MINUTE)


def dst_weekend_start(rng: random.Random) -> datetime:
    """A start on the Saturday or Sunday of a DST change: a quarter exactly at 00:00, 06:00, 09:00
    or 17:00, the rest uniform over the day's real time (23, 24 or 25 h)."""
    day = rng.choice(DST_WEEKENDS)
    if rng.random() < 0.25:
        return in_zone(datetime.combine(day, wall_time(rng.choice((0, 6, 9, 17))), ZONE))
    first = datetime.combine(day, wall_time(0), ZONE).astimezone(UTC)
    last = datetime.combine(day + timedelta(days=1), wall_time(0), ZONE).astimezone(UTC)
    return in_zone(first + rng.randrange((last - first) // MINUTE) * MINUTE)


def night_and_day_start(rng: random.Random) -> datetime:
    """A start for the second calendar: a third on DST weekends, the rest as `random_start`."""
    if rng.random() < DST_WEEKEND_SHARE:
        return dst_weekend_start(rng)
    return random_start(rng)


def make_cases(
    seed: int,
    low: timedelta,
    high: timedelta,
    count: int = CASES,
    starts: Callable[[random.Random], datetime] = random_start,
    span_per_open: float = SPAN_PER_BUSINESS,
) -> list[Case]:
    """`count` cases with durations log-uniform in [low, high], in whole minutes."""
    rng = random.Random(seed)
    log_low, log_high = math.log(low / MINUTE), math.log(high / MINUTE)
    cases = []
    for _ in range(count):
        start = starts(rng)
        minutes = round(math.exp(rng.uniform(log_low, log_high)))
        span = round(minutes * span_per_open) * MINUTE  # real time
        cases.append(Case(start, minutes * MINUTE, in_zone(start.astimezone(UTC) + span)))
    return cases


def in_whole_hours(cases: Sequence[Case]) -> list[Case]:
    """The cases with durations rounded to whole hours (at least one)."""
    return [
        Case(case.start, max(1, round(case.duration / HOUR)) * HOUR, case.end) for case in cases
    ]


# ---------------------------------------------------------------------------------- drivers


def business_hours() -> BusinessHours:
    """The calendar: the project's own `with_public_holidays` writes the holidays out as dates."""
    weekly = {day: [("09:00", "17:00")] for day in WEEKDAYS[:5]}
    hours = BusinessHours(name="bench", time_zone=ZONE_NAME, weekly=weekly, holiday_country="US")
    return hours.with_public_holidays(*HOLIDAY_YEARS)


def night_and_day_hours(holidays: Sequence[Holiday]) -> BusinessHours:
    """The second calendar: every day 00:00-06:00 and 09:00-17:00, the same explicit holidays."""
    return BusinessHours(
        name="bench-night-and-day",
        time_zone=ZONE_NAME,
        weekly={day: list(NIGHT_AND_DAY) for day in WEEKDAYS},
        holidays=list(holidays),
    )


def weekly_pattern(hours: BusinessHours) -> tuple[list[int], list[tuple[str, str]]]:
    """The open weekdays (0 = Monday) and their windows, for calendars open the same hours each
    open day (what the peers can express)."""
    days = [number for number, day in enumerate(WEEKDAYS) if hours.weekly.get(day)]
    windows = [list(hours.weekly[WEEKDAYS[number]]) for number in days]
    assert all(window == windows[0] for window in windows), "peers need the same hours each day"
    return days, windows[0]


@dataclass(frozen=True)
class Operation:
    """One library's way to put one kind of question.

    `prepare` builds its inputs (untimed), `run` answers them (timed) and `read` turns an answer
    into an aware datetime (add) or a timedelta (between) to compare with ours (untimed).
    """

    prepare: Callable[[Sequence[Case]], list[Any]]
    run: Callable[[list[Any]], list[Any]]
    read: Callable[[Any], Any]


@dataclass(frozen=True)
class Driver:
    name: str
    add: Operation
    between: Operation | None  # None: the library cannot answer it
    whole_hours_only: bool = False
    note: str = ""


def identity(value: Any) -> Any:
    return value


def ours_driver(hours: BusinessHours) -> Driver:
    calendar = BusinessCalendar(hours)
    add, between = calendar.add, calendar.between

    def run_add(args: list[tuple[datetime, timedelta]]) -> list[datetime]:
        return [add(start, duration) for start, duration in args]

    def run_between(args: list[tuple[datetime, datetime]]) -> list[timedelta]:
        return [between(start, end) for start, end in args]

    return Driver(
        name="ours",
        add=Operation(lambda cases: [(c.start, c.duration) for c in cases], run_add, identity),
        between=Operation(lambda cases: [(c.start, c.end) for c in cases], run_between, identity),
    )


def pandas_driver(hours: BusinessHours, note: str = "") -> Driver:
    holidays = [holiday.date for holiday in hours.holidays]
    days, windows = weekly_pattern(hours)
    weekmask = " ".join(WEEKDAYS[number].title() for number in days)
    # One window as strings, several as lists (CustomBusinessHour takes both).
    starts = [start for start, _ in windows] if len(windows) > 1 else windows[0][0]
    ends = [end for _, end in windows] if len(windows) > 1 else windows[0][1]
    offsets: dict[int, CustomBusinessHour] = {}  # built once per hour count, untimed

    def offset_of(n: int) -> CustomBusinessHour:
        if n not in offsets:
            offsets[n] = CustomBusinessHour(
                n=n, start=starts, end=ends, weekmask=weekmask, holidays=holidays
            )
        return offsets[n]

    def prepare_add(cases: Sequence[Case]) -> list[tuple[pd.Timestamp, CustomBusinessHour]]:
        prepared = []
        for case in cases:
            n, rest = divmod(case.duration, HOUR)
            assert not rest, "CustomBusinessHour takes whole hours only"
            stamp = pd.Timestamp(case.start.astimezone(UTC)).tz_convert(ZONE_NAME)
            prepared.append((stamp, offset_of(n)))
        return prepared

    def run_add(
        args: list[tuple[pd.Timestamp, CustomBusinessHour]],
    ) -> list[pd.Timestamp | ValueError]:
        answers: list[pd.Timestamp | ValueError] = []
        for stamp, offset in args:
            try:
                answers.append(stamp + offset)
            except ValueError as error:  # its wall-time answer does not exist or is ambiguous
                answers.append(error)
        return answers

    def read_add(answer: pd.Timestamp | ValueError) -> datetime | ValueError:
        return answer if isinstance(answer, ValueError) else answer.to_pydatetime()

    return Driver(
        name="pandas",
        add=Operation(prepare_add, run_add, read_add),
        between=None,
        whole_hours_only=True,
        note=note
        or (
            "pandas: tz-aware Timestamp + CustomBusinessHour(n, start='09:00', end='17:00', "
            "weekmask='Mon Tue Wed Thu Fri', holidays=[...]). n must be an int number of hours "
            "(no minutes; fractional n and float multiples are rejected), so pandas gets each "
            "duration rounded to whole hours (at least one hour), and ours is timed and compared "
            "on those same durations. pandas has no business-time difference: between is n/a."
        ),
    )


def businesstimedelta_driver(hours: BusinessHours, note: str = "") -> Driver:
    # No zone: the rules work on naive local wall times (the library labels naive values UTC).
    # The holidays go in as a frozenset, since HolidayRule scans day by day with `day in holidays`.
    # One WorkDayRule per window.
    days, windows = weekly_pattern(hours)
    rules = btd.Rules(
        [
            *(
                btd.WorkDayRule(
                    start_time=wall_time.fromisoformat(start),
                    end_time=wall_time.fromisoformat(end),
                    working_days=days,
                )
                for start, end in windows
            ),
            btd.HolidayRule(frozenset(holiday.date for holiday in hours.holidays)),
        ]
    )
    difference = rules.difference

    def wall(value: datetime) -> datetime:
        return value.astimezone(ZONE).replace(tzinfo=None)

    def prepare_add(cases: Sequence[Case]) -> list[tuple[datetime, btd.BusinessTimeDelta]]:
        return [
            (
                wall(c.start),
                btd.BusinessTimeDelta(rules, seconds=c.duration // timedelta(seconds=1)),
            )
            for c in cases
        ]

    def run_add(args: list[tuple[datetime, btd.BusinessTimeDelta]]) -> list[datetime]:
        return [start + delta for start, delta in args]

    def run_between(args: list[tuple[datetime, datetime]]) -> list[btd.BusinessTimeDelta]:
        return [difference(start, end) for start, end in args]

    return Driver(
        name="businesstimedelta",
        add=Operation(
            prepare_add,
            run_add,
            lambda answer: answer.replace(tzinfo=ZONE),  # their wall time, read in ZONE
        ),
        between=Operation(
            lambda cases: [(wall(c.start), wall(c.end)) for c in cases],
            run_between,
            lambda answer: answer.timedelta,
        ),
        note=note
        or (
            "businesstimedelta: Rules([WorkDayRule(09:00, 17:00, Mon-Fri), HolidayRule(dates)]) "
            "with no zone, fed naive America/New_York wall times: add is wall time + "
            "BusinessTimeDelta(rules, seconds=...), read back as a wall time in America/New_York; "
            "between is rules.difference(start, end). Wall-time arithmetic only goes wrong when a "
            "DST change falls inside an open window (e.g. hours 00:00-04:00); New York changes at "
            "02:00, never inside 09:00-17:00."
        ),
    )


# ---------------------------------------------------------------------------------- measure


def ops_per_second(*runs: tuple[Callable[[], object], int]) -> list[float]:
    """Calls per second of each `(run, calls)`, best of REPEATS.

    The runs take turns within each repeat, so numbers set side by side were taken under the same
    machine load.
    """
    best = [math.inf] * len(runs)
    collecting = gc.isenabled()
    gc.disable()  # as timeit does: no collection pauses inside a timed run
    try:
        for _ in range(REPEATS):
            for index, (run, _calls) in enumerate(runs):
                began = time.perf_counter()
                run()
                best[index] = min(best[index], time.perf_counter() - began)
    finally:
        if collecting:
            gc.enable()
    return [calls / seconds for (_run, calls), seconds in zip(runs, best, strict=True)]


def near_dst(value: datetime) -> bool:
    return any(abs(value - transition) <= NEAR_DST for transition in TRANSITIONS)


def at_close(value: datetime) -> bool:
    local = value.astimezone(ZONE)
    return (local.hour, local.minute, local.second, local.microsecond) == (17, 0, 0, 0)


def cause(points: Sequence[datetime]) -> str:
    """Why two answers may differ: a point exactly at the close, else one near a DST change."""
    if any(at_close(point) for point in points):
        return "close"
    if any(near_dst(point) for point in points):
        return "dst"
    return "other"


# Why a peer's answer differs from ours, from the operation, the case and both answers (a peer's
# answer may be the ValueError it raised).
Classify = Callable[[str, Case, Any, Any], str]


def weekday_cause(operation: str, case: Case, ours: Any, theirs: Any) -> str:
    """The first calendar's causes: `cause` of the start and both answers (between: the end)."""
    if operation == "between":
        return cause((case.start, case.end))
    return cause([case.start, ours, *([] if isinstance(theirs, Exception) else [theirs])])


def night_and_day_cause(calendar: BusinessCalendar) -> Classify:
    """The second calendar's causes, read off the answers rather than the wall clock.

    close: a peer's `add` answer is later than ours with no open time between them (ours ends
    exactly at a window's close, theirs at the next opening); dst: otherwise a DST change lies
    between the start and the latest answer (between: the end) or within 2 days of them. The
    first calendar's test, a point at 17:00, would file DST errors under close here: the starts
    at 17:00 on a DST Saturday are open time's doorstep to the changed night window.
    """

    def classify(operation: str, case: Case, ours: Any, theirs: Any) -> str:
        if operation == "between":
            points = [case.start, case.end]
        elif isinstance(theirs, Exception):
            points = [case.start, ours]
        else:
            if ours < theirs and calendar.between(ours, theirs) == timedelta(0):
                return "close"
            points = [case.start, ours, theirs]
        first, last = min(points) - NEAR_DST, max(points) + NEAR_DST
        if any(first <= transition <= last for transition in TRANSITIONS):
            return "dst"
        return "other"

    return classify


def local(value: datetime) -> str:
    return value.astimezone(ZONE).strftime("%a %Y-%m-%d %H:%M %Z")


def hm(value: timedelta) -> str:
    minutes = round(value / MINUTE)
    sign = "-" if minutes < 0 else ""
    return f"{sign}{abs(minutes) // 60}h{abs(minutes) % 60:02d}m"


@dataclass(frozen=True)
class Disagreement:
    kind: str
    operation: str
    case_set: str
    case: Case
    text: str  # the sample line, without its prefix
    raised: bool  # the peer raised instead of answering

    @property
    def span(self) -> timedelta:
        """How far the question reaches: the duration (add) or end - start (between)."""
        return self.case.duration if self.operation == "add" else self.case.end - self.case.start

    @property
    def change(self) -> str:
        """'spring' or 'fall': the DST change nearest the start."""
        nearest = min(TRANSITIONS, key=lambda transition: abs(transition - self.case.start))
        return "spring" if nearest.month < 7 else "fall"


@dataclass
class Row:
    """One row of the table: a library's operation on one case set."""

    case_set: str
    operation: str
    library: str
    timed: int = 0
    ops: float | None = None  # None: the library cannot answer it
    ours_ops: float = 0.0  # ours on the same inputs
    compared: int = 0
    differ: int = 0
    by_cause: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CAUSES, 0))
    samples: dict[str, list[str]] = field(default_factory=dict)  # up to 3 per cause
    found: list[Disagreement] = field(default_factory=list)  # all of them
    raised: int = 0  # answers that are an exception the peer raised

    def disagree(self, kind: str, case: Case, sample: str, raised: bool) -> None:
        self.differ += 1
        self.raised += raised
        self.by_cause[kind] += 1
        kept = self.samples.setdefault(kind, [])
        if len(kept) < 3:
            kept.append(f"{self.operation} ({self.case_set}) [{kind}] {sample}")
        self.found.append(Disagreement(kind, self.operation, self.case_set, case, sample, raised))


def measure_ours(case_set: str, cases: Sequence[Case], ours: Driver) -> list[Row]:
    """Our own rows: both operations on all the cases."""
    assert ours.between is not None
    add, between = ours.add, ours.between
    add_args, between_args = add.prepare(cases), between.prepare(cases)
    add.run(add_args)  # warm
    between.run(between_args)
    add_ops, between_ops = ops_per_second(
        (lambda: add.run(add_args), len(add_args)),
        (lambda: between.run(between_args), len(between_args)),
    )
    return [
        Row(case_set, "add", ours.name, len(add_args), add_ops, add_ops),
        Row(case_set, "between", ours.name, len(between_args), between_ops, between_ops),
    ]


def measure_peer(
    case_set: str,
    operation: str,
    cases: Sequence[Case],
    ours: Driver,
    peer: Driver,
    timed_cases: int = PEER_TIMED_CASES,
    classify: Classify = weekday_cause,
) -> Row:
    """A peer's operation against ours, timed on the first cases, compared on all of them."""
    row = Row(case_set, operation, peer.name)
    mine, theirs = getattr(ours, operation), getattr(peer, operation)
    if theirs is None:
        return row
    inputs = in_whole_hours(cases) if peer.whole_hours_only else list(cases)
    our_args, peer_args = mine.prepare(inputs), theirs.prepare(inputs)
    our_answers = mine.run(our_args)  # the warm passes, whose answers are compared
    peer_answers = theirs.run(peer_args)
    row.timed, row.compared = min(timed_cases, len(inputs)), len(inputs)
    our_timed, peer_timed = our_args[: row.timed], peer_args[: row.timed]
    row.ops, row.ours_ops = ops_per_second(
        (lambda: theirs.run(peer_timed), row.timed), (lambda: mine.run(our_timed), row.timed)
    )
    for case, our_answer, peer_answer in zip(inputs, our_answers, peer_answers, strict=True):
        ours_read, theirs_read = mine.read(our_answer), theirs.read(peer_answer)
        raised = isinstance(theirs_read, Exception)
        if operation == "add":
            ours_read = ours_read.astimezone(UTC)
            theirs_read = theirs_read if raised else theirs_read.astimezone(UTC)
        if ours_read == theirs_read:
            continue
        kind = classify(operation, case, ours_read, theirs_read)
        if raised:
            answer = f"raised {type(theirs_read).__name__}: {theirs_read}"
        elif operation == "add":
            answer = f"theirs {local(theirs_read)}"
        else:
            answer = f"theirs {hm(theirs_read)}"
        if operation == "add":
            row.disagree(
                kind,
                case,
                f"{local(case.start)} + {hm(case.duration)}: ours {local(ours_read)}, {answer}",
                raised,
            )
        else:
            row.disagree(
                kind,
                case,
                f"[{local(case.start)}, {local(case.end)}): ours {hm(ours_read)}, {answer}",
                raised,
            )
    return row


# ------------------------------------------------------------------------------------ print


def say(text: str, indent: str = "") -> None:
    hanging = " " * len(indent) + "  "
    print(textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=hanging))


def rate(value: float) -> str:
    return f"{value:,.0f}"


def print_table(rows: Sequence[Row], close: str = "17:00") -> None:
    header = (
        f"{'case set':<10} {'op':<7} {'library':<17} {'timed':>6} {'ops/s':>9} "
        f"{'ours ops/s':>10} {'ours/peer':>9} {'differ':>10} {close:>5} {'DST':>4} {'other':>5}"
    )
    print(header)
    print("-" * len(header))
    previous = ("", "")
    for row in rows:
        key = (row.case_set, row.operation)
        if key != previous and previous != ("", ""):
            print()
        label = f"{row.case_set:<10} {row.operation:<7}" if key != previous else " " * 18
        previous = key
        if row.ops is None:
            print(f"{label} {row.library:<17} {'':>6} {'n/a':>9} {'':>10} {'n/a':>9} {'n/a':>10}")
        elif row.library == "ours":
            print(f"{label} {row.library:<17} {row.timed:>6} {rate(row.ops):>9}")
        else:
            causes = row.by_cause
            print(
                f"{label} {row.library:<17} {row.timed:>6} {rate(row.ops):>9} "
                f"{rate(row.ours_ops):>10} {row.ours_ops / row.ops:>8.1f}x "
                f"{f'{row.differ}/{row.compared}':>10} {causes['close']:>5} {causes['dst']:>4} "
                f"{causes['other']:>5}"
            )


def pick_samples(rows: Sequence[Row], limit: int = 3) -> list[str]:
    """Up to `limit` samples, taking the causes in turn so that each one shows."""
    queues = [[sample for row in rows for sample in row.samples.get(kind, [])] for kind in CAUSES]
    picked: list[str] = []
    while len(picked) < limit and any(queues):
        for queue in queues:
            if queue and len(picked) < limit:
                picked.append(queue.pop(0))
    return picked


def pick_night_and_day_samples(rows: Sequence[Row]) -> list[str]:
    """For each operation, the shortest DST disagreement after a spring and after a fall change
    (one where the peer answered, one where it raised), then the first close and the first other
    one, if any."""
    found = [disagreement for row in rows for disagreement in row.found]
    picked: list[Disagreement] = []
    for operation in ("add", "between"):
        for change in ("spring", "fall"):
            for raised in (False, True):
                dst = [
                    d
                    for d in found
                    if (d.kind, d.operation, d.change, d.raised)
                    == ("dst", operation, change, raised)
                ]
                if dst:
                    picked.append(min(dst, key=lambda d: (d.span, d.case_set)))
    for kind in ("close", "other"):
        picked.extend([d for d in found if d.kind == kind][:1])
    return [
        f"{d.operation} ({d.case_set}) [{d.kind}{', ' + d.change if d.kind == 'dst' else ''}] "
        f"{d.text}"
        for d in picked
    ]


def main() -> None:
    hours = business_hours()
    holidays = [holiday.date for holiday in hours.holidays]
    sets = {
        "to 1 year": make_cases(SEED, MINUTE, YEAR_OF_BUSINESS),
        "to 30 days": make_cases(SEED + 1, MINUTE, THIRTY_DAYS),
    }
    ours = ours_driver(hours)
    peers = [pandas_driver(hours), businesstimedelta_driver(hours)]

    print("Business-hours arithmetic: workflows.business_hours vs pandas and businesstimedelta")
    print()
    say(
        f"Calendar: {ZONE_NAME}, Mon-Fri 09:00-17:00, closed on {len(holidays)} US federal "
        f"holidays {holidays[0]}..{holidays[-1]} (observed days included), given to all three "
        "libraries as explicit dates."
    )
    say(
        f"Cases: {CASES:,} per set, seed {SEED}. Starts in 2024-2026 (80% uniform, 10% at exactly "
        "09:00 or 17:00, 10% on DST change days); durations log-uniform in whole minutes, "
        f"'to 1 year' {hm(MINUTE)}..{hm(YEAR_OF_BUSINESS)} (260 business days of 8 h), "
        f"'to 30 days' {hm(MINUTE)}..{hm(THIRTY_DAYS)} (30 x 8 h). "
        f"between(start, end) takes end = start + {SPAN_PER_BUSINESS:.1f} x duration of real time."
    )
    say(
        f"Timing: warm (one untimed pass over all cases first), best of {REPEATS}, the library "
        "call only (inputs and offsets built beforehand). Peers are timed on the first "
        f"{PEER_TIMED_CASES:,} cases; 'ours ops/s' in a peer's row is ours on those same inputs, "
        "timed turn about with it. Answers are compared on all cases, as instants."
    )
    print()

    rows: list[Row] = []
    for name, cases in sets.items():
        add_row, between_row = measure_ours(name, cases, ours)
        rows.append(add_row)
        rows.extend(measure_peer(name, "add", cases, ours, peer) for peer in peers)
        rows.append(between_row)
        rows.extend(measure_peer(name, "between", cases, ours, peer) for peer in peers)
    print_table(rows)
    print()
    say(
        "differ: answers that differ from ours, by cause. 17:00: an answer (for between: the "
        "start or the end) is exactly at the 17:00 close; DST: otherwise the start or an answer "
        "(between: start or end) is within 2 days of a DST change; other: the rest."
    )
    for peer in peers:
        say(peer.note, "- ")

    print()
    print("Sample disagreements, up to 3 per peer (America/New_York local times):")
    for peer in peers:
        samples = pick_samples([row for row in rows if row.library == peer.name])
        print(f"  {peer.name}:" + ("" if samples else " none, it agrees with ours on every case"))
        for sample in samples:
            say(sample, "    ")

    # The same starts as 'to 30 days' (same seed), with 6-12 months of business time instead.
    add = ours.add
    short_args = add.prepare(sets["to 30 days"])
    long_args = add.prepare(make_cases(SEED + 1, HALF_YEAR, YEAR_OF_BUSINESS))
    add.run(long_args)  # warm
    short_ops, long_ops = ops_per_second(
        (lambda: add.run(short_args), len(short_args)), (lambda: add.run(long_args), len(long_args))
    )
    print()
    say(
        f"Long span: ours add does {rate(short_ops)} ops/s for durations up to 30 business days "
        f"and {rate(long_ops)} ops/s for 6-12 months ({hm(HALF_YEAR)}..{hm(YEAR_OF_BUSINESS)}) "
        f"from the same {CASES:,} starts: x{long_ops / short_ops:.2f}."
    )

    night_and_day(hours)


def night_and_day(first: BusinessHours) -> None:
    """The second calendar, whose open time holds the 02:00 DST changes."""
    hours = night_and_day_hours(first.holidays)
    limits = {"to 1 year": OPEN_YEAR, "to 30 days": OPEN_THIRTY_DAYS}
    sets = {
        name: make_cases(
            SEED + 2 + number,
            MINUTE,
            limits[name],
            NIGHT_AND_DAY_CASES,
            night_and_day_start,
            SPAN_PER_OPEN,
        )
        for number, name in enumerate(limits)
    }
    ours = ours_driver(hours)
    classify = night_and_day_cause(BusinessCalendar(hours))
    peers = [
        pandas_driver(
            hours,
            note=(
                "pandas: as above, with CustomBusinessHour(n, start=['00:00', '09:00'], "
                "end=['06:00', '17:00'], weekmask='Mon Tue Wed Thu Fri Sat Sun', "
                "holidays=[...]): it takes the lists. It counts open time on the wall clock, and "
                "raises ValueError ('nonexistent' or 'Cannot infer dst time') when its wall-time "
                "answer is skipped or repeated; such a raise is counted as a disagreement."
            ),
        ),
        businesstimedelta_driver(
            hours,
            note=(
                "businesstimedelta: as above, with two WorkDayRules (00:00-06:00 and 09:00-17:00, "
                "all 7 days) and the HolidayRule. Naive wall times cannot tell the two 01:00-02:00 "
                "hours of a fall-back night apart (a start in the second one goes in as the "
                "first), and an answer is read back with fold=0: a skipped 02:xx as EST, i.e. "
                "03:xx EDT, a repeated 01:xx as its first, EDT, occurrence."
            ),
        ),
    ]

    print()
    print("=" * WIDTH)
    print("Second calendar: the DST changes fall inside open time")
    print()
    say(
        f"Calendar: {ZONE_NAME}, every day 00:00-06:00 and 09:00-17:00, closed on the same "
        f"{len(hours.holidays)} holidays. New York changes at 02:00, inside the night window: "
        "by the wall clock of each instant (ours), 00:00-06:00 holds 5 h of real time on a "
        "spring-forward day and 7 h on a fall-back day; wall-clock arithmetic counts 6 h."
    )
    say(
        f"Cases: {NIGHT_AND_DAY_CASES:,} per set (not {CASES:,}), seeds {SEED + 2} and "
        f"{SEED + 3}. A third of the starts lie on the Saturdays and Sundays of the "
        f"{len(DST_DAYS)} DST changes of 2024-2026 (a quarter of those exactly at 00:00, "
        "06:00, 09:00 or 17:00, the rest uniform over the day's real time); the others are "
        "drawn as for the first calendar. Durations log-uniform in whole minutes, 'to 1 year' "
        f"{hm(MINUTE)}..{hm(OPEN_YEAR)} (365 days of 14 h), 'to 30 days' "
        f"{hm(MINUTE)}..{hm(OPEN_THIRTY_DAYS)} (30 x 14 h). between's end = start + "
        f"{SPAN_PER_OPEN:.1f} x duration of real time."
    )
    say(
        f"Timing as above, except that peers are timed on the first {NIGHT_AND_DAY_PEER_TIMED:,} "
        f"cases only (reduced from {PEER_TIMED_CASES:,}), and the sets are halved: "
        "businesstimedelta is slow on this calendar (14 windows a week, each one rescanning its "
        "holiday list) and the whole run must stay within about three minutes. Answers are "
        "compared on all the cases of each set."
    )
    print()

    rows: list[Row] = []
    for name, cases in sets.items():
        add_row, between_row = measure_ours(name, cases, ours)
        timed_cases = NIGHT_AND_DAY_PEER_TIMED
        rows.append(add_row)
        rows.extend(
            measure_peer(name, "add", cases, ours, peer, timed_cases, classify) for peer in peers
        )
        rows.append(between_row)
        rows.extend(
            measure_peer(name, "between", cases, ours, peer, timed_cases, classify)
            for peer in peers
        )
    print_table(rows, close="close")
    print()
    say(
        "differ: answers that differ from ours, by cause. close: the peer's add answer is later "
        "than ours with no open time between them (ours ends exactly at a close, 06:00 or 17:00, "
        "theirs at the next opening); DST: otherwise a DST change lies between the start and the "
        "latest answer (between: the end), or within 2 days of them; other: the rest."
    )
    for peer in peers:
        say(peer.note, "- ")
    for peer in peers:
        raised = sum(row.raised for row in rows if row.library == peer.name)
        if raised:
            say(
                f"{peer.name} raised ValueError on {raised} of its disagreements (all counted "
                "above, by cause), instead of answering.",
                "- ",
            )

    print()
    say(
        "Sample disagreements on this calendar (America/New_York local times): per peer and "
        "operation, the shortest DST one after a spring-forward and after a fall-back change "
        "(and, for pandas, the shortest where it raised), then the first close and the first "
        "other one, if any:"
    )
    for peer in peers:
        samples = pick_night_and_day_samples([row for row in rows if row.library == peer.name])
        print(f"  {peer.name}:" + ("" if samples else " none, it agrees with ours on every case"))
        for sample in samples:
            say(sample, "    ")


if __name__ == "__main__":
    main()
