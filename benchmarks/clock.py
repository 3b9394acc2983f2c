"""Benchmark the milestone clock's own cost per call, against the calendar arithmetic under it.

A case of three milestones (First Response 1 h, Triage 4 h, Resolution 24 h; a warning and two
escalations each) on a Mon-Fri 09:00-17:00 New York calendar with US public holidays, opened on a
Monday morning. Timed, each over `--calls` calls, best of `--rounds` rounds:

- `BusinessCalendar.add`: one deadline of raw arithmetic on a warm calendar, the reference;
- `next_due`: what the workflow asks after every task (the instant to sleep to);
- `advance`, nothing due: what the workflow does on every wake-up;
- `tracker`: the query ops and the API read;
- a field update that changes no rule's outcome (a command's cost in the clock).

The ratio column is each cost over one `add`: what the clock adds on top of the arithmetic it
needs.

    .venv/bin/python benchmarks/clock.py
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:
    _HERE = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
    sys.path.insert(0, str(_HERE.parent))

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from workflows.business_hours import WEEKDAYS, BusinessHours, calendar_for
from workflows.clock import CaseClock
from workflows.contract import EntitlementProcess, StartCase

OFFICE = BusinessHours(
    name="US Office",
    time_zone="America/New_York",
    weekly={day: [("09:00", "17:00")] for day in WEEKDAYS[:5]},
    holiday_country="US",
)
HOOK = {"handler": "webhook", "params": {"url": "https://crm.example/hooks/sla"}}
ACTIONS = {
    "success": [HOOK],
    "warning": [{**HOOK, "before_target": "15m"}],
    "violation": [HOOK, {**HOOK, "after_target": "30m"}, {**HOOK, "after_target": "2h"}],
}
PROCESS = EntitlementProcess.model_validate(
    {
        "name": "Premium",
        "business_hours": OFFICE.name,
        "pause_when": {"all": [{"field": "status", "op": "eq", "value": "Waiting on Customer"}]},
        "milestones": [
            {"name": name, "target": target, "actions": ACTIONS}
            for name, target in (("First Response", "1h"), ("Triage", "4h"), ("Resolution", "24h"))
        ],
    }
)
OPENED = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # Monday 09:00 in New York


def per_call(work: Callable[[int], Any], calls: int, rounds: int) -> float:
    """Microseconds per call, best of `rounds`."""
    best = float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        for n in range(calls):
            work(n)
        best = min(best, (time.perf_counter() - began) / calls)
    return best * 1e6


def update_fields(clock: CaseClock, now: datetime) -> Callable[[int], Any]:
    """A field change no rule looks at, through whichever command entry the clock has."""
    if hasattr(clock, "apply"):  # the typed command entry point
        from workflows.contract import UpdateCase

        return lambda n: clock.apply(UpdateCase(fields={"note": str(n % 2)}), now)
    return lambda n: clock.update_fields({"note": str(n % 2)}, now)  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    start = StartCase(
        case_id="BENCH-1",
        fields={"status": "New", "priority": "High"},
        opened_at=OPENED,
        process=PROCESS,
        calendars={OFFICE.name: OFFICE},
    )
    now = OPENED + timedelta(minutes=10)
    clock = CaseClock.open_case(start, now)
    clock.advance(now)
    calendar = calendar_for(OFFICE.with_public_holidays(2025, 2036))
    rows = [
        ("BusinessCalendar.add", lambda n: calendar.add(now, timedelta(hours=1 + n % 8))),
        ("next_due", lambda n: clock.next_due()),
        ("advance, nothing due", lambda n: clock.advance(now)),
        ("tracker", lambda n: clock.tracker(now)),
        ("update_fields", update_fields(clock, now)),
    ]
    calls, rounds = args.calls, args.rounds
    results = [
        (name, per_call(work, max(calls // 10, 100) if name == "tracker" else calls, rounds))
        for name, work in rows
    ]
    reference = results[0][1]
    print(f"{'operation':<24}{'µs/call':>10}{'x add':>8}")
    for name, micros in results:
        print(f"{name:<24}{micros:>10.2f}{micros / reference:>8.1f}")


if __name__ == "__main__":
    main()
