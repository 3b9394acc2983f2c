"""Several workers on one task queue: three worker processes share a few hundred open cases,
and `kill -9` of the one holding the most, 3 s before the first action falls due, loses and
repeats nothing; the actions that fell due on it run within the sticky timeout plus 2 s.

Real processes all the way: the Temporal dev server, three `python -m worker` children with
the real handlers on a PostgreSQL database of their own, and the signing HTTP receiver
(`benchmarks/workers.py`, which runs the same round many times by hand).
"""

import sys
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from benchmarks.workers import one_round
from workflows.converter import DATA_CONVERTER
from workflows.search_attributes import SEARCH_ATTRIBUTES

pytestmark = pytest.mark.timeout(240)

STICKY_TIMEOUT = 5.0


async def test_kill_9_of_one_of_three_workers_loses_repeats_and_delays_nothing(
    tmp_path: Path,
) -> None:
    server = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
        search_attributes=SEARCH_ATTRIBUTES,
        data_converter=DATA_CONVERTER,
    )
    try:
        done = await one_round(
            server,
            workers=3,
            cases=150,
            spread=15,
            kill_before=3,
            work=tmp_path,
            sticky_timeout=STICKY_TIMEOUT,
            lead=30,  # every case has run its first task by then, on a busy machine too
        )
    finally:
        await server.shutdown()
    print(f"\nworkers test: {done.line()}")
    assert len(done.held) == 3, done.held  # every worker ran some of the cases
    assert all(done.held.values()), done.held
    assert done.delivered == dict.fromkeys(done.expected, 1)  # none lost, none twice
    assert max(done.late(of_killed=True)) <= STICKY_TIMEOUT + 2, done.line()
    assert max(done.late(of_killed=False)) <= STICKY_TIMEOUT + 2, done.line()
