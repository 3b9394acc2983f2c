"""Benchmark the compliance report on 100,000 milestone records, on SQLite and on PostgreSQL.

Each database gets the schema from the migrations and 100,000 instance records spread over 90
days: 50 accounts, 5 milestone types (3 reporting categories), 4 priorities; about 70 % met, 15 %
completed late, 5 % violated and never completed, 10 % cancelled. Then every `group_by` runs the
report exactly as `GET /reports/compliance` does (`api.crud.reports.compliance`, percentiles in
SQL) over the whole 90-day window, `--runs` times, and the table shows p50 and p99 in ms.

    .venv/bin/python benchmarks/reports.py
    .venv/bin/python benchmarks/reports.py --records 20000 --runs 10 --no-postgresql

PostgreSQL: a database `sla_reports_bench` is created on `--postgresql` (trust auth, as the
tests use) and dropped at the end.
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:
    _HERE = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
    sys.path.insert(0, str(_HERE.parent))

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy import insert
from sqlalchemy.orm import Session

from api.crud.reports import GROUPS, compliance
from database.engine import session_factory
from database.migrations import upgrade
from database.models import MilestoneRecordRow

END = datetime(2026, 12, 1, tzinfo=UTC)
DAYS = 90
TYPES = [
    ("First Response", "Responsiveness", "#D62728", 3600),
    ("Triage", "Responsiveness", "#FF7F0E", 4 * 3600),
    ("Resolution", "Resolution", "#2CA02C", 24 * 3600),
    ("Customer Update", "Communication", "#1F77B4", 8 * 3600),
    ("Escalation Review", "Resolution", "#9467BD", 2 * 3600),
]
PRIORITIES = ["Low", "Normal", "High", "Urgent"]
BENCH_DATABASE = "sla_reports_bench"


def records(count: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for n in range(count):
        name, category, color, target = TYPES[n % len(TYPES)]
        started = END - timedelta(seconds=rng.uniform(0, DAYS * 86400))
        outcome = rng.choices(
            ["met", "completed_late", "violated_open", "cancelled"], [70, 15, 5, 10]
        )[0]
        elapsed = target * (rng.uniform(0.1, 1.0) if outcome == "met" else rng.uniform(1.0, 2.0))
        target_at = started + timedelta(seconds=target)
        done = started + timedelta(seconds=elapsed * 1.5)
        resolved = {
            "met": done,
            "completed_late": done,
            "violated_open": target_at,
            "cancelled": started + timedelta(seconds=elapsed / 2),
        }[outcome]
        yield {
            "case_id": f"B-{n // 3}",
            "milestone": name,
            "instance": n % 3 + 1,
            "account_id": f"ACC-{rng.randrange(50):02d}",
            "process": "Premium" if n % 2 else "Standard",
            "process_version": 1,
            "reporting_category": category,
            "color": color,
            "priority_at_start": rng.choice(PRIORITIES),
            "priority_at_end": rng.choice(PRIORITIES),
            "state": {"violated_open": "active", "cancelled": "cancelled"}.get(
                outcome, "completed"
            ),
            "started_at": started,
            "target_at": target_at,
            "warned_at": None,
            "violated_at": None if outcome in ("met", "cancelled") else target_at,
            "completed_at": done if outcome in ("met", "completed_late") else None,
            "cancelled_at": resolved if outcome == "cancelled" else None,
            "target_seconds": float(target),
            "business_elapsed_seconds": elapsed,
            "stopped_seconds": 0.0,
            "completed_late": outcome == "completed_late",
            "outcome": outcome,
            "resolved_at": resolved,
            "as_of": resolved,
            "revision": 1,
        }


def load(session: Session, count: int) -> float:
    began = time.perf_counter()
    batch: list[dict[str, Any]] = []
    for row in records(count):
        batch.append(row)
        if len(batch) == 5000:
            session.execute(insert(MilestoneRecordRow), batch)
            batch.clear()
    if batch:
        session.execute(insert(MilestoneRecordRow), batch)
    session.commit()
    return time.perf_counter() - began


def measure(url: str, count: int, runs: int) -> dict[str, tuple[float, float]]:
    upgrade(url)
    sessions = session_factory(url)
    with sessions() as session:
        took = load(session, count)
        print(f"  {url.split(':')[0]}: {count} records loaded in {took:.1f} s", flush=True)
    results: dict[str, tuple[float, float]] = {}
    for group_by in GROUPS:
        times = []
        for _ in range(runs):
            with sessions() as session:
                began = time.perf_counter()
                compliance(
                    session,
                    start=END - timedelta(days=DAYS),
                    end=END,
                    group_by=group_by,
                    filters={},
                )
                times.append((time.perf_counter() - began) * 1000)
        times.sort()
        p99 = times[min(len(times) - 1, int(0.99 * len(times)))]
        results[group_by] = (statistics.median(times), p99)
    return results


@contextmanager
def postgresql(server: str) -> Iterator[str]:
    """A fresh database on the server, dropped afterwards."""
    with psycopg.connect(f"postgresql://{server}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE}")
        admin.execute(f"CREATE DATABASE {BENCH_DATABASE}")
    try:
        yield f"postgresql+psycopg://{server}/{BENCH_DATABASE}"
    finally:
        from database.engine import engine_for

        engine_for(f"postgresql+psycopg://{server}/{BENCH_DATABASE}").dispose()
        with psycopg.connect(f"postgresql://{server}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--postgresql", default="postgres@127.0.0.1:5432")
    parser.add_argument("--no-postgresql", action="store_true")
    args = parser.parse_args()
    tables: dict[str, dict[str, tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as directory:
        tables["SQLite"] = measure(
            f"sqlite:///{Path(directory) / 'reports.sqlite'}", args.records, args.runs
        )
    if not args.no_postgresql:
        with postgresql(args.postgresql) as url:
            tables["PostgreSQL"] = measure(url, args.records, args.runs)
    print(f"\ncompliance report over {DAYS} days of {args.records} records, {args.runs} runs (ms)")
    header = f"{'group_by':<20}" + "".join(
        f"{name + ' p50':>16}{name + ' p99':>16}" for name in tables
    )
    print(header)
    for group_by in GROUPS:
        cells = "".join(
            f"{tables[n][group_by][0]:>16.1f}{tables[n][group_by][1]:>16.1f}" for n in tables
        )
        print(f"{group_by:<20}{cells}")
    worst = max(p99 for table in tables.values() for _, p99 in table.values())
    print(f"worst p99 {worst:.1f} ms: goal < 300 ms {'met' if worst < 300 else 'NOT met'}")


if __name__ == "__main__":
    main()
